"""The migration that puts every stored address in its normal form, on SQLite and PostgreSQL.

It rewrites what it can, reports the mailboxes that have two rows, and never deletes, merges or
breaks a unique constraint.
"""

import unicodedata

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import column, insert, select
from sqlalchemy import table as table_

from eventhub import ROOT, create_app
from eventhub.extensions import db
from tests.conftest import PG_URL, base_config, fresh_pg_schema, pg_url_for_schema

REVISION = "86b7de352d40"
NFC = unicodedata.normalize("NFC", "josé@example.org")
NFD = unicodedata.normalize("NFD", "José@Example.org")
NOW = "2026-11-30 12:00:00"


def _before(revision: str) -> str:
    return ScriptDirectory(str(ROOT / "migrations")).get_revision(revision).down_revision


def _insert(connection, table: str, **values) -> None:
    values = {"created_at": NOW, "updated_at": NOW, **values}
    connection.execute(insert(table_(table, *map(column, values))).values(**values))


def _fill(connection) -> None:
    for event_id in (1, 2):
        _insert(
            connection,
            "event",
            id=event_id,
            title=f"Mesa {event_id}",
            kind="round_table",
            starts_at="2031-03-30 12:30:00",
            ends_at="2031-03-30 16:00:00",
            timezone="America/Santiago",
            registration_mode="open",
            registration_closed=False,
            requires_approval=False,
            status="published",
            is_public=True,
            uid=f"mesa-{event_id}@eventhub",
            sequence=0,
            content_changed_at=NOW,
        )
    registrations = [
        (1, 1, NFC),  # already in its normal form
        (2, 1, NFD),  # the same mailbox: cannot be rewritten in event 1
        (3, 2, NFD),  # alone in event 2: rewritten
        (4, 1, "ana@exámple.org"),
        (5, 1, "ana@ｅｘａｍｐｌｅ.org"),
        (6, 1, "Ana@XN--EXMPLE-QTA.org"),  # the same mailbox as 4, rewritten after it
    ]
    for row_id, event_id, email in registrations:
        _insert(
            connection,
            "registration",
            id=row_id,
            event_id=event_id,
            name=f"Persona {row_id}",
            email=email,
            language="es",
            listed=False,
            status="confirmed",
            token_hash=f"hash-{row_id}",
        )
    for row_id, email in ((1, "Admin@Exámple.org"), (2, "organiser@eventhub.local")):
        _insert(
            connection,
            "user",
            id=row_id,
            email=email,
            name=f"User {row_id}",
            password_hash="x",
            is_admin=False,
            active=True,
        )
    _insert(connection, "mail_opt_out", id=1, email="ana@ｅｘａｍｐｌｅ.org")
    _insert(connection, "mail_opt_out", id=2, email="ana@example.org")


def _migrate(database_url, tmp_path, capsys):
    app = create_app(base_config(database_url, tmp_path))
    with app.app_context():
        upgrade(revision=_before(REVISION))
        with db.engine.begin() as connection:
            _fill(connection)
        capsys.readouterr()
        upgrade(revision=REVISION)
        report = capsys.readouterr().out
        with db.engine.connect() as connection:

            def emails(name: str) -> dict[int, str]:
                rows = table_(name, column("id"), column("email"))
                return dict(connection.execute(select(rows.c.id, rows.c.email)).all())

            registrations, users, opt_outs = map(emails, ("registration", "user", "mail_opt_out"))
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return report, registrations, users, opt_outs


def _check(report, registrations, users, opt_outs):
    assert registrations == {
        1: NFC,
        2: NFD,  # left as it was: row 1 holds its normal form
        3: NFC,
        4: "ana@xn--exmple-qta.org",
        5: "ana@example.org",
        6: "Ana@XN--EXMPLE-QTA.org",
    }
    assert users == {1: "admin@xn--exmple-qta.org", 2: "organiser@eventhub.local"}
    assert opt_outs == {1: "ana@ｅｘａｍｐｌｅ.org", 2: "ana@example.org"}
    lines = report.splitlines()
    assert f"registrations: 2 rows for {NFC} in event 1 (ids 1, 2)" in lines
    assert "registrations: 2 rows for ana@xn--exmple-qta.org in event 1 (ids 4, 6)" in lines
    assert not any("in event 2" in line and "rows for" in line for line in lines)
    assert any(line.startswith("registrations: row 2 left as") for line in lines)
    assert any(line.startswith("registrations: row 6 left as") for line in lines)
    assert "opt-outs: 2 rows for ana@example.org (ids 1, 2)" in lines
    assert "registrations: 3 addresses rewritten in their normal form" in lines


def test_addresses_are_normalised_and_duplicates_reported_on_sqlite(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'addresses.sqlite'}"
    _check(*_migrate(url, tmp_path, capsys))


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL is not reachable")
def test_addresses_are_normalised_and_duplicates_reported_on_postgresql(tmp_path, capsys):
    with fresh_pg_schema() as schema:
        _check(*_migrate(pg_url_for_schema(schema), tmp_path, capsys))
