"""Statements of the hot path, compiled once and run on SQLite's driver directly.

Running a prebuilt Core statement through SQLAlchemy still costs about 100 µs of Python per
execution (execution context, parameter processing, result set-up), several times what SQLite
needs for the statement itself. A `Prepared` statement is compiled once per dialect; on SQLite
it runs on the driver's connection, inside the transaction the request already holds, with
SQLAlchemy's own bind processors (JSON, booleans, timestamps) applied to its parameters, so what
is stored is exactly what `Connection.execute` would store. Elsewhere it goes through SQLAlchemy.
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


class Prepared:
    """An INSERT, UPDATE or DELETE whose parameters are all named bind parameters (`execute`), or a
    SELECT of columns stored as their Python values, text and integers (`first`: no result
    processing on SQLite)."""

    __slots__ = ("_compiled", "_last", "statement")

    def __init__(self, statement: UpdateBase | Select[Any]) -> None:
        self.statement = statement
        # Per dialect: each engine's dialect brings its own JSON serializer (tests build many engines).
        self._compiled: WeakKeyDictionary[Dialect, tuple[str, tuple[Bind, ...]]] = WeakKeyDictionary()
        # The dialect used last and its compiled form: a server has one engine, and a weak
        # dictionary's look-up is a Python call.
        self._last: tuple[Dialect, str, tuple[Bind, ...]] | None = None

    def execute(self, connection: Connection, parameters: Mapping[str, Any]) -> int:
        """Run it with `parameters` in the connection's transaction; the number of rows it touched."""
        if connection.dialect.name != "sqlite":
            return connection.execute(self.statement, dict(parameters)).rowcount
        rowcount: int = self._run(connection, parameters).rowcount
        return rowcount

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row the SELECT finds with `parameters`, in the connection's transaction."""
        if connection.dialect.name != "sqlite":
            row = connection.execute(self.statement, dict(parameters)).first()
            return None if row is None else tuple(row)
        found: tuple[Any, ...] | None = self._run(connection, parameters).fetchone()
        return found

    def _run(self, connection: Connection, parameters: Mapping[str, Any]) -> sqlite3.Cursor:
        dialect = connection.dialect
        last = self._last
        if last is not None and last[0] is dialect:
            sql, binds = last[1], last[2]
        else:
            sql, binds = self._compiled.get(dialect) or self._compile(dialect)
            self._last = (dialect, sql, binds)
        driver = driver_of(connection)
        values = [parameters[name] if process is None else process(parameters[name]) for name, process in binds]
        try:
            cursor: sqlite3.Cursor = driver.execute(sql, values)
        except sqlite3.Error as error:
            # The same exception SQLAlchemy would raise, so callers handle one kind of error.
            raise DBAPIError.instance(sql, values, error, sqlite3.Error, dialect=dialect) from error
        return cursor

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[Bind, ...]]:
        compiled = self.statement.compile(dialect=dialect)
        assert compiled.positiontup is not None, "SQLite binds positionally"
        # The dialect's own type (SQLite's DATETIME, not the generic DateTime) has the processor that
        # Connection.execute would apply.
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup
        )
        self._compiled[dialect] = (compiled.string, binds)
        return self._compiled[dialect]
