"""The statements the service runs for a request, and their plans (EXPLAIN ANALYZE) on PostgreSQL.

`capture` runs a piece of the service's own code (a service function, with a real Account) on an
engine built the way the service builds it, and records every statement it sends with its
parameters: so what is explained is exactly what a request runs, not a hand-written copy.
`explain` runs `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` of one of them and sums the plan up.

A plan is read for what the benchmark asks: does it start from an index on the tenant, is the
order read from an index or sorted, how many rows and buffers it touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event

Statement = tuple[str, dict[str, Any]]
_SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan")


@contextmanager
def capture(engine: Engine) -> Iterator[list[Statement]]:
    """Every statement sent through `engine` inside the block, with its parameters (pyformat)."""
    captured: list[Statement] = []

    def grab(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        captured.append((statement, dict(parameters or {})))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def kind(statement: str) -> str:
    """A short name for one of the service's profile statements."""
    text = " ".join(statement.split()).lower()
    if text.startswith("select count(*)"):
        return "count"
    if "from connections" in text:
        return "connections"
    if "from outbound_profiles" in text and " limit " in text:
        return "page"
    if "from outbound_profiles" in text:
        return "profile"
    return text[:24]


@dataclass
class Plan:
    statement: str
    execution_ms: float
    planning_ms: float
    buffers: int  # shared blocks hit + read by the whole plan
    summary: str  # e.g. "Limit > Sort[top-N heapsort] > Index Scan ix_... (500 rows)"
    seq_scans: list[str] = field(default_factory=list)  # tables read whole
    sorted_rows: int | None = None  # rows fed to a Sort node (None: the order came from an index)
    sort_node: str | None = None  # "Sort" or "Incremental Sort" (which only sorts ties of an index order)
    rows_read: int = 0  # rows the access paths touched: index entries, or table rows of a Seq Scan (filtered too)
    indexes: list[str] = field(default_factory=list)
    text: list[Any] = field(default_factory=list)  # the JSON plan as PostgreSQL gave it


def _describe(node: dict[str, Any], plan: Plan) -> str:
    kind_: str = node["Node Type"]
    label = kind_
    rows = int(node.get("Actual Rows", 0)) * int(node.get("Actual Loops", 1))
    if "Index Name" in node:
        label += f" {node['Index Name']}"
        plan.indexes.append(node["Index Name"])
    elif "Relation Name" in node:
        label += f" on {node['Relation Name']}"
    if kind_ == "Seq Scan":
        plan.seq_scans.append(node["Relation Name"])
    if "Sort Method" in node:
        label += f"[{node['Sort Method']}]"
    if kind_ in _SCANS:
        removed = int(node.get("Rows Removed by Filter", 0)) * int(node.get("Actual Loops", 1))
        label += f" ({rows} rows, {removed} filtered out)" if removed else f" ({rows} rows)"
        if kind_ != "Bitmap Heap Scan":  # the entries it visits are counted at its Bitmap Index Scan
            plan.rows_read += rows + removed
    children = [_describe(child, plan) for child in node.get("Plans", [])]
    if kind_ in ("Sort", "Incremental Sort") and node.get("Plans"):
        child = node["Plans"][0]
        plan.sorted_rows = int(child.get("Actual Rows", 0)) * int(child.get("Actual Loops", 1))
        plan.sort_node = kind_
    if not children:
        return label
    if len(children) == 1:
        return f"{label} > {children[0]}"
    return f"{label}({'; '.join(children)})"


def explain(connection: psycopg.Connection[tuple[Any, ...]], statement: Statement) -> Plan:
    """EXPLAIN ANALYZE of one captured statement, with the parameters the service gave it."""
    sql, params = statement
    row = connection.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}".encode(), params).fetchone()
    if row is None:
        raise RuntimeError("EXPLAIN returned nothing")
    document = row[0]
    top = document[0]
    node = top["Plan"]
    plan = Plan(
        statement=sql,
        execution_ms=float(top["Execution Time"]),
        planning_ms=float(top["Planning Time"]),
        buffers=int(node.get("Shared Hit Blocks", 0)) + int(node.get("Shared Read Blocks", 0)),
        summary="",
        text=document,
    )
    plan.summary = _describe(node, plan)
    return plan


def explain_all(
    connection: psycopg.Connection[tuple[Any, ...]], run: Callable[[], object], engine: Engine
) -> list[tuple[str, Plan]]:
    """Run `run` (service code on `engine`), then explain each statement it sent, named by `kind`."""
    with capture(engine) as statements:
        run()
    return [(kind(s[0]), explain(connection, s)) for s in statements]
