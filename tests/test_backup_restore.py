"""``cli backup`` while learners buy, ``cli restore`` into a new database: what the operator gets
back is a consistent moment of the shop, on SQLite and on PostgreSQL. Every completed order
restored has its one succeeded payment, its registrations and enrollments and ledger entries
adding up to it; no payment or ledger entry lacks its order; the restored orders are those the
shop had at one moment (a prefix), not a mix. The refusals an operator meets are checked too."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from commerce_dash import backups, cli
from commerce_dash.db import build_engine, get_engine
from commerce_dash.demo.data import load_demo_data
from commerce_dash.domain.access import RoleName
from commerce_dash.domain.actor import Actor, Grant
from commerce_dash.models.commerce import Order, OrderLine, Payment
from commerce_dash.models.enrollment import Enrollment, Registration
from commerce_dash.models.revenue import LedgerEntry
from commerce_dash.services.commerce import CheckoutRequest, add_item, place_order, sandbox_pay
from commerce_dash.settings import get_settings
from tests.builders import GOOD_CARD, build_shop, number_of, owner_of
from tests.conftest import PASSWORD, create_user

ROOT = Path(__file__).resolve().parents[1]
THREADS = 3
LEARNERS_PER_THREAD = 8
WAIT_SECONDS = 30


@pytest.fixture
def restore_target(both_databases: str, tmp_path: Path) -> Iterator[str]:
    """A new database of the same kind to restore into (never the configured one)."""
    if both_databases == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"cd_restore_{uuid.uuid4().hex[:8]}"
    server = make_url(get_settings().database_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _shoppers(courses: list[int], stop: threading.Event, learners: list[Actor], completed: list[tuple[float, str]],
              failures: list[str]) -> None:
    """One learner after another buys every course: cart, checkout, sandbox card."""
    with Session(get_engine(), expire_on_commit=False) as s:
        for learner in learners:
            for course_id in courses:
                if stop.is_set():
                    return
                try:
                    add_item(session=s, owner=owner_of(learner), item_type="course",
                             item_id=course_id)
                    order = place_order(session=s, actor=learner,
                                        request=CheckoutRequest(f"bk-{uuid.uuid4().hex}"))
                    sandbox_pay(session=s, actor=learner, number=order.number, card=GOOD_CARD)
                    completed.append((time.monotonic(), order.number))
                except Exception as exc:  # noqa: BLE001 - reported by the test
                    s.rollback()
                    failures.append(f"{type(exc).__name__}: {exc}")


def _wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _check_consistent(session: Session) -> dict[int, Order]:
    """Every order whole: what a restored database must show. Returns the completed orders."""
    orders = {o.id: o for o in session.exec(select(Order))}
    payments = list(session.exec(select(Payment)))
    ledger = list(session.exec(select(LedgerEntry)))
    registrations = list(session.exec(select(Registration)))
    enrollments = {e.registration_id: e for e in session.exec(select(Enrollment))}
    lines: dict[int, list[OrderLine]] = {}
    for line in session.exec(select(OrderLine)):
        lines.setdefault(line.order_id, []).append(line)
    assert [p.id for p in payments if p.order_id not in orders] == []
    assert [e.id for e in ledger if e.order_id not in orders] == []
    assert [r.id for r in registrations if r.order_id and r.order_id not in orders] == []
    completed = {i: o for i, o in orders.items() if o.status == "completed" and i is not None}
    for order_id, order in orders.items():
        paid = [p for p in payments if p.order_id == order_id]
        sales = [e for e in ledger if e.order_id == order_id and e.entry_type == "sale"]
        regs = [r for r in registrations if r.order_id == order_id]
        if order_id not in completed:
            # checked out, not paid yet at the snapshot: nothing of a completed one
            assert [p.status for p in paid if p.status == "succeeded"] == [], order_id
            assert (sales, regs) == ([], []), order_id
            continue
        assert [p.status for p in paid] == ["succeeded"], order_id
        assert paid[0].amount == order.total
        assert len(lines.get(order_id, [])) >= 1
        assert sum(e.gross + e.tax for e in sales) == order.total, order_id
        assert {r.order_line_id for r in regs if r.kind == "course"} == \
            {line.id for line in lines[order_id] if line.item_type == "course"}, order_id
        for reg in regs:
            if reg.kind == "course" and reg.status == "approved":
                assert reg.id in enrollments, f"registration {reg.id} has no enrollment"
    return completed


@pytest.mark.timeout(120)
def test_backup_taken_while_learners_buy_restores_whole_orders_only(
    session: Session, restore_target: str, both_databases: str, tmp_path: Path,
) -> None:
    started = time.monotonic()
    # the seeded shop (demo data), and a small one of four courses every learner buys
    load_demo_data(session=session, password=PASSWORD)
    admin = create_user(session, "backup-admin@example.com",
                        grants=(Grant(RoleName.SUPER_ADMIN),))
    shop = build_shop(session, admin, "BK")
    courses = list(shop.courses.values())
    learners = [create_user(session, f"buyer{i}@example.com")
                for i in range(THREADS * LEARNERS_PER_THREAD)]
    stop = threading.Event()
    completed: list[tuple[float, str]] = []
    failures: list[str] = []
    threads = [threading.Thread(target=_shoppers, args=(
        courses, stop, learners[i::THREADS], completed, failures))
        for i in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        _wait_for(lambda: len(completed) >= 3 or failures, "purchases before the backup")
        backup_started = time.monotonic()
        file = tmp_path / f"shop.{both_databases}.backup"
        assert cli.main(["backup", str(file)]) == 0
        backup_done = time.monotonic()
        _wait_for(lambda: sum(1 for t, _ in completed if t > backup_done) >= 3 or failures,
                  "purchases after the backup")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == []
    before = [n for t, n in completed if t < backup_started]
    after = [n for t, n in completed if t > backup_done]
    assert len(before) >= 3 and len(after) >= 3, (len(before), len(after))

    restored = subprocess.run(
        [sys.executable, "-m", "commerce_dash.cli", "restore", str(file)], cwd=ROOT,
        env={**os.environ, "DATABASE_URL": restore_target}, capture_output=True, text=True,
        timeout=120)
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout and "(head)" in restored.stdout

    session.expire_all()
    source_completed = {number_of(o): o.id for o in session.exec(
        select(Order).where(col(Order.status) == "completed"))}
    engine = build_engine(restore_target)
    try:
        with Session(engine) as copy:
            copy_completed = _check_consistent(copy)
    finally:
        engine.dispose()
    # one moment of the shop: every purchase paid before the backup began is there, none
    # paid after it ended, and nothing the shop did not have
    restored_numbers = {number_of(o) for o in copy_completed.values()}
    assert restored_numbers <= set(source_completed)
    assert set(before) <= restored_numbers
    assert not set(after) & restored_numbers
    assert len(restored_numbers) < len(source_completed)
    print(f"{both_databases}: {len(before)} paid before the backup, {len(after)} after; "
          f"{len(restored_numbers)} of {len(source_completed)} restored; "
          f"backup {backup_done - backup_started:.2f} s, test {time.monotonic() - started:.1f} s")


# -- refusals -------------------------------------------------------------------------------


def _small_sqlite(path: Path, rows: int) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)")
        conn.executemany("INSERT INTO orders (total) VALUES (?)", [(i,) for i in range(rows)])
    conn.close()
    return f"sqlite:///{path}"


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (n,) = conn.execute("SELECT count(*) FROM orders").fetchone()
    conn.close()
    return int(n)


def test_restore_refuses_a_database_with_data_unless_forced(tmp_path: Path) -> None:
    source = _small_sqlite(tmp_path / "source.db", rows=5)
    target = _small_sqlite(tmp_path / "target.db", rows=2)
    file = tmp_path / "source.backup"
    backups.backup(source, file)
    with pytest.raises(backups.BackupError) as refused:
        backups.restore(target, file)
    assert refused.value.code == "target_not_empty"
    assert "--force" in refused.value.message
    assert _count(tmp_path / "target.db") == 2
    # a reader open on the target while it is replaced sees the old rows or the new ones
    with sqlite3.connect(tmp_path / "target.db") as reader:
        backups.restore(target, file, force=True)
        assert reader.execute("SELECT count(*) FROM orders").fetchone() == (5,)
    reader.close()
    with pytest.raises(backups.BackupError) as exists:
        backups.backup(source, file)
    assert exists.value.code == "backup_file_exists"
    assert not list(tmp_path.glob("*.part"))


def test_a_migrated_database_without_users_takes_a_restore(tmp_path: Path) -> None:
    source = _small_sqlite(tmp_path / "source.db", rows=4)
    file = tmp_path / "source.backup"
    backups.backup(source, file)
    with sqlite3.connect(tmp_path / "migrated.db") as conn:
        conn.execute("CREATE TABLE app_user (id INTEGER PRIMARY KEY)")
        conn.execute("CREATE TABLE role (name TEXT PRIMARY KEY)")
        conn.execute("INSERT INTO role VALUES ('learner')")  # what migrations write
    conn.close()
    assert "restored" in backups.restore(f"sqlite:///{tmp_path / 'migrated.db'}", file)
    assert _count(tmp_path / "migrated.db") == 4
    with sqlite3.connect(tmp_path / "migrated.db") as conn:
        conn.execute("INSERT INTO orders (total) VALUES (1)")
        conn.execute("CREATE TABLE app_user (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO app_user VALUES (1)")
    conn.close()
    with pytest.raises(backups.BackupError) as refused:
        backups.restore(f"sqlite:///{tmp_path / 'migrated.db'}", file)
    assert refused.value.code == "target_not_empty"


def test_cli_errors_are_one_line_with_a_code(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["restore", str(tmp_path / "missing.backup")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error [backup_not_found]: ") and err.count("\n") == 1
    (tmp_path / "notes.txt").write_text("not a backup")
    assert cli.main(["restore", str(tmp_path / "notes.txt")]) == 1
    assert capsys.readouterr().err.startswith("error [unknown_backup_format]: ")
    # no pg_dump anywhere: said before any connection is tried
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backups, "TOOL_DIRS", ())
    with pytest.raises(backups.BackupError) as missing:
        backups.backup("postgresql+psycopg://postgres:s3cret@127.0.0.1:9/none",
                       tmp_path / "x.dump")
    assert missing.value.code == "tool_missing"
    assert "s3cret" not in missing.value.message


def test_unreachable_postgres_is_named_without_its_password(tmp_path: Path) -> None:
    if backups.find_tool("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    with pytest.raises(backups.BackupError) as unreachable:
        backups.backup("postgresql+psycopg://postgres:s3cret@127.0.0.1:9/none",
                       tmp_path / "x.dump")
    assert unreachable.value.code == "database_unreachable"
    assert "s3cret" not in unreachable.value.message
    assert not (tmp_path / "x.dump").exists()
