"""Backups of the database and restoring them (``cli backup`` / ``cli restore``).

SQLite: SQLite's online backup API copies the live database file in one step, inside one
read transaction: a consistent snapshot while writers go on (WAL lets them), written to a
temporary file beside the target and renamed over it once complete.

PostgreSQL: ``pg_dump --format=custom`` (one transaction in REPEATABLE READ: a consistent
snapshot by MVCC, writers are not blocked) and ``pg_restore --clean --if-exists --no-owner
--single-transaction`` (all or nothing). The connection comes from the database URL and is
handed to the tools through libpq's environment variables (PGHOST, PGUSER, PGPASSWORD...):
nothing secret is on a command line, where ``ps`` would show it, or in a message.

Every refusal is a :class:`BackupError` with a stable ``code`` and a one-line ``message``.
This module knows files, drivers and tools; bringing the schema to the migrations' head after
a restore is the caller's (the CLI's) part.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
# The app's database holds data once it has a user (as for ``cli seed``): the migrations
# write rows of their own (roles, ...) into a new one. A database without this table holds
# data when any table but Alembic's has rows.
USERS_TABLE = "app_user"
CONNECT_TIMEOUT_SECONDS = 5
TOOL_TIMEOUT_SECONDS = 3600
# where pg_dump and pg_restore are looked for when they are not on the PATH
TOOL_DIRS: tuple[str, ...] = ("/usr/bin", "/usr/lib/postgresql/15/bin")


class BackupError(Exception):
    """A backup or restore refused or failed: ``code`` for scripts, ``message`` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    kind: str  # sqlite | postgresql
    detail: str  # one line for the operator


# -- shared ------------------------------------------------------------------------------------


