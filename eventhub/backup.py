"""``flask backup PATH``: a consistent copy of the SQLite database while the app runs.

SQLite's online backup API copies the database page by page from a read transaction, so the
copy is one committed state even while the web app and the outbox worker keep writing (in WAL
mode readers do not block writers). PostgreSQL has its own tool for this: ``pg_dump``.

Uploaded materials kept in the local folder are put into the copy itself, as database chunks
(``material_chunk``), so the one file is the whole backup: restored, it serves every file
whatever ``EVENTHUB_FILE_STORAGE`` says. A file is only deleted from the folder after its row's
deletion is committed, so every row in the snapshot still has its file when it is copied.
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
from eventhub.followup.minutes.storage import CHUNK_SIZE, local_path, upload_root


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
        "and restore with pg_restore (see docs/deploy.md). With EVENTHUB_FILE_STORAGE=database\n"
        "the dump holds the uploaded files; with local storage, copy the uploads folder too."
    )


class Backup:
    def __init__(self, path: Path, files: int, missing: list[str]):
        self.path, self.files, self.missing = path, files, missing


def _embed_local_files(copy: sqlite3.Connection, uploads: Path) -> tuple[int, list[str]]:
    """Put the locally stored materials' bytes into the copy, chunk by chunk."""
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"material", "material_chunk"} <= tables:
        return 0, []
    rows = copy.execute(
        "SELECT id, storage_key, filename FROM material WHERE storage = 'local' ORDER BY id"
    ).fetchall()
    embedded, missing = 0, []
    for material_id, key, filename in rows:
        path = local_path(uploads, key)
        if not path.is_file():
            missing.append(f"{filename} ({key})")
            continue
        with path.open("rb") as source:
            seq = 0
            while chunk := source.read(CHUNK_SIZE):
                copy.execute(
                    "INSERT INTO material_chunk (material_id, seq, data) VALUES (?, ?, ?)",
                    (material_id, seq, chunk),
                )
                seq += 1
        copy.execute("UPDATE material SET storage = 'database' WHERE id = ?", (material_id,))
        copy.commit()
        embedded += 1
    return embedded, missing


def backup_sqlite(database: Path, target: Path, uploads: Path | None = None) -> Backup:
    """Copy ``database`` to ``target`` (a file, or a directory to put a dated file in), with
    the files of the ``uploads`` folder inside it."""
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
            files, missing = _embed_local_files(copy, uploads) if uploads else (0, [])
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
    return Backup(target, files, missing)


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
        backup = backup_sqlite(Path(url.database), path, upload_root())
    except (BackupError, sqlite3.Error, OSError) as error:
        raise click.ClickException(f"Backup failed: {error}") from error
    size = backup.path.stat().st_size
    click.echo(
        f"Backup written to {backup.path} ({size:,} bytes, {backup.files} uploaded files "
        "from the local folder included, integrity check ok)"
    )
    for name in backup.missing:
        click.echo(f"Warning: the file {name} is missing from the uploads folder.", err=True)
