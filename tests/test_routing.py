"""routing.commit_change: one commit with its audit entry, or a rollback of both."""

from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField

from eventhub.activity import Done
from eventhub.audit.models import AuditEntry
from eventhub.errors import DomainError
from eventhub.extensions import db
from eventhub.people.models import Speaker
from eventhub.routing import commit_change


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Speaker)),
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def test_a_done_change_is_committed_with_its_entry_and_said(app):
    with app.test_request_context("/"):

        def add() -> Speaker:
            speaker = Speaker(name="Ana Pérez")
            db.session.add(speaker)
            db.session.flush()
            return speaker

        outcome = commit_change(
            add,
            audit=lambda speaker: Done("speaker.create", speaker.name),
            success=lambda speaker: f"{speaker.name} added",
        )
        assert outcome.done and outcome.result.name == "Ana Pérez"
        db.session.rollback()  # nothing left to roll back: it was committed
        assert _counts() == (1, 1)
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.action, entry.summary, entry.user_id) == ("speaker.create", "Ana Pérez", None)
        assert get_flashed_messages(with_categories=True) == [("success", "Ana Pérez added")]


def test_a_refusal_rolls_back_the_change_and_its_entry(app):
    with app.test_request_context("/"):

        def add_then_refuse() -> None:
            db.session.add(Speaker(name="Ana Pérez"))
            db.session.flush()
            raise DomainError("Not today.")

        outcome = commit_change(add_then_refuse, audit=Done("speaker.create"), success="never")
        assert not outcome.done and outcome.refusal.message == "Not today."
        assert _counts() == (0, 0)
        assert get_flashed_messages(with_categories=True) == [("error", "Not today.")]


def test_a_form_refusal_goes_beside_its_field(app):
    with app.test_request_context("/", method="POST", data={"name": "x"}):
        form = NameForm()
        form.validate()

        def refuse() -> None:
            raise DomainError("Too short.", field="name")

        assert not commit_change(refuse, audit=None, success="never", form=form).done
        assert form.name.errors == ["Too short."]
        assert get_flashed_messages() == []


def test_keep_refusing_the_result_rolls_it_back_silently(app):
    with app.test_request_context("/"):

        def add() -> str:
            db.session.add(Speaker(name="Ana Pérez"))
            db.session.flush()
            return "rejected rows"

        outcome = commit_change(
            add, audit=Done("speaker.create"), success="never", keep=lambda _report: False
        )
        assert outcome.result == "rejected rows"
        assert _counts() == (0, 0)
        assert get_flashed_messages() == []
