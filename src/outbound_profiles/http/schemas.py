"""Response shapes shared by all resources."""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType


class ErrorSource(msgspec.Struct, omit_defaults=True):
    pointer: str | UnsetType = UNSET
    parameter: str | UnsetType = UNSET
    line: int | UnsetType = UNSET  # an uploaded CSV file's line (1-based)
    column: int | UnsetType = UNSET  # and column (1-based)


class ErrorObject(msgspec.Struct, omit_defaults=True):
    code: str
    title: str
    detail: str
    source: ErrorSource | UnsetType = UNSET


class ErrorEnvelope(msgspec.Struct):
    errors: list[ErrorObject]
