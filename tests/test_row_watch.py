"""The fuzz test's "nothing half-written" check (tests/world.py's RowWatch) re-reads only the
tables a request wrote to: it must still see every write a full snapshot would see."""

from flask import abort
from sqlalchemy import select, text

from eventhub.extensions import db
from eventhub.organisations.models import Organisation
from eventhub.registrations.models import Registration
from tests.factories import EventFactory, OrganisationFactory, RegistrationFactory
from tests.world import RowWatch, snapshot


def full_comparison(before: dict, after: dict) -> dict[str, set]:
    """What the fuzz test compared before RowWatch: every row of every table."""
    return {
        table: set(after[table]) - set(before[table])
        for table in after
        if set(after[table]) != set(before[table])
    }


def test_a_refused_request_that_half_wrote_a_row_is_caught(app):
    def half_write():
        db.session.add(Organisation(name="Escrita a medias", kind="ngo"))
        db.session.commit()
        abort(400)  # refused, but the row stays

    app.add_url_rule("/half-write", "half_write", half_write, methods=["POST"])
    client = app.test_client()
    watch = RowWatch(app)
    before = snapshot(app)
    with watch.watching():
        assert client.post("/half-write").status_code == 400
    changed = watch.changes()
    assert set(changed) == {"organisation"}
    assert changed == full_comparison(before, snapshot(app))


def test_a_write_rolled_back_is_no_change(app):
    watch = RowWatch(app)
    with watch.watching(), app.app_context():
        OrganisationFactory(name="Nunca guardada")
        db.session.flush()
        db.session.rollback()
    assert watch.changes() == {}


def test_an_update_in_place_and_a_deleted_row_are_caught(app):
    with app.app_context():
        kept, gone = OrganisationFactory(name="Antes"), OrganisationFactory(name="Se va")
        db.session.commit()
        kept_id, gone_id = kept.id, gone.id
    watch = RowWatch(app)
    with watch.watching(), app.app_context():
        # Same count, same highest id: only the row's content tells.
        db.session.execute(
            text("UPDATE organisation SET name = 'Después' WHERE id = :id"), {"id": kept_id}
        )
        db.session.commit()
    changed = watch.changes()
    assert list(changed) == ["organisation"] and len(changed["organisation"]) == 1
    with watch.watching(), app.app_context():
        db.session.execute(text("DELETE FROM organisation WHERE id = :id"), {"id": gone_id})
        db.session.commit()
    assert watch.changes() == {"organisation": set()}  # rows only removed: still a change


def test_rows_removed_by_a_cascade_in_the_database_are_caught(app):
    with app.app_context():
        event = EventFactory(published=True, registration_mode="open")
        RegistrationFactory(event=event)
        db.session.commit()
        event_id = event.id
    watch = RowWatch(app)
    before = snapshot(app)
    with watch.watching(), app.app_context():
        # No statement names registration: ON DELETE CASCADE removes its rows.
        db.session.execute(text("DELETE FROM event WHERE id = :id"), {"id": event_id})
        db.session.commit()
        assert db.session.scalars(select(Registration)).all() == []
    changed = watch.changes()
    assert "registration" in changed
    assert changed == full_comparison(before, snapshot(app))


def test_a_statement_it_cannot_read_counts_as_writing_every_table(app):
    watch = RowWatch(app)
    watch._record(None, None, "SELECT id FROM event FOR UPDATE", {}, None, False)
    assert watch._written == set()
    watch._record(None, None, 'MERGE INTO "Somewhere" USING x ON true', {}, None, False)
    assert watch._written == watch.table_names
