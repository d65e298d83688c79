"""Operations from the shell: ``python -m commerce_dash.cli <command>``."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from commerce_dash.backups import BackupError, backup, restore
from commerce_dash.db import get_engine, reset_engine, session_scope
from commerce_dash.demo.data import DEMO_USERS, database_is_empty, load_demo_data
from commerce_dash.domain.errors import DomainError
from commerce_dash.jobs.housekeeping import purge_stale_account_records
from commerce_dash.migrations import current_revision, head_revision, upgrade_to_head
from commerce_dash.services.platform import bootstrap_super_admin
from commerce_dash.settings import get_settings


def _migrate(args: argparse.Namespace) -> int:
    upgrade_to_head()
    print(f"database at revision {current_revision(get_engine())} (head {head_revision()})")
    # orders completed before the revenue ledger existed get their entries (once)
    return _backfill_ledger(args)


def _seed(args: argparse.Namespace) -> int:
    if get_settings().env == "production":
        print("refusing: demo data (accounts with a public password) is never loaded in "
              "production (COMMERCE_ENV=production)", file=sys.stderr)
        return 1
    password = get_settings().demo_password.get_secret_value()
    with session_scope() as session:
        if not database_is_empty(session=session):
            if args.if_empty:
                print("database already has data: demo data not loaded")
                return 0
            print("refusing: the database is not empty", file=sys.stderr)
            return 1
        counts = load_demo_data(session=session, password=password)
    print("demo data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def _demo_logins(_args: argparse.Namespace) -> int:
    password = get_settings().demo_password.get_secret_value()
    print(f"Demo logins (password for all: {password})")
    for user in DEMO_USERS:
        roles = ", ".join(r + (f"@{d}" if d else "") for r, d in user.grants)
        print(f"  {user.email:<26} {roles}")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("Password: ")
    try:
        with session_scope() as session:
            user = bootstrap_super_admin(
                session=session, email=args.email, full_name=args.name, password=password
            )
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"super-admin {user.email} created")
    return 0


def _housekeeping(args: argparse.Namespace) -> int:
    removed = purge_stale_account_records(keep_days=args.keep_days)
    print(
        f"removed {removed['sessions']} ended sessions, "
        f"{removed['login_attempts']} old login attempts, {removed['job_runs']} old job runs"
    )
    return 0


def _backfill_ledger(_args: argparse.Namespace) -> int:
    from commerce_dash.db import session_scope
    from commerce_dash.services.revenue import backfill

    with session_scope() as session:
        recorded = backfill(session=session)
    print(f"recorded ledger entries for {recorded} orders completed before the ledger")
    return 0


def _sandbox_event(args: argparse.Namespace) -> int:
    from commerce_dash.services.commerce import sandbox_processor_event

    try:
        with session_scope() as session:
            outcome = sandbox_processor_event(session=session, number=args.order,
                                              event=args.event, amount=args.amount)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"{args.event} on {args.order}: {outcome.status} ({outcome.detail})")
    return 0


def _subscription_tally(session: Session) -> Counter[str]:
    """Invoices by status and subscriptions by status, to tell what a clock move did."""
    from commerce_dash.models.subscriptions import Subscription, SubscriptionInvoice

    tally: Counter[str] = Counter()
    for status, n in session.exec(select(SubscriptionInvoice.status, func.count())
                                  .group_by(col(SubscriptionInvoice.status))).all():
        tally[f"invoices {status}"] = n
    for status, n in session.exec(select(Subscription.status, func.count())
                                  .group_by(col(Subscription.status))).all():
        tally[status] = n
    return tally


def _subscriptions_advance(args: argparse.Namespace) -> int:
    from commerce_dash.services.commerce import advance_test_clock

    if get_settings().env == "production":
        print("refusing: the test clock only moves in development (COMMERCE_ENV=production "
              "bills on real time)", file=sys.stderr)
        return 1
    try:
        with session_scope() as session:
            before = _subscription_tally(session)
            now = advance_test_clock(session=session, days=args.days, hours=args.hours)
            after = _subscription_tally(session)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"billing time is now {now:%Y-%m-%d %H:%M} UTC")
    ran = [f"{after[k] - before[k]} {k.removeprefix('invoices ')} invoices"
           for k in sorted(after) if k.startswith("invoices ") and after[k] > before[k]]
    print("ran: " + (", ".join(ran) if ran else "nothing was due"))
    states = [f"{after[k]} {k.replace('_', ' ')}" for k in sorted(after)
              if not k.startswith("invoices ") and after[k]]
    if states:
        print("subscriptions: " + ", ".join(states))
    return 0


def _check(_args: argparse.Namespace) -> int:
    from commerce_dash.startup import unsafe_start

    settings = get_settings()
    problems = unsafe_start()
    for line in settings.warnings():
        print(f"warning: {line}")
    for line in settings.advice():
        print(f"advice: {line}")
    if problems:
        print("unsafe:\n- " + "\n- ".join(problems), file=sys.stderr)
        return 1
    print(f"settings and database are fit for {settings.env}")
    return 0


def _create_connector(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from commerce_dash.models.accounts import User
    from commerce_dash.services.enrollment import create_connector
    from commerce_dash.services.platform import load_actor

    try:
        with session_scope() as session:
            admin = session.exec(select(User).where(User.email == args.admin_email.lower())).first()
            if admin is None:
                print(f"error: no user {args.admin_email}", file=sys.stderr)
                return 1
            connector, secrets = create_connector(
                session=session,
                actor=load_actor(session=session, user=admin),
                name=args.name,
                kind=args.kind,
            )
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(f"connector {connector.name} ({connector.kind}) created")
    print(f"  X-Connector-Key:  {connector.key_id}")
    print(f"  inbound secret:   {secrets.inbound}")
    print("                    the connector signs its requests to us with it (X-Signature)")
    print(f"  outbound secret:  {secrets.outbound}")
    print("                    the connector verifies our webhooks with it (X-Commerce-Signature)")
    print("  Shown once: derived from COMMERCE_SECRET_KEY and the key, never stored.")
    return 0


def _failed(exc: BackupError) -> int:
    print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
    return 1


def _backup(args: argparse.Namespace) -> int:
    try:
        result = backup(get_settings().database_url, Path(args.file), force=args.force)
    except BackupError as exc:
        return _failed(exc)
    print(f"backup written to {result.path} ({result.size_bytes:,} bytes): {result.detail}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    try:
        done = restore(get_settings().database_url, Path(args.file), force=args.force)
    except BackupError as exc:
        return _failed(exc)
    print(done)
    # The backup may come from an older release: bring its schema to this release's head.
    reset_engine()
    head, revision = head_revision(), current_revision(get_engine())
    if revision is None:
        return _failed(BackupError("schema_unknown", "the restored database has no migration "
                                   "revision (alembic_version): it is not this app's backup"))
    if revision != head:
        try:
            upgrade_to_head()
        except Exception as exc:  # alembic: a revision this release does not know
            return _failed(BackupError(
                "schema_unknown", f"the backup is at migration {revision}, which this release "
                f"cannot bring to {head} (a backup of a newer release?): {exc}"))
        reset_engine()
        print(f"migrated the restored database from {revision} to {current_revision(get_engine())}")
    else:
        print(f"database at revision {revision} (head)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="commerce_dash.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database to the newest migration").set_defaults(
        func=_migrate
    )
    seed = sub.add_parser("seed", help="load demo data into an empty database")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    seed.set_defaults(func=_seed)
    sub.add_parser("demo-logins", help="print the demo accounts").set_defaults(func=_demo_logins)
    admin = sub.add_parser("create-admin", help="create a super-admin")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--password", help="prompted for when omitted")
    admin.set_defaults(func=_create_admin)
    house = sub.add_parser("housekeeping", help="delete ended sessions and old login attempts")
    house.add_argument("--keep-days", type=int, default=30)
    house.set_defaults(func=_housekeeping)
    sub.add_parser(
        "backfill-ledger",
        help="write revenue ledger entries for completed orders that have none (idempotent)",
    ).set_defaults(func=_backfill_ledger)
    conn = sub.add_parser("create-connector", help="let an LMS call the integration API")
    conn.add_argument("--name", required=True)
    conn.add_argument("--kind", default="lms")
    conn.add_argument("--admin-email", required=True, help="a super-admin, for the audit log")
    conn.set_defaults(func=_create_connector)
    sub.add_parser(
        "check", help="what production would refuse: settings, and demo accounts still on the "
        "demo password").set_defaults(func=_check)
    event = sub.add_parser(
        "sandbox-event",
        help="test mode: the sandbox processor reports a dashboard refund or a chargeback",
    )
    event.add_argument("--order", required=True, help="the order number, ORD-YYYY-NNNNN")
    event.add_argument("--event", required=True,
                       choices=("refund", "dispute", "dispute-won", "dispute-lost"))  # noqa: E501
    event.add_argument("--amount", type=int, help="refund: minor units (default: all left)")
    event.set_defaults(func=_sandbox_event)
    subs = sub.add_parser("subscriptions", help="department subscriptions (development tools)")
    subs_sub = subs.add_subparsers(dest="subscriptions_command", required=True)
    advance = subs_sub.add_parser(
        "advance", help="development only: move the sandbox's test clock forward and run "
        "what comes due (trials ending, renewals, retries, grace periods)")
    advance.add_argument("--days", type=int, required=True, help="days forward (0 or more)")
    advance.add_argument("--hours", type=int, default=0, help="hours forward besides the days")
    advance.set_defaults(func=_subscriptions_advance)
    back = sub.add_parser(
        "backup", help="write a consistent backup of the database while it runs (SQLite: its "
        "online backup API; PostgreSQL: pg_dump --format=custom)")
    back.add_argument("file", help="the backup file to write")
    back.add_argument("--force", action="store_true", help="overwrite an existing file")
    back.set_defaults(func=_backup)
    rest = sub.add_parser(
        "restore", help="restore a backup into the configured database (all or nothing), "
        "then migrate it to head")
    rest.add_argument("file", help="a file written by the backup command")
    rest.add_argument("--force", action="store_true",
                      help="replace a database that holds data")
    rest.set_defaults(func=_restore)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
