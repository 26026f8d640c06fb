"""Person instances keep the body detector's score and the 33 pose keypoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 23:48:27.341375
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('keypoints', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('person_instance', schema=None) as batch_op:
        batch_op.drop_column('keypoints')
        batch_op.drop_column('body_score')
