"""Events that confirm addresses before the place is taken; every address in its normal form

Revision ID: 86b7de352d40
Revises: 044b604bda18
Create Date: 2026-12-01 08:55:26.632354

Addresses were only trimmed and lower-cased, so one mailbox typed two ways (``josé`` composed
or decomposed, ``exámple.org`` or ``xn--exmple-qta.org``, full-width letters) made two rows.
This rewrites every stored address in the form eventhub/addresses.py gives, and prints the
mailboxes that have more than one row where there should be one. Nothing is deleted or
merged: an organiser decides which row stays. A row whose normal form another row in the
same scope already holds stays as it is (a unique constraint forbids the change), and is
printed too.
"""

import contextlib
import unicodedata

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

# revision identifiers, used by Alembic.
revision = "86b7de352d40"
down_revision = "044b604bda18"
branch_labels = None
depends_on = None

# (table, what the report calls its rows, the columns an address is unique within, or None
# when the table has no unique constraint on the address).
TABLES = (
    ("user", "organiser accounts", ()),
    ("registration", "registrations", ("event_id",)),
    ("invitation", "invitations", ("event_id",)),
    ("contact", "contacts", ("organisation_id",)),
    ("mail_opt_out", "opt-outs", ()),
    ("feed_token", "calendar feeds", None),
)
SCOPE_NAMES = {"event_id": "event", "organisation_id": "organisation"}


def normal_form(text: str) -> str:
    """eventhub.addresses.email_key as it was when this migration was written (a migration
    must not change when the application's code does)."""
    try:
        result = validate_email(text.strip(), check_deliverability=False)
    except (EmailNotValidError, ValueError):
        text = unicodedata.normalize("NFC", text.strip()).lower()
        local, at, domain = text.rpartition("@")
        if not at:
            return text
        with contextlib.suppress(UnicodeError):
            domain = domain.encode("idna").decode("ascii").lower()
        return f"{local}@{domain}"
    local = unicodedata.normalize("NFC", result.local_part.lower())
    return f"{local}@{result.ascii_domain.lower()}"


def _where(scope_columns, scope) -> str:
    return "".join(
        f" in {SCOPE_NAMES[column]} {value}"
        for column, value in zip(scope_columns, scope, strict=True)
    )


def normalise_addresses(connection, report=print) -> None:
    for name, label, unique_within in TABLES:
        scope_columns = unique_within or ()
        columns = [sa.column("id"), sa.column("email"), *map(sa.column, scope_columns)]
        table = sa.table(name, *columns)
        rows = connection.execute(
            sa.select(*columns)
            .select_from(table)
            .where(table.c.email.is_not(None))
            .order_by(table.c.id)  # the oldest row of a mailbox gets the normal form
        ).all()
        taken: dict[tuple, set[str]] = {}
        groups: dict[tuple, list] = {}
        for row in rows:
            scope = tuple(getattr(row, column) for column in scope_columns)
            taken.setdefault(scope, set()).add(row.email)
            groups.setdefault((scope, normal_form(row.email)), []).append(row)
        changed = 0
        for (scope, email), members in groups.items():
            where = _where(scope_columns, scope)
            if len(members) > 1 and unique_within is not None:
                ids = ", ".join(str(row.id) for row in members)
                report(f"{label}: {len(members)} rows for {email}{where} (ids {ids})")
            for row in members:
                if row.email == email:
                    continue
                if unique_within is not None and email in taken[scope]:
                    report(
                        f"{label}: row {row.id} left as {row.email!r}{where}:"
                        f" {email} is already taken"
                    )
                    continue
                connection.execute(
                    table.update().where(table.c.id == row.id).values(email=email)
                )
                taken[scope].discard(row.email)
                taken[scope].add(email)
                changed += 1
        if changed:
            report(f"{label}: {changed} addresses rewritten in their normal form")


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirm_email", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True))

    normalise_addresses(op.get_bind())


def downgrade():
    # The addresses stay in their normal form: the spellings they replaced are not kept.
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("hold_expires_at")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("confirm_email")
