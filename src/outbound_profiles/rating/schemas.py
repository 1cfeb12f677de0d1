"""What the rate deck routes answer."""

from __future__ import annotations

import msgspec


class RateDeckOut(msgspec.Struct):
    rows: int  # rows of the deck set (PUT) or removed (DELETE)
