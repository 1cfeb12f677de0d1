"""`GET /metrics`: the Prometheus text exposition. No credentials, like the health probes (it says
nothing about any tenant), and left out of the API document."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get

from outbound_profiles.observability.metrics import CONTENT_TYPE, Metrics


@get("/metrics", include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    registry: Metrics = request.app.state.metrics
    data_plane = request.app.state.data_plane
    if data_plane is not None:
        await data_plane.count_active_calls()
    return Response(registry.render(), media_type=CONTENT_TYPE)


router = Router(path="/", route_handlers=[metrics])