def _kind(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    raise BackupError("unsupported_database",
                      f"backups support SQLite and PostgreSQL, not {url.get_backend_name()}")


def file_kind(path: Path) -> str:
    """What a backup file holds: sqlite | postgresql (refuses other files)."""
    if not path.is_file():
        raise BackupError("backup_not_found", f"no backup file at {path}")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError("unknown_backup_format",
                      f"{path} is neither a SQLite database nor a pg_dump custom-format archive")


def _new_file(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise BackupError("backup_file_exists",
                          f"{target} exists: choose a new file name or pass --force")
    if not target.parent.is_dir():
        raise BackupError("backup_dir_not_found", f"no directory {target.parent}")


@contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A temporary path in ``target``'s directory (same file system: the rename is atomic),
    removed unless the block moved it into place."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        temporary.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _tables_with_rows(url: URL) -> list[str]:
    """Tables of the database at ``url`` that hold rows (Alembic's own aside)."""
    engine = create_engine(url) if url.get_backend_name() == "sqlite" else \
        create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        with engine.connect() as conn:
            names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
            preparer = engine.dialect.identifier_preparer
            return [n for n in names if conn.execute(
                text(f"SELECT 1 FROM {preparer.quote(n)} LIMIT 1")).first() is not None]
    except OperationalError as exc:
        raise BackupError("database_unreachable",
                          f"cannot reach the database {_where(url)}: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


def _refuse_overwrite(url: URL, force: bool) -> None:
    if force:
        return
    filled = _tables_with_rows(url)
    if filled and (USERS_TABLE in filled or not _has_table(url, USERS_TABLE)):
        raise BackupError(
            "target_not_empty",
            f"the database {_where(url)} holds data ({len(filled)} tables with rows, e.g. "
            f"{', '.join(sorted(filled)[:3])}): restoring replaces it; pass --force to do so")


def _has_table(url: URL, name: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(inspect(conn).has_table(name))
    finally:
        engine.dispose()


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.database} on {url.host or 'localhost'}:{url.port or 5432}"


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(getattr(exc, "orig", None) or exc).splitlines()]
    return next((line for line in lines if line), type(exc).__name__)


# -- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("unsupported_database", "an in-memory SQLite database has no file")
    return Path(database)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy ``source`` to the new file ``target`` with the online backup API, in one step:
    one read transaction, so the copy is the database as of one commit."""
    with closing(_sqlite_connect(source)) as src, closing(_sqlite_connect(target)) as dst:
        src.backup(dst)  # pages=-1: all pages in one step
        # the copy is one self-contained file (no -wal beside it)
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError("backup_corrupt", f"the copy failed its check: {check}")


def backup_sqlite(url: URL, target: Path) -> BackupResult:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError("database_unreachable", f"no SQLite database file at {source}")
    with _temporary_beside(target) as temporary:
        try:
            _sqlite_backup(source, temporary)
        except sqlite3.Error as exc:
            raise BackupError("backup_failed", f"SQLite backup failed: {exc}") from exc
        _fsync(temporary)
        os.replace(temporary, target)
    return BackupResult(target, target.stat().st_size, "sqlite",
                        f"online backup of {source}")


def restore_sqlite(url: URL, backup: Path, *, force: bool) -> str:
    target = _sqlite_path(url)
    with closing(_sqlite_connect(backup)) as probe:
        try:
            check = probe.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError("backup_corrupt", f"{backup} is not a readable SQLite "
                              f"database: {exc}") from exc
    if not check or check[0] != "ok":
        raise BackupError("backup_corrupt", f"{backup} failed its check: {check}")
    if target.is_file() and target.stat().st_size:
        _refuse_overwrite(url, force)
        # Into the existing database: the backup API writes it in one write transaction
        # (other connections see the old database or the restored one, never a mix), through
        # SQLite's own locking and WAL, so a -wal beside it cannot be replayed over the result.
        try:
            with closing(_sqlite_connect(backup)) as src, \
                    closing(_sqlite_connect(target)) as dst:
                src.backup(dst)
        except sqlite3.Error as exc:
            raise BackupError("restore_failed", f"SQLite restore failed: {exc}") from exc
        return f"restored {backup} into {target}"
    if not target.parent.is_dir():
        raise BackupError("database_unreachable", f"no directory {target.parent}")
    # A new database: built beside it under a temporary name, renamed once complete.
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
        leftover.unlink(missing_ok=True)
    with _temporary_beside(target) as temporary:
        try:
            _sqlite_backup(backup, temporary)
        except sqlite3.Error as exc:
            raise BackupError("restore_failed", f"SQLite restore failed: {exc}") from exc
        _fsync(temporary)
        os.replace(temporary, target)
    return f"restored {backup} into the new database {target}"


# -- PostgreSQL --------------------------------------------------------------------------------


def find_tool(name: str) -> Path | None:
    """``name`` on the PATH, else in the usual places of Debian's postgresql-client."""
    found = shutil.which(name)
    if found:
        return Path(found)
    for directory in TOOL_DIRS:
        if (Path(directory) / name).is_file():
            return Path(directory) / name
    return None


def _tool(name: str) -> Path:
    found = find_tool(name)
    if found is None:
        raise BackupError("tool_missing", f"{name} is not installed (Debian: apt-get install "
                          "postgresql-client-15, the major version of the server or newer)")
    return found


def _tool_major(tool: Path) -> int:
    out = subprocess.run([str(tool), "--version"], capture_output=True, text=True,
                         timeout=30, check=False).stdout
    match = re.search(r"\)\s+(\d+)", out) or re.search(r"(\d+)\.\d+", out)
    if not match:
        raise BackupError("tool_missing", f"cannot tell the version of {tool}: {out.strip()!r}")
    return int(match.group(1))


def _libpq_env(url: URL) -> dict[str, str]:
    """The environment for a libpq tool: ``url``'s parts as libpq's variables (the URL's
    sslmode=... and the like too), so nothing of the connection is on its command line."""
    env = dict(os.environ)
    pairs = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
             "PGPASSWORD": url.password, "PGDATABASE": url.database}
    env.update({k: str(v) for k, v in pairs.items() if v not in (None, "")})
    for key, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"),
                          ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY"),
                          ("application_name", "PGAPPNAME"), ("host", "PGHOST"),
                          ("port", "PGPORT")):
        value = url.query.get(key)
        if value:
            env[variable] = value if isinstance(value, str) else value[0]
    env.setdefault("PGCONNECT_TIMEOUT", str(CONNECT_TIMEOUT_SECONDS))
    return env


