"""`/docs` works without the Internet: every file the page loads is served by the service itself,
from the installed Swagger UI package."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient


def test_the_docs_page_loads_only_files_the_service_serves(client: TestClient[Any]) -> None:
    page = client.get("/docs").text
    # Every URL the page's markup refers to (the embedded document's own strings aside).
    markup = page.split("SwaggerUIBundle(", 1)[0]
    loaded = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]+)['"]""", markup)

    assert "https://" not in markup
    assert "http://" not in markup
    assert {url.rsplit("/", 1)[1] for url in loaded} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
        "favicon-32x32.png",
    }
    for url in loaded:
        assert url.startswith("/docs/assets/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 500, url
    assert (
        client.get("/docs/assets/swagger-ui-bundle.js")
        .headers["content-type"]
        .startswith(("application/javascript", "text/javascript"))
    )


def test_an_unknown_asset_is_the_usual_404(client: TestClient[Any]) -> None:
    response = client.get("/docs/assets/no-such-file.js")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "10005"


def test_the_assets_are_not_in_the_api_document(client: TestClient[Any]) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert not any(path.startswith("/docs") for path in paths)
