"""The migrations build the schema from empty on SQLite and PostgreSQL, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

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
