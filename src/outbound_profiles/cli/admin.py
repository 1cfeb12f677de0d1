"""`users ...` and `tokens ...`: an operator's administration of tenants and their API tokens."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from outbound_profiles.accounts import service as accounts
from outbound_profiles.accounts.account import DEFAULT_CPS, DEFAULT_MAX_CPS
from outbound_profiles.db.database import Database


def _limit(value: str) -> int | None:
    """A concurrent call limit: a number, or `none` for no limit."""
    if value.lower() == "none":
        return None
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'none': {value!r}") from None


def add_commands(commands: Any, formatter: type[argparse.HelpFormatter]) -> None:
    def parser(group: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        command: argparse.ArgumentParser = group.add_parser(
            name, help=help_text, description=help_text, formatter_class=formatter
        )
        return command

    def json_flag(command: argparse.ArgumentParser) -> None:
        command.add_argument("--json", action="store_true", help="print JSON instead of text")

    users = parser(commands, "users", "administer users (tenants)").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create = parser(users, "create", "create a user and print its first token (shown once)")
    create.add_argument("email", metavar="EMAIL")
    create.add_argument(
        "--concurrent-call-limit",
        type=_limit,
        default=None,
        metavar="N",
        help="the most ports a profile may have; 'none' for no limit",
    )
    create.add_argument(
        "--max-cps", type=int, default=DEFAULT_MAX_CPS, metavar="N", help="the highest CPS a profile may reach"
    )
    create.add_argument(
        "--default-cps", type=int, default=DEFAULT_CPS, metavar="N", help="the CPS a new profile gets (its cps_limit)"
    )
    json_flag(create)
    json_flag(parser(users, "list", "list every user with its settings and active token count"))
    update = parser(users, "update", "change a user's account settings (the others keep their values)")
    update.add_argument("email", metavar="EMAIL")
    update.add_argument(
        "--concurrent-call-limit",
        type=_limit,
        default=accounts.UNCHANGED,
        metavar="N",
        help="the most ports a profile may have; 'none' removes the limit (default: unchanged)",
    )
    update.add_argument(
        "--max-cps", type=int, metavar="N", help="the highest CPS a profile may reach (default: unchanged)"
    )
    update.add_argument("--default-cps", type=int, metavar="N", help="the CPS new profiles get (default: unchanged)")
    json_flag(update)
    for action, help_text in (
        ("disable", "disable a user: its tokens are refused (401) from the next request on"),
        ("enable", "enable a disabled user again: its tokens that were not revoked work again"),
    ):
        command = parser(users, action, help_text)
        command.add_argument("email", metavar="EMAIL")
        json_flag(command)

    tokens = parser(commands, "tokens", "administer API tokens").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    issue = parser(tokens, "create", "issue another token for a user, or a switch token (shown once)")
    issue.add_argument("email", metavar="EMAIL", nargs="?", help="the user the token is for (not with --switch)")
    issue.add_argument(
        "--switch",
        action="store_true",
        help="a token for the SIP switch: it authorizes calls of every tenant and reads no tenant's resources",
    )
    json_flag(issue)
    listing = parser(tokens, "list", "list tokens: id, user, created, last used, revoked (never secrets)")
    listing.add_argument("email", metavar="EMAIL", nargs="?", help="only this user's tokens (default: every user's)")
    json_flag(listing)
    revoke = parser(tokens, "revoke", "revoke a token at once")
    revoke.add_argument("token", metavar="TOKEN_ID", help="the token's id (KEY...), or the whole token")
    json_flag(revoke)


def run(args: argparse.Namespace, database: Database) -> None:
    """Carry out a `users` or `tokens` command (raises `accounts.AccountError` if it cannot)."""
    handler = _HANDLERS[(args.command, args.action)]
    handler(args, lambda work: database.run_sync(work, write=True))


Run = Callable[[Callable[[Connection], Any]], Any]


def _create_user(args: argparse.Namespace, run: Run) -> None:
    credentials = run(
        lambda c: accounts.create_user(
            c,
            args.email,
            concurrent_call_limit=args.concurrent_call_limit,
            max_cps=args.max_cps,
            default_cps=args.default_cps,
        )
    )
    print_credentials(credentials, args.json)


def _create_token(args: argparse.Namespace, run: Run) -> None:
    if args.switch:
        if args.email is not None:
            raise accounts.AccountError("a switch token belongs to no user: give --switch or EMAIL, not both")
        issued = run(accounts.create_switch_token)
        if args.json:
            print(json.dumps({"kind": "switch", "token_id": issued.token_id, "token": issued.token}))
        else:
            print("kind:     switch (authorizes calls of every tenant)")
            print(f"token id: {issued.token_id}")
            print(f"token:    {issued.token}   (shown once; keep it)")
        return
    if args.email is None:
        raise accounts.AccountError("give the EMAIL of the user the token is for, or --switch for a switch token")
    print_credentials(run(lambda c: accounts.create_token(c, args.email)), args.json)


def print_credentials(credentials: accounts.NewCredentials, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "user_id": credentials.user_id,
                    "email": credentials.email,
                    "token_id": credentials.token_id,
                    "token": credentials.token,
                }
            )
        )
    else:
        print(f"user:     {credentials.email} ({credentials.user_id})")
        print(f"token id: {credentials.token_id}")
        print(f"token:    {credentials.token}   (shown once; keep it)")


def _list_users(args: argparse.Namespace, run: Run) -> None:
    users: list[dict[str, Any]] = run(accounts.list_users)
    if args.json:
        print(json.dumps(users))
        return
    _table(
        ["EMAIL", "USER ID", "CALL LIMIT", "DEFAULT CPS", "MAX CPS", "TOKENS", "CREATED", "STATUS"],
        [
            [
                u["email"],
                u["user_id"],
                "none" if u["concurrent_call_limit"] is None else str(u["concurrent_call_limit"]),
                str(u["default_cps"]),
                str(u["max_cps"]),
                str(u["active_tokens"]),
                u["created_at"],
                "active" if u["disabled_at"] is None else f"disabled {u['disabled_at']}",
            ]
            for u in users
        ],
        empty="no users (create one with `outbound-profiles users create EMAIL`)",
    )


def _show_user(email: str, run: Run, as_json: bool) -> None:
    user = next(u for u in run(accounts.list_users) if u["email"].lower() == email.strip().lower())
    if as_json:
        print(json.dumps(user))
        return
    limit = "none" if user["concurrent_call_limit"] is None else user["concurrent_call_limit"]
    status = "active" if user["disabled_at"] is None else f"disabled since {user['disabled_at']}"
    print(f"user:                  {user['email']} ({user['user_id']})")
    print(f"concurrent call limit: {limit}")
    print(f"default CPS:           {user['default_cps']}")
    print(f"maximum CPS:           {user['max_cps']}")
    print(f"status:                {status}")


def _update_user(args: argparse.Namespace, run: Run) -> None:
    run(
        lambda c: accounts.update_user(
            c,
            args.email,
            concurrent_call_limit=args.concurrent_call_limit,
            max_cps=args.max_cps,
            default_cps=args.default_cps,
        )
    )
    _show_user(args.email, run, args.json)


def _set_disabled(args: argparse.Namespace, run: Run) -> None:
    disabled = args.action == "disable"
    changed = run(lambda c: accounts.set_disabled(c, args.email, disabled))
    if not changed and not args.json:
        print(f"{args.email} was already {'disabled' if disabled else 'enabled'}")
    _show_user(args.email, run, args.json)


def _list_tokens(args: argparse.Namespace, run: Run) -> None:
    tokens: list[dict[str, Any]] = run(lambda c: accounts.list_tokens(c, args.email))
    if args.json:
        print(json.dumps(tokens))
        return
    _table(
        ["TOKEN ID", "EMAIL", "CREATED", "LAST USED", "STATUS"],
        [
            [
                t["token_id"],
                t["email"] or "(switch)",
                t["created_at"],
                t["last_used_at"] or "never",
                "active" if t["revoked_at"] is None else f"revoked {t['revoked_at']}",
            ]
            for t in tokens
        ],
        empty="no tokens",
    )


def _revoke_token(args: argparse.Namespace, run: Run) -> None:
    token_id = run(lambda c: accounts.revoke_token(c, args.token))
    print(json.dumps({"token_id": token_id, "revoked": True}) if args.json else f"revoked {token_id}")


def _table(headers: list[str], rows: list[list[str]], *, empty: str) -> None:
    if not rows:
        print(empty)
        return
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


_HANDLERS: dict[tuple[str, str], Callable[[argparse.Namespace, Run], None]] = {
    ("users", "create"): _create_user,
    ("users", "list"): _list_users,
    ("users", "update"): _update_user,
    ("users", "disable"): _set_disabled,
    ("users", "enable"): _set_disabled,
    ("tokens", "create"): _create_token,
    ("tokens", "list"): _list_tokens,
    ("tokens", "revoke"): _revoke_token,
}
