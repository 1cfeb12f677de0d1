"""`rate-decks import` and `rate-decks show`: the operator's default rate deck."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

from outbound_profiles.cli.failures import CONFIGURATION, RUNTIME, Failure
from outbound_profiles.db.database import Database
from outbound_profiles.domain.timestamps import iso8601
from outbound_profiles.rating import repository, service

_FORMAT = (
    "The file is CSV with a header line: prefix,country,rate[,connect_fee[,initial_increment"
    "[,subsequent_increment]]]. prefix: 1 to 15 digits, no '+'; country: ISO 3166-1 alpha-2, or empty "
    "for a non-geographic prefix; rate: USD a minute; connect_fee: USD a call (default 0); increments: "
    "seconds (default 60 and 60). A deck with any problem is refused whole, each problem named by line "
    "and column, and the deck in effect stays."
)


def add_commands(commands: Any, formatter: type[argparse.HelpFormatter]) -> None:
    decks = commands.add_parser(
        "rate-decks", help="the default rate deck (what each destination prefix costs)", formatter_class=formatter
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    load = decks.add_parser(
        "import",
        help="replace the default rate deck with a CSV file, all of it or nothing",
        description="Replace the default rate deck with FILE. The deck in effect stays in effect until the new "
        "one is wholly stored. " + _FORMAT,
        formatter_class=formatter,
    )
    load.add_argument("file", metavar="FILE", help="the deck's CSV ('-' for standard input)")
    load.add_argument("--json", action="store_true", help="print the outcome (or the problems) as JSON")
    show = decks.add_parser("show", help="the default rate deck in effect: id, rows, when", formatter_class=formatter)
    show.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace, database: Database) -> int:
    if args.action == "show":
        return _show(args, database)
    with _open(args.file) as stream:
        progress = _Progress(stream)
        try:
            imported = service.import_default_deck(database, progress.lines())
        except service.DeckRefused as refused:
            progress.done()
            return _refused(refused, args.json)
        except UnicodeDecodeError as error:
            progress.done()
            raise Failure(f"{args.file} is not UTF-8 text: {error.reason} at byte {error.start}", RUNTIME) from None
        progress.done()
    if args.json:
        print(
            json.dumps(
                {
                    "deck_id": str(imported.deck_id),
                    "rows": imported.rows,
                    "replaced": None if imported.replaced is None else str(imported.replaced),
                    "seconds": round(imported.seconds, 3),
                }
            )
        )
    else:
        replaced = "" if imported.replaced is None else f", replacing {imported.replaced}"
        print(f"rate deck {imported.deck_id} in effect: {imported.rows:,} rows{replaced} ({imported.seconds:.1f} s)")
    return 0


def _open(name: str) -> IO[str]:
    if name == "-":
        return open(sys.stdin.fileno(), encoding="utf-8-sig", newline="", closefd=False)
    try:
        return open(name, encoding="utf-8-sig", newline="")
    except OSError as error:
        raise Failure(f"cannot read {name}: {error.strerror}", CONFIGURATION) from None


def _refused(refused: service.DeckRefused, as_json: bool) -> int:
    total = len(refused.problems) + refused.more
    if as_json:
        problems = [p._asdict() for p in refused.problems]
        print(json.dumps({"refused": True, "problems": problems, "more_problems": refused.more}))
        return RUNTIME
    for problem in refused.problems:
        print(problem, file=sys.stderr)
    more = f" (the first {len(refused.problems)} above)" if refused.more else ""
    print(
        f"outbound-profiles: the rate deck was refused: {total} problem{'s' if total != 1 else ''}{more}; "
        "nothing was changed",
        file=sys.stderr,
    )
    return RUNTIME


def _show(args: argparse.Namespace, database: Database) -> int:
    summary = database.run_sync(repository.default_deck_summary, write=False)
    if summary is None:
        print("null" if args.json else "no default rate deck (import one with `outbound-profiles rate-decks import`)")
        return 0
    shown = {
        "deck_id": str(summary["deck_id"]),
        "rows": summary["rows"],
        "imported_at": iso8601(summary["created_at"]),
        "in_effect_at": iso8601(summary["in_effect_at"]),
    }
    if args.json:
        print(json.dumps(shown))
    else:
        for name, value in shown.items():
            print(f"{name + ':':<14}{value}")
    return 0


class _Progress:
    """How much of the file is read, as a line on a terminal's stderr redrawn every 1% (nothing when
    stderr is a file or a pipe, or the file's size is unknown)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        try:
            size = os.fstat(stream.fileno()).st_size
        except (OSError, ValueError):
            size = 0
        self._size = size
        self._shown = sys.stderr.isatty() and size > 0
        self._open = False

    def lines(self) -> Iterator[str]:
        if not self._shown:
            yield from self._stream
            return
        step = max(self._size // 100, 1)
        read, next_at = 0, step
        for line in self._stream:
            read += len(line)  # characters: bytes, for the ASCII a deck is
            if read >= next_at:
                next_at = read + step
                self._draw(min(read, self._size))
            yield line
        self._draw(self._size)

    def _draw(self, read: int) -> None:
        width = 30
        filled = width * read // self._size
        sys.stderr.write(f"\rimporting [{'#' * filled}{'.' * (width - filled)}] {100 * read // self._size:3d}%")
        sys.stderr.flush()
        self._open = True

    def done(self) -> None:
        if self._open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._open = False
