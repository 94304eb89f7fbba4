"""``flask reminders send``: remind commitment owners; safe to run from cron at any rate."""

import click
from flask.cli import with_appcontext

from eventhub.followup.commitments.reminders import send_reminders


@click.group("reminders", help="Remind organisations of their commitments.")
def reminders_cli():
    pass


@reminders_cli.command("send")
@click.option(
    "--days",
    type=click.IntRange(min=0, max=365),
    default=None,
    help="Remind this many days before the due date (default COMMITMENT_REMINDER_DAYS).",
)
@with_appcontext
def send(days: int | None):
    """Queue the reminders that are due and not yet sent; the outbox worker delivers them."""
    run = send_reminders(days)
    click.echo(
        f"Reminders queued: {run.sent}; already sent: {run.already_sent}; "
        f"commitments without a contact: {run.without_contact}."
    )
