"""One handler renders every error into the contract's envelope."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException

from outbound_profiles.config import MAX_BODY_BYTES
from outbound_profiles.errors import ApiError, ErrorCode, NotFound, PayloadTooLarge, Problem
from outbound_profiles.http.allow import with_head
from outbound_profiles.http.schemas import ErrorEnvelope, ErrorObject, ErrorSource

logger = logging.getLogger("outbound_profiles.errors")
CLIENT_CLOSED = 499  # nginx's status for a request whose client went away before its answer
_CLIENT_WENT_AWAY = "client disconnected prematurely"  # what Litestar raises when the body stops coming
UNEXPECTED = (Problem(ErrorCode.UNEXPECTED, "An unexpected error occurred."),)
_STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


class ClientWentAway(ApiError):
    """The request's body stopped coming: no one reads the answer; the metrics count it as 499."""

    status = CLIENT_CLOSED

    def __init__(self) -> None:
        super().__init__([Problem(ErrorCode.BAD_REQUEST, "The client went away.")])


def envelope(problems: tuple[Problem, ...]) -> ErrorEnvelope:
    return ErrorEnvelope(
        errors=[
            ErrorObject(
                code=p.code.code,
                title=p.code.title,
                detail=p.detail,
                source=ErrorSource(pointer=p.pointer)
                if p.pointer is not None
                else ErrorSource(parameter=p.parameter)
                if p.parameter is not None
                else ErrorSource(line=p.line, column=p.column)
                if p.line is not None and p.column is not None
                else msgspec.UNSET,
            )
            for p in problems
        ]
    )


def error_response(
    status: int, problems: tuple[Problem, ...], headers: dict[str, str] | None = None
) -> Response[ErrorEnvelope]:
    headers = dict(headers or {})
    if status < 500:
        # The official SDKs retry 408, 409, 429 and 5xx unless told not to; nothing here is transient.
        headers["x-should-retry"] = "false"
    return Response(envelope(problems), status_code=status, media_type=MediaType.JSON, headers=headers)


def handle_api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[ErrorEnvelope]:
    return error_response(exc.status, exc.problems)


def _body_limit(request: Request[Any, Any, Any]) -> int:
    try:
        limit = request.route_handler.resolve_request_max_body_size()
    except Exception:  # no route: the application's limit
        limit = None
    return limit or MAX_BODY_BYTES


def handle_http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorEnvelope]:
    if isinstance(exc, NotFoundException):
        return handle_api_error(_, NotFound("No such route."))
    if exc.status_code == 413:
        # The route's own limit (a rate deck's is larger than the JSON bodies').
        return handle_api_error(_, PayloadTooLarge(_body_limit(_)))
    if exc.status_code >= 500:
        if exc.detail == _CLIENT_WENT_AWAY:
            # Not the server's failure: the client closed the connection, or the server closed it when
            # the body was late (http/server.py). No one reads the answer; the metrics count it as 499.
            return handle_api_error(_, ClientWentAway())
        return handle_unexpected(_, exc)
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowedException):
        detail = "This method is not allowed on this path."
        # RFC 9110: a 405 lists the methods the path supports.
        headers = {k: with_head(v.split(", ")) for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    else:
        detail = str(exc.detail)
    code = _STATUS_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
    return error_response(exc.status_code, (Problem(code, detail),), headers)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorEnvelope]:
    log_unexpected(request.method, request.url.path, exc)
    return error_response(500, UNEXPECTED)


def log_unexpected(method: str, path: str, exc: BaseException) -> None:
    logger.exception("unexpected error on %s %s", method, path, exc_info=exc)


EXCEPTION_HANDLERS: Any = {
    ApiError: handle_api_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
