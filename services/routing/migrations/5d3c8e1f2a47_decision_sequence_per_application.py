"""decision sequence per application: how many decisions routing announced for each

Revision ID: 5d3c8e1f2a47
Revises: 70105d5ff7c4
Create Date: 2026-12-06 08:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '5d3c8e1f2a47'
down_revision = '70105d5ff7c4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Applications decided before: their decisions on the topic carry no number (0), so the next one is 1.
    with op.batch_alter_table('decided_application') as batch:
        batch.add_column(sa.Column('decisions', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('decided_application') as batch:
        batch.drop_column('decisions')
