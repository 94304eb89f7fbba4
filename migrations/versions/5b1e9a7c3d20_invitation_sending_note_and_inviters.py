"""A sending of invitations keeps the organiser's note and who invites

Revision ID: 5b1e9a7c3d20
Revises: 5bb94722db80
Create Date: 2026-12-01 18:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e9a7c3d20'
down_revision = '5bb94722db80'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('inviters', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('invitation_batch', schema=None) as batch_op:
        batch_op.drop_column('inviters')
        batch_op.drop_column('note')
