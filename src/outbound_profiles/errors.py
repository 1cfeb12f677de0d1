"""Errors are values with a status and a code; one handler renders them into the envelope.

    ApiError                     any answer that is not a success
    ├── Unauthorized             401 10009  missing or bad credentials
    ├── Forbidden                403 10010  valid credentials of the wrong kind (tenant / switch)
    ├── NotFound                 404 10005  unknown id, or another tenant's id
    ├── InvalidRequest           400        one or more problems with the request (all reported together)
    ├── ResourceInUse            400 10021  the resource is still referenced
    ├── Unprocessable            422        API v2's validation errors; a reused Idempotency-Key
    ├── PreconditionFailed       412 10412  If-Match names a version that is no longer current
    ├── PayloadTooLarge          413        body over the limit
    └── ServiceUnavailable       503 10503  a part of the service that is switched off

Each problem carries a JSON pointer into the body or the name of a query parameter (or, for an
uploaded CSV file, its line and column).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class ErrorCode(Enum):
    """Telnyx error codes with their titles."""

    MISSING_PARAMETER = ("10004", "Missing required parameter")
    NOT_FOUND = ("10005", "Resource not found")
    UNEXPECTED = ("10007", "Unexpected error")
    AUTHENTICATION_FAILED = ("10009", "Authentication failed")
    AUTHORIZATION_FAILED = ("10010", "Authorization failed")
    BAD_REQUEST = ("10015", "Bad Request")
    RESOURCE_IN_USE = ("10021", "Resource in use")
    INVALID_JSON = ("10023", "Invalid JSON")
    METHOD_NOT_ALLOWED = ("10015", "Method Not Allowed")
    PAYLOAD_TOO_LARGE = ("10015", "Request body too large")
    REQUEST_TIMEOUT = ("10015", "Request timeout")
    URI_TOO_LONG = ("10015", "Request target too long")
    HEADERS_TOO_LARGE = ("10015", "Request headers too large")
    # Telnyx documents no code for a failed precondition; ours is 10 followed by the status.
    PRECONDITION_FAILED = ("10412", "Precondition failed")
    SERVICE_UNAVAILABLE = ("10503", "Service unavailable")

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def title(self) -> str:
        return self.value[1]


@dataclass(frozen=True, slots=True)
class Problem:
    code: ErrorCode
    detail: str
    pointer: str | None = None
    parameter: str | None = None
    # Where in an uploaded file (a rate deck's CSV): 1-based line and column.
    line: int | None = None
    column: int | None = None


class ApiError(Exception):
    status: int = 400

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.detail for p in self.problems))


class Unauthorized(ApiError):
    status = 401

    def __init__(self, detail: str = "Missing or invalid credentials.") -> None:
        super().__init__([Problem(ErrorCode.AUTHENTICATION_FAILED, detail)])


class Forbidden(ApiError):
    status = 403

    def __init__(self, detail: str) -> None:
        super().__init__([Problem(ErrorCode.AUTHORIZATION_FAILED, detail)])


class NotFound(ApiError):
    status = 404

    def __init__(self, detail: str = "The requested resource was not found.") -> None:
        super().__init__([Problem(ErrorCode.NOT_FOUND, detail)])


class InvalidRequest(ApiError):
    status = 400


class ResourceInUse(ApiError):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__([Problem(ErrorCode.RESOURCE_IN_USE, detail)])


class Unprocessable(ApiError):
    """422: what API v2 answers where v1 answers 400 (the same problems and codes)."""

    status = 422


class PreconditionFailed(ApiError):
    status = 412

    def __init__(self, detail: str, header: str) -> None:
        super().__init__([Problem(ErrorCode.PRECONDITION_FAILED, detail, parameter=header)])


class PayloadTooLarge(ApiError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__([Problem(ErrorCode.PAYLOAD_TOO_LARGE, f"The request body exceeds {limit} bytes.")])


# An answer lists enough problems to fix a body, never one per entry of a long list: at most this
# many per list (counted by the list's pointer) and in all; the rest are left out.
MAX_PROBLEMS_PER_LIST = 20
MAX_PROBLEMS = 100


class Problems:
    """Collects every problem found in one request, so they are reported together (up to the limits above)."""

    __slots__ = ("_items", "_per_list")

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._per_list: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self._items)

    def add(self, pointer: str, detail: str, code: ErrorCode = ErrorCode.BAD_REQUEST) -> None:
        parent, _, last = pointer.rpartition("/")
        if last.isdigit():
            count = self._per_list.get(parent, 0)
            if count == MAX_PROBLEMS_PER_LIST:
                return
            self._per_list[parent] = count + 1
        self._append(Problem(code, detail, pointer=pointer))

    def add_parameter(self, parameter: str, detail: str) -> None:
        self._append(Problem(ErrorCode.BAD_REQUEST, detail, parameter=parameter))

    def _append(self, problem: Problem) -> None:
        if len(self._items) < MAX_PROBLEMS:
            self._items.append(problem)

    def items(self) -> tuple[Problem, ...]:
        return tuple(self._items)

    def pointers(self) -> set[str]:
        return {p.pointer for p in self._items if p.pointer is not None}

    def raise_if_any(self) -> None:
        if self._items:
            raise InvalidRequest(self._items)


class ServiceUnavailable(ApiError):
    status = 503

    def __init__(self, detail: str) -> None:
        super().__init__([Problem(ErrorCode.SERVICE_UNAVAILABLE, detail)])
