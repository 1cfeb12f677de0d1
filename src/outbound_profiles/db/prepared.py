"""Statements of the hot path, compiled once and run on SQLite's driver directly.

Running a prebuilt Core statement through SQLAlchemy still costs about 100 µs of Python per
execution (execution context, parameter processing, result set-up), several times what SQLite
needs for the statement itself. A `Prepared` statement is compiled once per dialect; on SQLite
it runs on the driver's connection, inside the transaction the request already holds, with
SQLAlchemy's own bind processors (JSON, booleans, timestamps) applied to its parameters, so what
is stored is exactly what `Connection.execute` would store, and its result processors applied to
a row read, so what is read is what `Connection.execute` would give. Elsewhere it goes through
SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Select, UpdateBase

from outbound_profiles.db.group_commit import driver_of

Bind = tuple[str, Callable[[Any], Any] | None]
Result = tuple[int, Callable[[Any], Any]]  # a column's place in the row, and its result processor
Compiled = tuple[str, tuple[Bind, ...], tuple[Result, ...]]
# SQLAlchemy keeps the rowcount of an UPDATE or DELETE only, unless asked: an INSERT's is -1 on psycopg.
_ROWCOUNT = {"preserve_rowcount": True}


class Prepared:
    """An INSERT, UPDATE or DELETE whose parameters are all named bind parameters (`execute`), or a
    SELECT of columns (`first`)."""

    __slots__ = ("_compiled", "_last", "statement")

    def __init__(self, statement: UpdateBase | Select[Any]) -> None:
        self.statement = statement
        # Per dialect: each engine's dialect brings its own JSON serializer (tests build many engines).
        self._compiled: WeakKeyDictionary[Dialect, Compiled] = WeakKeyDictionary()
        # The dialect used last and its compiled form: a server has one engine, and a weak
        # dictionary's look-up is a Python call.
        self._last: tuple[Dialect, Compiled] | None = None

    def execute(self, connection: Connection, parameters: Mapping[str, Any]) -> int:
        """Run it with `parameters` in the connection's transaction; the number of rows it touched."""
        if connection.dialect.name != "sqlite":
            return connection.execute(self.statement, dict(parameters), execution_options=_ROWCOUNT).rowcount
        rowcount: int = self._run(connection, self._for(connection.dialect), parameters).rowcount
        return rowcount

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row the SELECT finds with `parameters`, in the connection's transaction."""
        if connection.dialect.name != "sqlite":
            row = connection.execute(self.statement, dict(parameters)).first()
            return None if row is None else tuple(row)
        compiled = self._for(connection.dialect)
        found: tuple[Any, ...] | None = self._run(connection, compiled, parameters).fetchone()
        results = compiled[2]
        if found is None or not results:
            return found
        values = list(found)
        for index, process in results:
            values[index] = process(values[index])
        return tuple(values)

    def _for(self, dialect: Dialect) -> Compiled:
        last = self._last
        if last is None or last[0] is not dialect:
            last = self._last = (dialect, self._compiled.get(dialect) or self._compile(dialect))
        return last[1]

    @staticmethod
    def _run(connection: Connection, compiled: Compiled, parameters: Mapping[str, Any]) -> sqlite3.Cursor:
        sql, binds, _ = compiled
        values = [parameters[name] if process is None else process(parameters[name]) for name, process in binds]
        try:
            cursor: sqlite3.Cursor = driver_of(connection).execute(sql, values)
        except sqlite3.Error as error:
            # The same exception SQLAlchemy would raise, so callers handle one kind of error.
            raise DBAPIError.instance(sql, values, error, sqlite3.Error, dialect=connection.dialect) from error
        return cursor

    def _compile(self, dialect: Dialect) -> Compiled:
        compiled = self.statement.compile(dialect=dialect)
        assert compiled.positiontup is not None, "SQLite binds positionally"
        # The dialect's own type (SQLite's DATETIME, not the generic DateTime) has the processor that
        # Connection.execute would apply.
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup
        )
        columns = self.statement.selected_columns if isinstance(self.statement, Select) else ()
        results = tuple(
            (index, process)
            for index, column in enumerate(columns)
            if (process := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
        )
        self._compiled[dialect] = (compiled.string, binds, results)
        return self._compiled[dialect]