def _server_major(url: URL) -> int:
    engine = create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    except OperationalError as exc:
        raise BackupError("database_unreachable",
                          f"cannot reach the database {_where(url)}: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{what}_failed", f"{command[0]} ran over "
                          f"{TOOL_TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()] or lines
        detail = errors[0] if errors else f"exit status {done.returncode}"
        raise BackupError(f"{what}_failed", f"{Path(command[0]).name}: {detail.strip()}")


def backup_postgres(url: URL, target: Path) -> BackupResult:
    pg_dump = _tool("pg_dump")
    tool_major, server_major = _tool_major(pg_dump), _server_major(url)
    if tool_major < server_major:
        raise BackupError("tool_too_old", f"pg_dump {tool_major} cannot dump a PostgreSQL "
                          f"{server_major} server: install postgresql-client-{server_major}")
    with _temporary_beside(target) as temporary:
        _run([str(pg_dump), "--format=custom", "--no-password", f"--file={temporary}"],
             _libpq_env(url), "backup")
        _fsync(temporary)
        os.replace(temporary, target)
    return BackupResult(target, target.stat().st_size, "postgresql",
                        f"pg_dump {tool_major} (custom format) of {_where(url)}, "
                        f"PostgreSQL {server_major}")


def archive_versions(pg_restore: Path, backup: Path) -> tuple[int, int]:
    """(the server's major version the archive was dumped from, pg_dump's major version)."""
    done = subprocess.run([str(pg_restore), "--list", str(backup)], capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise BackupError("backup_corrupt", f"pg_restore cannot read {backup}: "
                          f"{(done.stderr.strip().splitlines() or ['?'])[0]}")
    server = re.search(r"Dumped from database version: (\d+)", done.stdout)
    tool = re.search(r"Dumped by pg_dump version: (\d+)", done.stdout)
    if not server or not tool:
        raise BackupError("backup_corrupt", f"{backup} names no PostgreSQL versions")
    return int(server.group(1)), int(tool.group(1))


def restore_postgres(url: URL, backup: Path, *, force: bool) -> str:
    pg_restore = _tool("pg_restore")
    tool_major = _tool_major(pg_restore)
    dumped_from, dumped_by = archive_versions(pg_restore, backup)
    server_major = _server_major(url)
    if dumped_by > tool_major:
        raise BackupError("tool_too_old", f"the backup was made by pg_dump {dumped_by}; "
                          f"pg_restore {tool_major} cannot read it")
    if dumped_from > server_major:
        raise BackupError("server_too_old", f"the backup comes from PostgreSQL {dumped_from}; "
                          f"the target server is PostgreSQL {server_major}")
    _refuse_overwrite(url, force)
    _run([str(pg_restore), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", "--no-password", f"--dbname={url.database}", str(backup)],
         _libpq_env(url), "restore")
    return f"restored {backup} into {_where(url)} (pg_restore {tool_major}, one transaction)"


# -- entry points ------------------------------------------------------------------------------


def backup(database_url: str, target: Path, *, force: bool = False) -> BackupResult:
    """Write a consistent backup of the database at ``database_url`` to the file ``target``."""
    url = make_url(database_url)
    kind = _kind(url)
    _new_file(target, force)
    if kind == "sqlite":
        return backup_sqlite(url, target)
    return backup_postgres(url, target)


def restore(database_url: str, backup_file: Path, *, force: bool = False) -> str:
    """Restore ``backup_file`` into the database at ``database_url``; refuses a database that
    holds data unless ``force``. Returns one line for the operator."""
    url = make_url(database_url)
    kind = _kind(url)
    held = file_kind(backup_file)
    if held != kind:
        raise BackupError("backup_kind_mismatch", f"{backup_file} is a {held} backup; the "
                          f"database is {kind} (restore it into a {held} database)")
    if kind == "sqlite":
        return restore_sqlite(url, backup_file, force=force)
    return restore_postgres(url, backup_file, force=force)
