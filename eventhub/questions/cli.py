"""``flask questions delete-sensitive``: the retention of sensitive answers (retention.py)."""

import click
from flask.cli import with_appcontext

from eventhub.questions import retention


@click.group("questions", help="Registration questions and their answers.")
def questions_cli():
    pass


@questions_cli.command("delete-sensitive")
@with_appcontext
def delete_sensitive():
    """Delete the answers to sensitive questions of events that ended more than
    SENSITIVE_ANSWER_RETENTION_DAYS ago; safe to run from cron at any rate, several at once."""
    done = retention.delete_due_answers()
    deleted = [item for item in done if item.answers]
    total = sum(item.answers for item in deleted)
    click.echo(
        f"Events whose sensitive answers were deleted: {len(deleted)}; answers deleted: {total}."
    )
