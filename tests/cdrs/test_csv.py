"""`GET /termination/cdrs` with `Accept: text/csv`: the same records, fields and filters as the JSON,
every matching record unless a page is asked for, read in chunks that each see the same records."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.cdrs import repository, service
from outbound_profiles.domain.timestamps import now
from tests.cdrs.conftest import PATH, PROFILE, T0, Records, count_reads
from tests.conftest import Tenant

HEADER = (
    "call_id,outbound_profile_id,connection_id,billing_group_id,to,from,destination_country,started_at,"
    "ended_at,duration_seconds,billed_seconds,rate,connect_fee,cost,end_reason"
)


def download(client: TestClient[Any], tenant: Tenant, **params: Any) -> tuple[list[dict[str, str]], Any]:
    response = client.get(PATH, params=params, headers={**tenant.headers, "Accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.split("\n", 1)[0] == HEADER
    return list(csv.DictReader(io.StringIO(response.text))), response


def test_the_csv_has_the_jsons_members_as_columns(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(tenant, call_id="c1", cost_micros=11_000)
    records(tenant, call_id="c2", rate=None, connect_fee=None, billed_seconds=None, cost_micros=None)
    as_json = client.get(PATH, headers=tenant.headers).json()

    rows, response = download(client, tenant)

    assert response.headers["X-Total-Count"] == "2"
    assert response.headers["content-disposition"] == 'attachment; filename="cdrs.csv"'
    assert [list(row) for row in rows] == [HEADER.split(",")] * 2
    # The same values as the JSON, null as an empty field.
    assert rows == [{k: "" if v is None else str(v) for k, v in record.items()} for record in as_json]
    assert rows[0]["cost"] == "0.011000"
    assert response.text.endswith("\n")


def test_fields_that_need_it_are_quoted(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(tenant, call_id='a "quoted", call', caller="Alice, Bob")

    rows, response = download(client, tenant)

    assert rows[0]["call_id"] == 'a "quoted", call'
    assert rows[0]["from"] == "Alice, Bob"
    assert '"a ""quoted"", call"' in response.text


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        ("text/csv", True),
        ("text/csv;q=0.5", True),
        ("application/json;q=0.1, text/csv", True),
        ("text/*", True),
        ("text/csv;q=0.1, application/json", False),
        ("*/*", False),
        ("text/csv;q=0", False),  # refused: "not CSV"
        ("text/csv; q=0.000, text/html", False),
    ],
)
def test_csv_is_answered_when_the_accept_header_prefers_it(
    client: TestClient[Any], tenant: Tenant, records: Records, accept: str, csv: bool
) -> None:
    records(tenant)

    response = client.get(PATH, headers={**tenant.headers, "Accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"] == ("text/csv; charset=utf-8" if csv else "application/json")


def test_an_empty_list_is_the_header_alone(client: TestClient[Any], tenant: Tenant) -> None:
    rows, response = download(client, tenant)

    assert rows == []
    assert response.text == HEADER + "\n"
    assert response.headers["X-Total-Count"] == "0"


def test_the_csv_is_the_callers_ended_calls_filtered(
    client: TestClient[Any], tenant: Tenant, other_tenant: Tenant, records: Records
) -> None:
    records(tenant, call_id="mine", started_at=T0 + timedelta(hours=1))
    records(tenant, call_id="mine-early", started_at=T0)
    records(tenant, call_id="mine-active", started_at=T0 + timedelta(hours=1), ended=False)
    records(tenant, call_id="mine-other-profile", started_at=T0 + timedelta(hours=1), outbound_profile_id=PROFILE + 1)
    records(other_tenant, call_id="theirs", started_at=T0 + timedelta(hours=1))

    everything, _ = download(client, tenant)
    params = {"filter[outbound_profile_id]": str(PROFILE), "filter[started_at][gte]": "2026-12-01T10:00:00Z"}
    filtered, response = download(client, tenant, **params)

    assert [r["call_id"] for r in everything] == ["mine-early", "mine", "mine-other-profile"]
    assert [r["call_id"] for r in filtered] == ["mine"]
    assert response.headers["X-Total-Count"] == "1"


def test_without_page_every_record_with_it_that_page(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records.insert([records.values(tenant, started_at=T0 + timedelta(seconds=i)) for i in range(150)])

    everything, whole = download(client, tenant)
    page, paged = download(client, tenant, page=2, per_page=40)
    first, _ = download(client, tenant, per_page=40)

    assert len(everything) == 150  # more than a JSON page (100)
    assert whole.headers["X-Total-Count"] == paged.headers["X-Total-Count"] == "150"
    assert page == everything[40:80]
    assert first == everything[:40]
    assert 'page=3&per_page=40>; rel="next"' in paged.headers["Link"]


def test_the_records_are_read_in_chunks_that_split_equal_starts(
    client: TestClient[Any], tenant: Tenant, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 7 calls a second, so calls with the same start straddle chunks of 100 (ties go by call_id).
    rows = [records.values(tenant, call_id=f"c{i:04d}", started_at=T0 + timedelta(seconds=i // 7)) for i in range(1050)]
    records.insert(list(reversed(rows)))
    reads = count_reads(monkeypatch)
    monkeypatch.setattr(service, "CHUNK_ROWS", 100)

    downloaded, _ = download(client, tenant)

    assert [r["call_id"] for r in downloaded] == [f"c{i:04d}" for i in range(1050)]
    assert reads == [100] * 10 + [50]  # each chunk a read of its own, none larger than a chunk


def test_a_call_that_ends_during_the_download_is_left_out(
    client: TestClient[Any], tenant: Tenant, records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [records.values(tenant, call_id=f"c{i:03d}", started_at=T0 + timedelta(seconds=i)) for i in range(30)]
    records.insert(rows)
    monkeypatch.setattr(service, "CHUNK_ROWS", 10)
    original = repository.after

    ended: list[str] = []

    def after_another_call_ended(*args: Any) -> Sequence[Any]:
        # Between two chunks: a call that started before the download began (and after every record
        # read so far) ends now, after it began (once: a read may be tried from the caches first).
        if args[4] is not None and args[4][1] == "c009" and not ended:
            ended.append("late")
            records(tenant, call_id="late", started_at=now() - timedelta(seconds=5), duration_seconds=5)
        return original(*args)

    monkeypatch.setattr(repository, "after", after_another_call_ended)

    downloaded, response = download(client, tenant)

    assert [r["call_id"] for r in downloaded] == [f"c{i:03d}" for i in range(30)]
    assert response.headers["X-Total-Count"] == "30"
    monkeypatch.setattr(repository, "after", original)
    assert "late" in [r["call_id"] for r in download(client, tenant)[0]]  # the next download has it


@pytest.mark.parametrize(
    ("sent", "written"),
    [
        ("+12025550123", "+12025550123"),
        ("+1 (202) 555-0123", "+1 (202) 555-0123"),
        ("-5", "-5"),
        ("2025550123", "2025550123"),
        ("anonymous", "anonymous"),
        ('=HYPERLINK("http://x.io","x")', '\'=HYPERLINK("http://x.io","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|'/C calc'!A0", "'-2+3+cmd|'/C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("=1+1", "'=1+1"),
        (" =1+A1", "' =1+A1"),
        ("\u00a0@SUM(A1)", "'\u00a0@SUM(A1)"),
        ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"),
        ("\uff0bcmd|' /C calc'!A0", "'\uff0bcmd|' /C calc'!A0"),
        (" +12025550123", " +12025550123"),
    ],
)
def test_what_the_switch_sent_is_never_a_formula_in_a_spreadsheet(
    client: TestClient[Any], tenant: Tenant, records: Records, sent: str, written: str
) -> None:
    """The call id and numbers come from the SIP request, which the tenant's callers write: a value a
    spreadsheet would run gets a leading apostrophe in the CSV; a number, however written, does not."""
    records(tenant, call_id=sent, to=sent, caller=sent)

    rows, _ = download(client, tenant)

    assert [rows[0][name] for name in ("call_id", "to", "from")] == [written] * 3
    assert client.get(PATH, headers=tenant.headers).json()[0]["from"] == sent  # the JSON is as sent
