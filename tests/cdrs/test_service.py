"""The CSV download reads in chunks and holds one at a time, however many records it sends."""

from __future__ import annotations

import asyncio
import sys

import pytest

from outbound_profiles.cdrs import service
from outbound_profiles.cdrs.repository import Filters
from outbound_profiles.db.database import Database
from outbound_profiles.domain.timestamps import now
from tests.cdrs.conftest import Records, count_reads
from tests.conftest import Tenant

RECORDS = 50_000


def test_a_large_download_is_read_in_chunks_and_holds_one_at_a_time(
    database: Database, tenant: Tenant, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    records.many(tenant, RECORDS)
    reads = count_reads(monkeypatch)

    async def stream() -> tuple[list[int], list[int]]:
        lines: list[int] = []
        # Python's allocated blocks after each chunk: what the download holds grows with the records
        # if it keeps them (a record is a dozen blocks), not if it lets each chunk go.
        blocks: list[int] = []
        try:
            # As the router does: nothing but the stream keeps the download's first chunk.
            download = database.read(lambda c: service.start_download(c, tenant.account, Filters(), now(), None))
            async for chunk in service.csv_chunks(database, await download):
                lines.append(chunk.count(b"\n"))
                blocks.append(sys.getallocatedblocks())
        finally:
            await database.close_connections()
        return lines, blocks

    lines, blocks = asyncio.run(stream())

    assert sum(lines) == 1 + RECORDS
    assert max(lines[1:]) == service.CHUNK_ROWS  # one chunk a piece, nothing gathered
    full, rest = divmod(RECORDS, service.CHUNK_ROWS)
    assert reads == [service.CHUNK_ROWS] * full + [rest]  # each chunk its own read; the last, shorter one ends it
    # A record read holds about 16 blocks: keeping the records already sent breaks this bound within a
    # few chunks.
    assert max(blocks) - blocks[1] < service.CHUNK_ROWS * 5, blocks
