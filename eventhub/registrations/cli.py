"""``flask registrations expire``: free the places of holds nobody confirmed in time."""

import click
from flask.cli import with_appcontext

from eventhub.extensions import db
from eventhub.registrations import services


@click.group("registrations", help="Registrations: places held for unconfirmed addresses.")
def registrations_cli():
    pass


@registrations_cli.command("expire")
@with_appcontext
def expire():
    """Release expired holds and move the waiting lists up; safe to run from cron at any rate.

    Places are counted exactly without it (an expired hold no longer counts); this only
    promotes the waiting list of events that nobody registers for in the meantime.
    """
    events, promoted = services.release_all_expired_holds()
    db.session.commit()
    click.echo(f"Events with expired holds: {events}; promoted from the waiting list: {promoted}.")
