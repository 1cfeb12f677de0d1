"""`/healthz` (the process answers) and `/readyz` (and its database does). No credentials: they say
nothing about any tenant. Left out of the API document: they are for operators' probes."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, get
from sqlalchemy.exc import SQLAlchemyError

from outbound_profiles.db.database import Database


class Health(msgspec.Struct):
    status: str


@get("/healthz", include_in_schema=False)
async def healthz() -> Health:
    return Health("ok")


@get("/readyz", include_in_schema=False)
async def readyz(request: Request[Any, Any, Any]) -> Response[Health]:
    database: Database = request.app.state.database
    try:
        await database.read(lambda connection: connection.exec_driver_sql("SELECT 1").scalar_one())
    except SQLAlchemyError:
        return Response(Health("database unreachable"), status_code=503)
    return Response(Health("ready"))


router = Router(path="/", route_handlers=[healthz, readyz])
