"""Logs as JSON, one object per line on stderr, each naming the request it was written for.

    {"timestamp": "2026-11-27T10:15:02.123Z", "level": "INFO", "logger": "outbound_profiles.access",
     "message": "PUT /termination/endpoints/42 200", "pid": 4711, "request_id": "3f1c...",
     "method": "PUT", "route": "/termination/endpoints/{profile_id}", "path": "/termination/endpoints/42",
     "status": 200, "duration_ms": 1.234}

`request_id` comes from the context of the request being served (set by the middleware), so every
record written while serving it carries the id, whatever logger wrote it; `traceback` is there when
the record has an exception. `serve` installs this for uvicorn's loggers and every other one
(`log_config`); the application itself leaves logging to the process that runs it.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import Any

import msgspec

REQUEST_ID: ContextVar[str | None] = ContextVar("outbound_profiles.request_id", default=None)
ACCESS_LOGGER = "outbound_profiles.access"
# uvicorn's names for levels (it adds TRACE, 5, below DEBUG).
LEVELS = {"critical": 50, "error": 40, "warning": 30, "info": 20, "debug": 10, "trace": 5}
# Attributes the access log passes with `extra=`, copied to the JSON object when present.
_FIELDS = ("method", "route", "path", "status", "duration_ms")
_encoder = msgspec.json.Encoder(enc_hook=str)


class JsonFormatter(logging.Formatter):
    # (second, its text): one tuple, swapped whole, so threads logging at once never pair a second
    # with another second's text.
    _stamp: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        stamp = self._stamp
        if stamp[0] != second:  # strftime once a second, not once a line
            stamp = self._stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        entry: dict[str, Any] = {
            "timestamp": f"{stamp[1]}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        attributes = record.__dict__
        for name in _FIELDS:
            value = attributes.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _encoder.encode(entry).decode()


def level_number(name: str) -> int:
    """The level for OUTBOUND_PROFILES_LOG_LEVEL's value (uvicorn's names, any case)."""
    try:
        return LEVELS[name.lower()]
    except KeyError:
        raise ValueError(f"OUTBOUND_PROFILES_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {name!r}") from None


def log_config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for uvicorn's `log_config`: every logger, uvicorn's included,
    writes JSON lines to stderr at `level`. uvicorn's own access log stays off (`serve` passes
    `access_log=False`): the middleware writes a richer one to `outbound_profiles.access`."""
    number = level_number(level)
    propagate = {"handlers": [], "level": number, "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": number},
        "loggers": {
            name: dict(propagate) for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "outbound_profiles")
        },
    }
