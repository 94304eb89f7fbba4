"""``flask backup PATH``: a consistent copy of the SQLite database while the app runs.

SQLite's online backup API copies the database page by page from a read transaction, so the
copy is one committed state even while the web app and the outbox worker keep writing (in WAL
mode readers do not block writers). PostgreSQL has its own tool for this: ``pg_dump``.
"""

import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from eventhub.extensions import db


class BackupError(Exception):
    pass


def pg_dump_hint(url: URL) -> str:
    # libpq understands postgresql://, not SQLAlchemy's +psycopg; the password stays out.
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    ).render_as_string(hide_password=False)
    return (
        "The database is PostgreSQL: back it up with pg_dump, for example\n"
        f"  pg_dump --format=custom --file=eventhub-$(date +%F).dump '{plain}'\n"
        "and restore with pg_restore (see docs/deploy.md)."
    )


def backup_sqlite(database: Path, target: Path) -> Path:
    """Copy ``database`` to ``target`` (a file, or a directory to put a dated file in)."""
    if target.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = target / f"eventhub-{stamp}.sqlite"
    if not database.exists():
        raise BackupError(f"There is no database at {database}.")
    if target.exists() and target.resolve() == database.resolve():
        raise BackupError("The backup cannot overwrite the database itself.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    # Written beside the target and renamed at the end: an interrupted backup never leaves
    # a half-written file under the name of a good one.
    fd, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    partial = Path(partial_name)
    try:
        source = sqlite3.connect(database)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: one consistent snapshot
            # A self-contained file: no -wal/-shm companions needed to read the copy.
            copy.execute("PRAGMA journal_mode=DELETE")
            result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
            source.close()
        if result != "ok":
            raise BackupError(f"The copy failed its integrity check: {result}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


@click.command("backup", help="Copy the SQLite database to PATH while the app runs.")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """PATH is a file, or a folder to put a dated copy in. PostgreSQL: use pg_dump."""
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        raise click.ClickException(pg_dump_hint(url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(f"Cannot back up a {url.get_backend_name()} database.")
    try:
        written = backup_sqlite(Path(url.database), path)
    except (BackupError, sqlite3.Error, OSError) as error:
        raise click.ClickException(f"Backup failed: {error}") from error
    size = written.stat().st_size
    click.echo(f"Backup written to {written} ({size:,} bytes, integrity check ok)")
