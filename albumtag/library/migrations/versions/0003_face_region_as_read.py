"""Person instances keep the face region their photo's XMP gave them, as read, so the XMP
export writes it back unchanged rather than the detector's box.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_x1', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('region_y1', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('region_x2', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('region_y2', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('person_instance', schema=None) as batch_op:
        batch_op.drop_column('region_y2')
        batch_op.drop_column('region_x2')
        batch_op.drop_column('region_y1')
        batch_op.drop_column('region_x1')
