"""``flask reminders send``: the one cron command for every reminder (a stable contract).

Commitment owners (follow-up) and registrants before their event (reminders) are reminded by
domains that do not know each other; the entry layer runs both.
"""

import click
from flask.cli import with_appcontext

from eventhub.followup.commitments.reminders import send_reminders as send_commitment_reminders
from eventhub.reminders.sending import send_due_reminders


@click.group(
    "reminders", help="Remind registrants of their events and organisations of their commitments."
)
def reminders_cli():
    pass


@reminders_cli.command("send")
@click.option(
    "--days",
    type=click.IntRange(min=0, max=365),
    default=None,
    help="Remind commitments this many days before the due date "
    "(default COMMITMENT_REMINDER_DAYS).",
)
@with_appcontext
def send(days: int | None):
    """Queue the reminders that are due and not yet sent; the outbox worker delivers them."""
    run = send_commitment_reminders(days)
    click.echo(
        f"Reminders queued: {run.sent}; already sent: {run.already_sent}; "
        f"commitments without a contact: {run.without_contact}."
    )
    events = send_due_reminders()
    click.echo(
        f"Event reminders queued: {events.queued}; skipped, too late: {events.skipped_late}."
    )
