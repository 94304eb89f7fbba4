"""``flask reminders send``: remind commitment owners; safe to run from cron at any rate.

``flask materials to-database``: move files from this machine's uploads folder into the
database, before running more than one machine (EVENTHUB_FILE_STORAGE=database).
"""

import click
from flask.cli import with_appcontext

from eventhub.followup import storage
from eventhub.followup.reminders import send_reminders


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


@click.group("materials", help="Uploaded follow-up materials.")
def materials_cli():
    pass


@materials_cli.command("to-database")
@with_appcontext
def to_database():
    """Move the files kept in this machine's uploads folder into the database."""
    moved, missing = storage.move_to_database()
    click.echo(f"Files moved into the database: {moved}.")
    for name in missing:
        click.echo(f"Not in this machine's uploads folder: {name}", err=True)
    if missing:
        raise click.ClickException(
            f"{len(missing)} files are not here: run the command on the machine that has them."
        )
