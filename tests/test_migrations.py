"""The migrations build the schema from empty on SQLite and PostgreSQL, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from eventhub import create_app
from eventhub.extensions import db
from tests.conftest import PG_URL, base_config, fresh_pg_schema, pg_url_for_schema


def _migrate_and_compare(database_url, tmp_path):
    app = create_app(base_config(database_url, tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            drift = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        assert drift == [], f"models and migrations differ: {drift}"
        assert {"user", "event", "organisation", "contact", "speaker", "programme"} <= tables
        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        db.session.remove()
        db.engine.dispose()


def test_migrations_from_empty_sqlite(tmp_path):
    _migrate_and_compare(f"sqlite:///{tmp_path / 'migrate.sqlite'}", tmp_path)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL is not reachable")
def test_migrations_from_empty_postgresql(tmp_path):
    with fresh_pg_schema() as schema:
        _migrate_and_compare(pg_url_for_schema(schema), tmp_path)


def test_sqlite_migrations_keep_child_rows(tmp_path):
    """Batch migrations rebuild tables on SQLite: that must not cascade-delete children."""
    from sqlalchemy import text

    app = create_app(base_config(f"sqlite:///{tmp_path / 'data.sqlite'}", tmp_path))
    with app.app_context():
        upgrade(revision="5ffd45f0ed31")  # the first schema
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisation (id, name, kind, created_at, updated_at) "
                    "VALUES (1, 'Municipalidad de Lo Prado', 'municipality', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO event (id, title, kind, starts_at, ends_at, timezone, "
                    "registration_mode, status, is_public, created_at, updated_at) VALUES "
                    "(1, 'Mesa', 'round_table', '2017-03-30 12:30:00', '2017-03-30 16:00:00', "
                    "'America/Santiago', 'invite_only', 'published', 1, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO event_organisation (event_id, organisation_id, role) "
                    "VALUES (1, 1, 'host')"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM event_organisation")).scalar() == 1
            assert connection.execute(text("SELECT uid FROM event")).scalar().endswith("@eventhub")
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL is not reachable")
def test_outbox_bodies_are_compressed_with_lz4_on_postgresql(tmp_path):
    """A sending writes megabytes of email text at once: lz4 where the server has it."""
    with fresh_pg_schema() as schema:
        app = create_app(base_config(pg_url_for_schema(schema), tmp_path))
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                has_lz4 = connection.execute(
                    text(
                        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings"
                        " WHERE name = 'default_toast_compression'"
                    )
                ).scalar()
                compression = dict(
                    connection.execute(
                        text(
                            "SELECT attname, attcompression FROM pg_attribute"
                            " WHERE attrelid = 'outbox_message'::regclass"
                            " AND attname IN ('text_body', 'html_body', 'attachments')"
                        )
                    ).all()
                )
            db.session.remove()
            db.engine.dispose()
    if not has_lz4:
        pytest.skip("this PostgreSQL has no lz4")
    assert compression == {"text_body": "l", "html_body": "l", "attachments": "l"}
