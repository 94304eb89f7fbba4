"""``flask materials to-database``: move files from this machine's uploads folder into the
database, before running more than one machine (EVENTHUB_FILE_STORAGE=database).
"""

import click
from flask.cli import with_appcontext

from eventhub.followup.minutes import storage


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
