"""The OpenAPI document: Litestar describes paths, responses and response models; request bodies
and query strings, which the handlers parse themselves (to report every problem at once), are
described from the same msgspec Structs and parameter tables the handlers use."""

from __future__ import annotations

from typing import Any

import msgspec
import swagger_ui_bundle
from litestar import Litestar, Request, Router
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import BaseRoute, HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from outbound_profiles import __version__
from outbound_profiles.http.schemas import ErrorEnvelope

_DESCRIPTION = (
    "The Outbound Profile API (Telnyx API v1, `/termination/endpoints`) and the resources profiles "
    "reference, and the same profiles and billing groups through Telnyx API v2 (`/v2/...`, for the "
    "official SDKs; validation errors are 422 there). Creates honour an `Idempotency-Key` header. "
    "Authenticate with `Authorization: Bearer <token>` (or `Token <token>`), or with the v1 pair "
    "`x-api-user` + `x-api-token`. Errors use one envelope: "
    '`{"errors": [{"code", "title", "detail", "source": {"pointer" | "parameter"}}]}`.'
)


_ERRORS = {
    "400": "The request is invalid: every problem is listed, each with its JSON pointer or query parameter.",
    "401": "Missing or invalid credentials.",
    "403": "Valid credentials of the other kind: a switch token on a tenant's resources, or a tenant's token "
    "on the switch's.",
    "404": "No such resource for this user (another tenant's id is not found either).",
    "413": "The request body is larger than 1 MiB.",
    "500": "Unexpected error.",
}
_DATA_PLANE_OFF = (
    "The server runs without the data plane (OUTBOUND_PROFILES_DATA_PLANE=off), or the call counters cannot be reached."
)
_REUSED_KEY = "The Idempotency-Key was already used for a different request in the last 24 hours."
_IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in="header",
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=255, pattern="^[!-~]+$"),
    description="A retry with the same key (same user, same request, within 24 hours) gets the first answer "
    "and creates nothing; the same key with a different request is a 422.",
    required=False,
)
_PRECONDITIONS = {
    "If-Match": Parameter(
        name="If-Match",
        param_in="header",
        schema=Schema(type=OpenAPIType.STRING, examples=['"8f3c2a71d0b94e65"']),
        description="Change the profile only if its ETag is still this one (or `*`); otherwise 412.",
        required=False,
    ),
    "If-None-Match": Parameter(
        name="If-None-Match",
        param_in="header",
        schema=Schema(type=OpenAPIType.STRING, examples=['"8f3c2a71d0b94e65"']),
        description="Answer 304 without a body if the profile's ETag is still this one.",
        required=False,
    ),
}
_ETAG = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING),
    description="The profile's version (a strong ETag, the same on v1 and v2): send it in If-Match to change "
    "the profile only if nobody else has.",
    required=True,
)
_PRECONDITION_ANSWERS = {
    "If-Match": ("412", "The profile has changed since the ETag sent in If-Match; nothing was changed."),
    "If-None-Match": ("304", "The profile still has the ETag sent in If-None-Match."),
}
_ERROR_MEDIA = OpenAPIMediaType(schema=Reference("#/components/schemas/ErrorEnvelope"))
_CSV_MEDIA = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
_V2_INVALID = "The request is invalid (API v2 uses 422): every problem is listed, each with its JSON pointer."


# Any one of these authenticates a request (the v1 pair needs both headers).
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "bearerToken": SecurityScheme(type="http", scheme="bearer", description="`Authorization: Bearer <token>`."),
    "tokenScheme": SecurityScheme(
        type="http", scheme="token", description="`Authorization: Token <token>` (the same token as Bearer)."
    ),
    "apiUser": SecurityScheme(
        type="apiKey",
        name="x-api-user",
        security_scheme_in="header",
        description="v1 pair, with x-api-token: the email of the token's user, or the token id (`KEY...`).",
    ),
    "apiToken": SecurityScheme(
        type="apiKey",
        name="x-api-token",
        security_scheme_in="header",
        description="v1 pair, with x-api-user: the token.",
    ),
}
SECURITY: list[SecurityRequirement] = [{"bearerToken": []}, {"tokenScheme": []}, {"apiUser": [], "apiToken": []}]

_PAGE_HEADERS = {
    "X-Total-Count": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING, pattern="^[0-9]+$"),
        description="How many items the whole list has.",
        required=True,
    ),
    "Link": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING),
        description="RFC 8288 links to the first, previous, next and last pages.",
        required=True,
    ),
}


class _DocsRouter(Router):
    """Serves `/openapi.json` and `/docs` (and the docs at `/`) at the root.

    Litestar's OpenAPI plugin also registers a catch-all `GET /{path:str}` on this router that answers
    an HTML 404. At the root it would catch every unknown one-segment path (and turn any other method
    there into a 405), so an unknown route would not get the JSON envelope: it is not registered, and
    unknown paths reach the application's own 404.
    """

    def register(self, value: ControllerRouterHandler) -> list[BaseRoute]:
        if isinstance(value, HTTPRouteHandler) and "/{path:str}" in value.paths:
            return []
        return super().register(value)


# Swagger UI's files, served from the installed package (swagger-ui-bundle-v2): `/docs` needs no CDN.
DOCS_ASSETS = "/docs/assets"
docs_assets_router = create_static_files_router(
    path=DOCS_ASSETS,
    directories=[swagger_ui_bundle.swagger_ui_path],
    include_in_schema=False,
    name="docs_assets",
)

