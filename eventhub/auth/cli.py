import click
from flask.cli import with_appcontext

from eventhub.auth import services
from eventhub.errors import DomainError
from eventhub.extensions import db


@click.group("users", help="Manage organiser accounts.")
def users_cli():
    pass


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", required=True)
@click.option("--admin", is_flag=True, help="May manage organiser accounts.")
@with_appcontext
def create(email: str, password: str, name: str, admin: bool):
    """Create an organiser account (the first admin, typically)."""
    try:
        user = services.create_user(email, name, password, is_admin=admin)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Created {'admin' if admin else 'organiser'} {user.email}")
