"""`import telnyx`, `import json` and `export`: copying a tenant's resources in and out."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from outbound_profiles.accounts import repository as accounts
from outbound_profiles.accounts.account import Account
from outbound_profiles.accounts.service import AccountError
from outbound_profiles.cli.failures import CONFIGURATION, Failure
from outbound_profiles.db.database import Database
from outbound_profiles.transfer import archive, telnyx


def add_commands(commands: Any, formatter: type[argparse.HelpFormatter]) -> None:
    imports = commands.add_parser(
        "import", help="copy resources into a user's account", formatter_class=formatter
    ).add_subparsers(dest="action", required=True, metavar="SOURCE")
    from_telnyx = imports.add_parser(
        "telnyx",
        help="copy a Telnyx account's billing groups and outbound voice profiles (API v2)",
        description="Copy a Telnyx account's billing groups and outbound voice profiles (API v2, every page) "
        "into a user's account. Run again, it updates what it copied before (matched by Telnyx id); what "
        "this service's rules refuse is skipped, with the reason.",
        formatter_class=formatter,
    )
    from_telnyx.add_argument(
        "--api-key",
        default=os.environ.get("TELNYX_API_KEY"),
        help="the Telnyx API key (default: $TELNYX_API_KEY)",
    )
    from_telnyx.add_argument("--base-url", default=telnyx.DEFAULT_BASE_URL, help="the Telnyx API v2 base URL")
    from_telnyx.add_argument(
        "--page-size", type=int, default=telnyx.PAGE_SIZE, choices=range(1, 251), metavar="N", help="items per request"
    )
    from_telnyx.add_argument("--user", required=True, metavar="EMAIL", help="the user to copy into")
    from_telnyx.add_argument("--json", action="store_true", help="print the outcome of each resource as JSON")
    from_file = imports.add_parser(
        "json",
        help="copy what `export` wrote into a user's account",
        description="Copy the billing groups, connections and profiles of an export into a user's account. "
        "Importing the same file again updates what the first import made.",
        formatter_class=formatter,
    )
    from_file.add_argument("file", metavar="FILE", help="the export ('-' for standard input)")
    from_file.add_argument("--user", required=True, metavar="EMAIL", help="the user to copy into")
    from_file.add_argument("--json", action="store_true", help="print the outcome of each resource as JSON")

    export = commands.add_parser(
        "export",
        help="write a user's billing groups, connections and profiles as JSON",
        formatter_class=formatter,
    )
    export.add_argument("--user", required=True, metavar="EMAIL", help="the user whose resources to write")
    export.add_argument("--output", "-o", metavar="FILE", help="where to write it (default: standard output)")


def run(args: argparse.Namespace, database: Database) -> None:
    account = _account(database, args.user)
    if args.command == "export":
        document = database.run_sync(lambda c: archive.export(c, account), write=False)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    progress = _Progress()
    if args.action == "telnyx":
        if not args.api_key:
            raise Failure("import telnyx needs an API key: --api-key KEY or TELNYX_API_KEY", CONFIGURATION)
        summary = telnyx.run(
            database, account, api_key=args.api_key, base_url=args.base_url, page_size=args.page_size, progress=progress
        )
    else:
        summary = archive.restore(database, account, _read_export(args.file), progress)
    progress.done()
    if args.json:
        print(json.dumps([o.as_dict() for o in summary.outcomes]))
    else:
        print("\n".join(summary.lines()) or "nothing to copy")


def _account(database: Database, email: str) -> Account:
    row = database.run_sync(lambda c: accounts.find_user_by_email(c, email), write=False)
    if row is None:
        raise AccountError(f"no user with the email {email!r} (see `outbound-profiles users list`)")
    return Account.from_row(row)


def _read_export(name: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        return archive.read(json.loads(text))
    except OSError as error:
        raise Failure(f"cannot read {name}: {error.strerror}", CONFIGURATION) from None
    except (json.JSONDecodeError, archive.ArchiveError) as error:
        raise Failure(f"{name} is not an export: {error}", CONFIGURATION) from None


class _Progress:
    """A progress line on a terminal's stderr (nothing when stderr is a file or a pipe)."""

    def __init__(self) -> None:
        self._shown = sys.stderr.isatty()
        self._open = False

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self._shown:
            return
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r{what:<15} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
        self._open = done < total

    def done(self) -> None:
        if self._open:
            sys.stderr.write("\n")
            self._open = False


__all__ = ["add_commands", "run"]