_COMPLETED = "openapi_document_completed"


def _complete_document(request: Request[Any, Any, Any]) -> None:
    """Before the first request for the document: Litestar builds it lazily, and so do we (building
    it costs about as much as the rest of the application's start, which every test pays)."""
    state = request.app.state
    if not state.get(_COMPLETED):
        document_parsed_inputs(request.app)
        state[_COMPLETED] = True


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Outbound Profiles",
        version=__version__,
        description=_DESCRIPTION,
        openapi_router=_DocsRouter("/", route_handlers=[], include_in_schema=False, before_request=_complete_document),
        render_plugins=[
            SwaggerRenderPlugin(
                path="/docs",
                js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
            )
        ],
        create_examples=False,
        components=Components(security_schemes=SECURITY_SCHEMES),
        security=SECURITY,
    )


def document_parsed_inputs(app: Litestar) -> None:
    """Add the request bodies (`opt["body"]`) and query parameters (`opt["query_parameters"]`)."""
    document = app.openapi_schema
    handlers = [
        (route.path_format, handler)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
    ]
    bodies = sorted({h.opt["body"] for _, h in handlers if "body" in h.opt}, key=lambda t: t.__name__)
    bodies.append(ErrorEnvelope)
    _, components = msgspec.json.schema_components(bodies, ref_template="#/components/schemas/{name}")
    assert document.components is not None
    schemas: dict[str, Any] = dict(document.components.schemas or {})
    schemas.update(components)
    document.components.schemas = schemas
    for path, handler in handlers:
        item = (document.paths or {}).get(path)
        if item is None:
            continue
        for method in handler.http_methods:
            operation = getattr(item, method.lower())
            if operation is None:
                continue
            if "body" in handler.opt:
                name = handler.opt["body"].__name__
                operation.request_body = RequestBody(
                    content={"application/json": OpenAPIMediaType(schema=Reference(f"#/components/schemas/{name}"))},
                    required=True,
                )
            if handler.opt.get("csv_body"):
                operation.request_body = RequestBody(
                    content={"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))}, required=True
                )
            parameters = [
                Parameter(name=name, param_in="query", schema=schema, description=description, required=False)
                for name, schema, description in handler.opt.get("query_parameters", ())
            ]
            # Every POST is a create, and every create takes an Idempotency-Key (so do the v1 actions);
            # the data plane's POSTs are made idempotent by the call's own id instead.
            if handler.opt.get("idempotency_key", method == "POST"):
                parameters.append(_IDEMPOTENCY_KEY)
                operation.responses["422"] = OpenAPIResponse(
                    description=_REUSED_KEY if not path.startswith("/v2/") else f"{_V2_INVALID} {_REUSED_KEY}",
                    content={
                        "application/json": OpenAPIMediaType(schema=Reference("#/components/schemas/ErrorEnvelope"))
                    },
                )
            precondition = handler.opt.get("preconditions")
            if precondition is not None:
                parameters.append(_PRECONDITIONS[precondition])
                status, description = _PRECONDITION_ANSWERS[precondition]
                content = None if status == "304" else {"application/json": _ERROR_MEDIA}
                operation.responses[status] = OpenAPIResponse(description=description, content=content)
            if parameters:
                operation.parameters = [*(operation.parameters or []), *parameters]
            if handler.opt.get("shows_etag"):
                success = operation.responses.get("200")
                if isinstance(success, OpenAPIResponse):
                    success.headers = {**(success.headers or {}), "ETag": _ETAG}
            if handler.opt.get("csv_download"):  # a streamed CSV file: its schema is text
                success = operation.responses.get("200")
                if isinstance(success, OpenAPIResponse):
                    success.content = {str(handler.media_type): _CSV_MEDIA}
            csv = handler.opt.get("csv")
            if csv is not None:
                success = operation.responses.get("200")
                if isinstance(success, OpenAPIResponse):
                    success.description = f"{success.description} With `Accept: text/csv`, CSV: {csv}"
                    success.content = {**(success.content or {}), "text/csv": _CSV_MEDIA}
            if any(name == "page" for name, _, _ in handler.opt.get("query_parameters", ())):
                success = operation.responses.get("200")
                if isinstance(success, OpenAPIResponse):
                    success.headers = {**(success.headers or {}), **_PAGE_HEADERS}
            error = OpenAPIMediaType(schema=Reference("#/components/schemas/ErrorEnvelope"))
            if handler.opt.get("data_plane"):
                operation.responses["503"] = OpenAPIResponse(
                    description=_DATA_PLANE_OFF, content={"application/json": error}
                )
            for status, description in _ERRORS.items():
                if (status == "404" and "{" not in path) or (
                    status == "413" and not {"body", "csv_body"} & handler.opt.keys()
                ):
                    continue
                if path.startswith("/v2/") and status == "400":
                    # API v2 answers 422 where v1 answers 400 (and never Litestar's own 400).
                    operation.responses.pop("400", None)
                    status, description = "422", _V2_INVALID
                operation.responses[status] = OpenAPIResponse(
                    description=description, content={"application/json": error}
                )


__all__ = ["Schema", "docs_assets_router", "document_parsed_inputs", "openapi_config"]
