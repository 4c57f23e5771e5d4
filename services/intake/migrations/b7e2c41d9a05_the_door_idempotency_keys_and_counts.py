"""the door: idempotency keys of submissions, counts per window (caps per recipient, sign-in attempts)

Revision ID: b7e2c41d9a05
Revises: 3029e9ab1908
Create Date: 2026-12-06 08:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = 'b7e2c41d9a05'
down_revision = '3029e9ab1908'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_key',
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('body_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_salt', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_hash')
    )
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_key_created_at'), ['created_at'], unique=False)

    op.create_table('throttle_count',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('window_start', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start')
    )
    with op.batch_alter_table('throttle_count', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_count_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('throttle_count', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_count_expires_at'))
    op.drop_table('throttle_count')
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_key_created_at'))
    op.drop_table('idempotency_key')
