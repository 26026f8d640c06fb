"""Initial schema: albums, photos, stages, people, instances, features, decisions.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 21:16:32.383007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('album',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('root', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_album')),
    sa.UniqueConstraint('root', name=op.f('uq_album_root'))
    )
    op.create_table('library_info',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_library_info'))
    )
    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('first_used_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_version')),
    sa.UniqueConstraint('name', 'version', name='uq_model_version_name_version')
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_name'), ['name'], unique=False)

    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('album_id', sa.Integer(), nullable=False),
    sa.Column('relpath', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('mtime_ns', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('format', sa.String(length=16), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('orientation', sa.Integer(), nullable=True),
    sa.Column('taken_at', sa.DateTime(), nullable=True),
    sa.Column('missing', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['album_id'], ['album.id'], name=op.f('fk_photo_album_id_album'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo')),
    sa.UniqueConstraint('album_id', 'relpath', name='uq_photo_album_relpath')
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_album_id'), ['album_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_taken_at'), ['taken_at'], unique=False)

    op.create_table('person_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('face_x1', sa.Float(), nullable=True),
    sa.Column('face_y1', sa.Float(), nullable=True),
    sa.Column('face_x2', sa.Float(), nullable=True),
    sa.Column('face_y2', sa.Float(), nullable=True),
    sa.Column('landmarks', sa.LargeBinary(), nullable=True),
    sa.Column('face_score', sa.Float(), nullable=True),
    sa.Column('body_x1', sa.Float(), nullable=True),
    sa.Column('body_y1', sa.Float(), nullable=True),
    sa.Column('body_x2', sa.Float(), nullable=True),
    sa.Column('body_y2', sa.Float(), nullable=True),
    sa.Column('quality', sa.Float(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('assigned_by', sa.Enum('user', 'metadata', 'model', name='assignedby', native_enum=False, length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_instance_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_person_instance_photo_id_photo'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_instance'))
    )
    with op.batch_alter_table('person_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_instance_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_instance_photo_id'), ['photo_id'], unique=False)

    op.create_table('photo_stage',
    sa.Column('photo_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=32), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('done', 'failed', name='stagestatus', native_enum=False, length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_photo_stage_photo_id_photo'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('photo_id', 'stage', name=op.f('pk_photo_stage'))
    )
    with op.batch_alter_table('photo_stage', schema=None) as batch_op:
        batch_op.create_index('ix_photo_stage_stage_status', ['stage', 'status'], unique=False)

    op.create_table('feature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('norm', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['person_instance.id'], name=op.f('fk_feature_instance_id_person_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], name=op.f('fk_feature_model_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feature')),
    sa.UniqueConstraint('instance_id', 'kind', name='uq_feature_instance_kind')
    )
    with op.batch_alter_table('feature', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feature_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feature_kind'), ['kind'], unique=False)

    op.create_table('tag_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('suggested', 'confirmed', 'rejected', name='decisionstate', native_enum=False, length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('source', sa.Enum('user', 'metadata', 'model', name='assignedby', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['person_instance.id'], name=op.f('fk_tag_decision_instance_id_person_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_tag_decision_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_decision'))
    )
    with op.batch_alter_table('tag_decision', schema=None) as batch_op:
        batch_op.create_index('ix_tag_decision_instance_person', ['instance_id', 'person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tag_decision_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tag_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_decision_person_id'))
        batch_op.drop_index('ix_tag_decision_instance_person')

    op.drop_table('tag_decision')
    with op.batch_alter_table('feature', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feature_kind'))
        batch_op.drop_index(batch_op.f('ix_feature_instance_id'))

    op.drop_table('feature')
    with op.batch_alter_table('photo_stage', schema=None) as batch_op:
        batch_op.drop_index('ix_photo_stage_stage_status')

    op.drop_table('photo_stage')
    with op.batch_alter_table('person_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_instance_photo_id'))
        batch_op.drop_index(batch_op.f('ix_person_instance_person_id'))

    op.drop_table('person_instance')
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_taken_at'))
        batch_op.drop_index(batch_op.f('ix_photo_content_hash'))
        batch_op.drop_index(batch_op.f('ix_photo_album_id'))

    op.drop_table('photo')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_name'))

    op.drop_table('person')
    op.drop_table('model_version')
    op.drop_table('library_info')
    op.drop_table('album')
