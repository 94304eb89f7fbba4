"""An event's one image (a header on its page, a thumbnail in the list, in the invitation);
bytes shared by many outbox messages (that image, in every invitation) kept once

Revision ID: 2b5259e44fcf
Revises: 5b1e9a7c3d20
Create Date: 2026-12-01 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2b5259e44fcf'
down_revision = '5b1e9a7c3d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_image',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('alt_text', sa.String(length=300), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_image_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_event_image_uploaded_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_image'))
    )
    with op.batch_alter_table('event_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_image_uploaded_by_id'), ['uploaded_by_id'], unique=False)
    op.create_table('outbox_blob',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_outbox_blob'))
    )
    if op.get_bind().dialect.name == "postgresql":
        # JPEG, PNG and WebP are compressed already: TOAST need not try again.
        op.execute("ALTER TABLE event_image ALTER COLUMN data SET STORAGE EXTERNAL")
        op.execute("ALTER TABLE outbox_blob ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table('outbox_blob')
    with op.batch_alter_table('event_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_image_uploaded_by_id'))

    op.drop_table('event_image')
