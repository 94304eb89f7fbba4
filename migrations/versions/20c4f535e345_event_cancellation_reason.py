"""event cancellation reason

Revision ID: 20c4f535e345
Revises: 86b7de352d40
Create Date: 2026-12-01 08:50:26.682516

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "20c4f535e345"
down_revision = "86b7de352d40"
branch_labels = None
depends_on = None


def upgrade():
    # Why the organisers cancelled: on the event page and in the cancellation notice.
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancellation_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("cancellation_reason")
