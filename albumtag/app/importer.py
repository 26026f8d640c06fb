"""Import and rescan: reconcile albums with disk, then run every pipeline stage that is due."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from sqlalchemy import delete, select

from albumtag.app.albums import INSERT_CHUNK, ScanSummary, add_album, album_ids, reconcile_album
from albumtag.app.grouping import GroupingSummary, grouping_behind, update_groups
from albumtag.app.pipeline import Pipeline, RunSummary, Stage
from albumtag.app.progress import CancelToken, Progress, ProgressCallback, ignore_progress
from albumtag.app.settings import EngineSettings
from albumtag.app.stages.bodies import BodyStage
from albumtag.app.stages.decode import DecodeStage
from albumtag.app.stages.faces import FaceStage
from albumtag.app.stages.regions import STAGE_NAME as REGIONS_STAGE
from albumtag.app.stages.regions import RegionStage
from albumtag.io.scan import sidecar_mtimes
from albumtag.library.database import Library
from albumtag.library.schema import Album, Photo, PhotoStage
from albumtag.runtime.providers import Device


@dataclass
class ImportReport:
    scans: dict[int, ScanSummary] = field(default_factory=dict)
    run: RunSummary = field(default_factory=RunSummary)
    groups: GroupingSummary | None = None
    sidecars_changed: int = 0  # photos whose XMP sidecar was written since its people were read


def default_stages(library: Library, device: Device | str = Device.AUTO) -> list[Stage]:
    """Every stage the app runs on a photo, in order."""
    return [DecodeStage(library.thumbnails_dir), FaceStage(device), RegionStage(), BodyStage(device)]


def _regroup_if_faces_changed(library: Library, report: ImportReport, progress: ProgressCallback,
                              settings: EngineSettings) -> None:
    faces = report.run.stages.get("faces")
    if faces is None or (faces.done == 0 and not grouping_behind(library)):
        return
    progress(Progress("group", "Grouping faces", 0, None))
    report.groups = update_groups(library, settings.grouping)
    progress(Progress("group", "Grouping faces", 1, 1))


def _reconcile_and_run(library: Library, albums: Sequence[int], stages: Sequence[Stage] | None,
                       progress: ProgressCallback, cancel: CancelToken | None,
                       settings: EngineSettings) -> ImportReport:
    cancel = cancel or CancelToken()
    report = ImportReport()
    with library.writer():  # held across both steps, so no other process interleaves
        for album_id in albums:
            if cancel.cancelled:
                break
            report.scans[album_id] = reconcile_album(library, album_id, progress, cancel)
            report.sidecars_changed += reread_changed_sidecars(library, album_id)
        if not cancel.cancelled:
            pipeline = Pipeline(library, stages or default_stages(library, settings.device), progress, cancel)
            report.run = pipeline.run()
            _regroup_if_faces_changed(library, report, progress, settings)
    report.run.cancelled = cancel.cancelled
    return report


def reread_changed_sidecars(library: Library, album_id: int) -> int:
    """Photos whose XMP sidecar was written after the ``regions`` stage read it (people tagged
    in another program since) get that stage again, so the new names come in. The photo
    itself did not change, so nothing else is redone; names only the sidecar dropped stay,
    as every import only adds what a person has not decided otherwise. Returns how many.
    """
    with library.session() as session:
        root = Path(session.get_one(Album, album_id).root)
        read = session.execute(select(Photo.id, Photo.relpath, PhotoStage.updated_at)
                               .join(PhotoStage, PhotoStage.photo_id == Photo.id)
                               .where(Photo.album_id == album_id, Photo.missing.is_(False),
                                      PhotoStage.stage == REGIONS_STAGE)).all()
    written = sidecar_mtimes(root, [relpath for _, relpath, _ in read])
    stale = [photo_id for photo_id, relpath, read_at in read
             if written.get(relpath, 0) > read_at.replace(tzinfo=UTC).timestamp() * 1e9]
    with library.session() as session:
        for start in range(0, len(stale), INSERT_CHUNK):
            session.execute(delete(PhotoStage).where(PhotoStage.stage == REGIONS_STAGE,
                                                     PhotoStage.photo_id.in_(stale[start:start + INSERT_CHUNK])))
    return len(stale)


def import_folders(library: Library, folders: Sequence[Path], album_name: str | None = None,
                   progress: ProgressCallback = ignore_progress, cancel: CancelToken | None = None,
                   stages: Sequence[Stage] | None = None,
                   settings: EngineSettings = EngineSettings()) -> ImportReport:
    """Add each folder as an album (idempotent) and import what is new or changed."""
    albums = [add_album(library, folder, album_name) for folder in folders]
    return _reconcile_and_run(library, albums, stages, progress, cancel, settings)


def rescan(library: Library, progress: ProgressCallback = ignore_progress,
           cancel: CancelToken | None = None, stages: Sequence[Stage] | None = None,
           settings: EngineSettings = EngineSettings()) -> ImportReport:
    """Every album: find new, changed, moved and deleted files, then run what is due."""
    return _reconcile_and_run(library, album_ids(library), stages, progress, cancel, settings)
