"""Page-number pagination for bare-array lists: `X-Total-Count` and an RFC 8288 `Link` header."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from litestar.datastructures import URL

from outbound_profiles.http.query import Query

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
# Far beyond any real list, and small enough that the row offset always fits the database's integers.
MAX_PAGE = 2_147_483_647


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @classmethod
    def from_query(cls, query: Query) -> Page:
        return cls(
            number=query.integer("page", default=1, minimum=1, maximum=MAX_PAGE),
            size=query.integer("per_page", default=DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE),
        )


def page_headers(url: URL, page: Page, total: int) -> dict[str, str]:
    last = max(1, -(-total // page.size))
    params = [(k, v) for k, v in url.query_params.multi_items() if k not in ("page", "per_page")]

    def link(number: int, rel: str) -> str:
        query = urlencode([*params, ("page", str(number)), ("per_page", str(page.size))])
        return f'<{url.with_replacements(query=query)}>; rel="{rel}"'

    links = [link(1, "first")]
    if page.number > 1:
        links.append(link(min(page.number - 1, last), "prev"))
    if page.number < last:
        links.append(link(page.number + 1, "next"))
    links.append(link(last, "last"))
    return {"X-Total-Count": str(total), "Link": ", ".join(links)}
