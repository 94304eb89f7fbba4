"""A database built once and copied for each test that needs it pristine: building the world
takes longer than most tests that use it (tests/test_authorisation_matrix.py,
tests/test_fuzz_forms.py)."""

import shutil
import uuid
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, make_url, text

from eventhub.extensions import db
from tests.conftest import PG_URL


class SqliteCopies:
    """The template is a file; a fresh copy is that file copied over the live one."""

    def __init__(self, folder: Path):
        self.template, self.live = folder / "template.sqlite", folder / "live.sqlite"
        self.template_url = f"sqlite:///{self.template}"
        self.live_url = f"sqlite:///{self.live}"

    def after_build(self) -> None:
        pass

    def fresh_copy(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.live}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.live)

    def close(self) -> None:
        pass


class PostgresCopies:
    """The template is a database; a fresh copy is a database created from it."""

    def __init__(self):
        server = make_url(PG_URL)
        name = f"eventhub_matrix_{uuid.uuid4().hex[:10]}"
        self.template_name, self.live_name = f"{name}_template", f"{name}_live"
        self.template_url = server.set(database=self.template_name).render_as_string(False)
        self.live_url = server.set(database=self.live_name).render_as_string(False)
        self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        self._run(f'CREATE DATABASE "{self.template_name}"')

    def _run(self, *statements: str) -> None:
        with self.admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def after_build(self) -> None:
        self.fresh_copy()

    def fresh_copy(self) -> None:
        self._run(
            f'DROP DATABASE IF EXISTS "{self.live_name}" WITH (FORCE)',
            f'CREATE DATABASE "{self.live_name}" TEMPLATE "{self.template_name}"',
        )

    def close(self) -> None:
        self._run(
            f'DROP DATABASE IF EXISTS "{self.live_name}" WITH (FORCE)',
            f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)',
        )
        self.admin.dispose()


def copies_for(kind: str, folder: Path) -> "SqliteCopies | PostgresCopies":
    return PostgresCopies() if kind == "postgresql" else SqliteCopies(folder)


def built(builder: Flask, copies, folder: Path) -> None:
    """The builder's world becomes the template: its database (the builder lets go of it;
    SQLite: the last connection merges the WAL into the file) and its uploaded files."""
    uploads = Path(builder.config["UPLOAD_FOLDER"])
    uploads.mkdir(parents=True, exist_ok=True)
    copies.uploads_template = folder / "uploads-template"
    shutil.copytree(uploads, copies.uploads_template)
    with builder.app_context():
        db.session.remove()
        db.engine.dispose()
    copies.after_build()


def fresh_copy(app: Flask, copies) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    copies.fresh_copy()
    # Uploaded files too: a case that deletes a file must not take it from the next one.
    uploads = Path(app.config["UPLOAD_FOLDER"])
    shutil.rmtree(uploads, ignore_errors=True)
    shutil.copytree(copies.uploads_template, uploads)
