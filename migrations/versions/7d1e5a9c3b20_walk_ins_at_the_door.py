"""Walk-ins at the door: a registration may have no address, and says it came as a walk-in

Revision ID: 7d1e5a9c3b20
Revises: 3359d2963f74
Create Date: 2026-12-01 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d1e5a9c3b20'
down_revision = '3359d2963f74'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(
            sa.Column('walk_in', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    # Walk-ins without an address cannot live in the old schema: they go with it.
    op.execute("DELETE FROM registration WHERE email IS NULL")
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('walk_in')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
