"""the last decision notify acted on, per application

Revision ID: 8e41b7c2d9f0
Revises: eb438b525f4e
Create Date: 2026-12-06 08:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '8e41b7c2d9f0'
down_revision = 'eb438b525f4e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('last_decision',
    sa.Column('application_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('application_id')
    )


def downgrade() -> None:
    op.drop_table('last_decision')
