"""server-side sessions; outbox messages know their event

Sessions move from the signed cookie to the user_session table, so the per-account
session_version goes: everyone signs in once more after this upgrade.
Outbox messages get the event they are about, so that only its managers read their
bodies (personal links). Existing invitation and commitment reminder messages are matched
to their event; other old messages stay without one and are readable by admins only.

Revision ID: 044b604bda18
Revises: d02a69a57c93
Create Date: 2026-12-01 08:48:49.725676

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '044b604bda18'
down_revision = 'd02a69a57c93'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_event_id'), ['event_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_event_id_event'), 'event', ['event_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    op.execute(
        "UPDATE outbox_message SET event_id = (SELECT invitation.event_id FROM invitation"
        " WHERE invitation.outbox_message_id = outbox_message.id)"
        " WHERE event_id IS NULL AND EXISTS (SELECT 1 FROM invitation"
        " WHERE invitation.outbox_message_id = outbox_message.id)"
    )
    op.execute(
        "UPDATE outbox_message SET event_id = (SELECT commitment.event_id"
        " FROM commitment_reminder JOIN commitment"
        " ON commitment.id = commitment_reminder.commitment_id"
        " WHERE commitment_reminder.outbox_message_id = outbox_message.id)"
        " WHERE event_id IS NULL AND EXISTS (SELECT 1 FROM commitment_reminder"
        " WHERE commitment_reminder.outbox_message_id = outbox_message.id)"
    )

def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.VARCHAR(length=32), nullable=False, server_default='0')
        )

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_event_id_event'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_message_event_id'))
        batch_op.drop_column('event_id')

    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
