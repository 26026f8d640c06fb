"""The library's tables as a typed SQLAlchemy 2 ORM.

A change here needs an Alembic revision in ``migrations/versions`` (the test suite checks
that the migrations produce exactly this schema).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _enum(kind: type[enum.Enum]) -> Enum:
    """Enums stored as their values in a plain string column (readable, portable)."""
    return Enum(kind, native_enum=False, values_callable=lambda e: [m.value for m in e],
                validate_strings=True, length=16)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class StageStatus(str, enum.Enum):
    DONE = "done"
    FAILED = "failed"


class AssignedBy(str, enum.Enum):
    """Who put an instance with its current person."""

    USER = "user"
    METADATA = "metadata"  # imported from XMP/face regions of another app
    MODEL = "model"  # clustering or a classifier; never overrides the other two


CONFIRMED_BY = (AssignedBy.USER, AssignedBy.METADATA)  # assignments the engine never moves


class DecisionState(str, enum.Enum):
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Album(Base):
    __tablename__ = "album"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    root: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    photos: Mapped[list[Photo]] = relationship(back_populates="album", cascade="all, delete-orphan",
                                               passive_deletes=True)


class Photo(Base):
    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("album_id", "relpath", name="uq_photo_album_relpath"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    album_id: Mapped[int] = mapped_column(ForeignKey("album.id", ondelete="CASCADE"), index=True)
    relpath: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    mtime_ns: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    format: Mapped[str | None] = mapped_column(String(16))
    width: Mapped[int | None]
    height: Mapped[int | None]
    orientation: Mapped[int | None]
    taken_at: Mapped[datetime | None] = mapped_column(index=True)
    missing: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    album: Mapped[Album] = relationship(back_populates="photos")
    stages: Mapped[list[PhotoStage]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    instances: Mapped[list[PersonInstance]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", passive_deletes=True)


class PhotoStage(Base):
    """One pipeline stage's outcome for one photo; absence means the stage is still to do."""

    __tablename__ = "photo_stage"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    status: Mapped[StageStatus] = mapped_column(_enum(StageStatus))
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_photo_stage_stage_status", "stage", "status"),)


class ModelVersion(Base):
    """A model that computed stored results; features are tagged with it."""

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_model_version_name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    first_used_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """A person: named by the user, or an unnamed cluster the engine found (name is NULL)."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    hidden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    instances: Mapped[list[PersonInstance]] = relationship(back_populates="person")


class PersonInstance(Base):
    """A person seen in a photo: a face box with landmarks and/or a body box."""

    __tablename__ = "person_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id", ondelete="CASCADE"), index=True)
    # Boxes in pixels of the upright (EXIF-rotated) photo.
    face_x1: Mapped[float | None] = mapped_column(Float)
    face_y1: Mapped[float | None] = mapped_column(Float)
    face_x2: Mapped[float | None] = mapped_column(Float)
    face_y2: Mapped[float | None] = mapped_column(Float)
    # The face region another program's XMP gave this face, as read (upright pixels); the XMP
    # export writes it back instead of the detector's box (see app.xmp_export). None: no region.
    region_x1: Mapped[float | None] = mapped_column(Float)
    region_y1: Mapped[float | None] = mapped_column(Float)
    region_x2: Mapped[float | None] = mapped_column(Float)
    region_y2: Mapped[float | None] = mapped_column(Float)
    landmarks: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32 [5,2]
    face_score: Mapped[float | None] = mapped_column(Float)
    body_x1: Mapped[float | None] = mapped_column(Float)
    body_y1: Mapped[float | None] = mapped_column(Float)
    body_x2: Mapped[float | None] = mapped_column(Float)
    body_y2: Mapped[float | None] = mapped_column(Float)
    body_score: Mapped[float | None] = mapped_column(Float)  # None: box derived from the face
    keypoints: Mapped[bytes | None] = mapped_column(LargeBinary)  # float32 [33,3] x, y, visibility
    quality: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1, gates clustering
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"),
                                                  index=True)
    assigned_by: Mapped[AssignedBy | None] = mapped_column(_enum(AssignedBy))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    photo: Mapped[Photo] = relationship(back_populates="instances")
    person: Mapped[Person | None] = relationship(back_populates="instances")
    features: Mapped[list[Feature]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Feature(Base):
    """One feature vector of an instance (face, global body, a part), float32 bytes."""

    __tablename__ = "feature"
    __table_args__ = (UniqueConstraint("instance_id", "kind", name="uq_feature_instance_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("person_instance.id", ondelete="CASCADE"),
                                             index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    norm: Mapped[float] = mapped_column(Float)


class TagDecision(Base):
    """instance -> person: suggested by a model, confirmed or rejected by the user, or imported."""

    __tablename__ = "tag_decision"
    __table_args__ = (Index("ix_tag_decision_instance_person", "instance_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("person_instance.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    state: Mapped[DecisionState] = mapped_column(_enum(DecisionState))
    score: Mapped[float | None] = mapped_column(Float)
    source: Mapped[AssignedBy] = mapped_column(_enum(AssignedBy))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LibraryInfo(Base):
    """Small key/value facts about the library (created-by version, calibrated thresholds)."""

    __tablename__ = "library_info"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
