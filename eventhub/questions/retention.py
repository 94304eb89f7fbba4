"""Sensitive answers are kept for SENSITIVE_ANSWER_RETENTION_DAYS after their event ends.

``flask questions delete-sensitive`` (cli.py) deletes them when that time is up. Each event is
its own transaction that starts with the DELETE: a second run at the same moment waits for
the first one's row locks (PostgreSQL) or write lock (SQLite), then finds nothing left and
writes nothing, so cron may start it as often as it likes, on several machines.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, select

from eventhub import activity
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.orm import utcnow
from eventhub.questions.models import Answer, Question, QuestionForm

DELETE_ACTION = "questions.delete_sensitive"


def retention_days() -> int:
    return int(current_app.config["SENSITIVE_ANSWER_RETENTION_DAYS"])


def deletion_due(event: Event) -> datetime:
    """When the event's sensitive answers are due for deletion."""
    return event.ends_at + timedelta(days=retention_days())


@dataclass(frozen=True)
class Retention:
    """What the participants page says about an event's sensitive answers."""

    due: datetime
    deleted_at: datetime | None
    days: int

    @property
    def overdue(self) -> bool:
        return self.deleted_at is None and self.due <= utcnow()


def retention(event: Event, form: QuestionForm | None, has_sensitive: bool) -> Retention | None:
    """None when the event asks nothing sensitive and never did."""
    if form is None or not (has_sensitive or form.sensitive_deleted_at):
        return None
    return Retention(deletion_due(event), form.sensitive_deleted_at, retention_days())


def _sensitive_question_ids(form_id: int):
    return select(Question.id).where(Question.form_id == form_id, Question.sensitive.is_(True))


def due_forms(now: datetime | None = None) -> list[int]:
    """Forms of events that ended more than the retention period ago and still hold sensitive
    answers, or were never marked as cleared."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days())
    has_answers = exists(
        select(Answer.id)
        .join(Question, Question.id == Answer.question_id)
        .where(Question.form_id == QuestionForm.id, Question.sensitive.is_(True))
    )
    has_sensitive = exists(
        select(Question.id).where(Question.form_id == QuestionForm.id, Question.sensitive.is_(True))
    )
    stmt = (
        select(QuestionForm.id)
        .join(Event, Event.id == QuestionForm.event_id)
        .where(
            Event.ends_at < cutoff,
            has_answers | (has_sensitive & QuestionForm.sensitive_deleted_at.is_(None)),
        )
        .order_by(QuestionForm.id)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Deleted:
    event_id: int
    answers: int
    questions: list[str]


def delete_form_answers(form_id: int) -> Deleted | None:
    """Delete one form's sensitive answers and record it; the caller commits. None when
    another run got there first (nothing is written then)."""
    # The DELETE comes first: it takes the write lock before anything is read.
    deleted_questions = list(
        db.session.scalars(
            delete(Answer)
            .where(Answer.question_id.in_(_sensitive_question_ids(form_id)))
            .returning(Answer.question_id)
        )
    )
    form = db.session.get(QuestionForm, form_id)
    if form is None or form.event_id is None:
        return None
    if not deleted_questions and form.sensitive_deleted_at is not None:
        return None
    form.sensitive_deleted_at = utcnow()
    if not deleted_questions:
        return Deleted(form.event_id, 0, [])  # nothing was kept: marked, not logged
    counts = {qid: deleted_questions.count(qid) for qid in set(deleted_questions)}
    questions = db.session.scalars(
        select(Question).where(Question.id.in_(counts)).order_by(Question.position, Question.id)
    ).all()
    labels = [question.label_es for question in questions]
    event = db.session.get(Event, form.event_id)
    activity.log(
        DELETE_ACTION,
        f"{activity.counted(len(deleted_questions), 'sensitive answer', 'sensitive answers')} "
        f"deleted after {retention_days()} days: " + "; ".join(labels),
        event=event,
        details={
            "subject": "; ".join(labels),
            "count": ["sensitive_answers", len(deleted_questions)],
            "questions": {str(q.id): counts[q.id] for q in questions},
        },
    )
    db.session.flush()
    return Deleted(form.event_id, len(deleted_questions), labels)


def delete_due_answers(now: datetime | None = None) -> list[Deleted]:
    """Every due form in a transaction of its own; committed one by one."""
    done: list[Deleted] = []
    form_ids = due_forms(now)
    db.session.commit()  # the reading transaction ends before the first DELETE
    for form_id in form_ids:
        result = delete_form_answers(form_id)
        if result is None:
            db.session.rollback()
            continue
        db.session.commit()
        done.append(result)
    return done
