"""Import and rescan: reconcile albums with disk, then run every pipeline stage that is due."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from sqlalchemy import delete, exists, func, select

from albumtag.app.albums import INSERT_CHUNK, ScanSummary, add_album, album_ids, reconcile_album
from albumtag.app.grouping import GroupingSummary, grouped_mark, grouping_behind, update_groups
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
from albumtag.library.schema import Album, Photo, PhotoStage, StageStatus
from albumtag.runtime.providers import Device


@dataclass
class ImportReport:
    scans: dict[int, ScanSummary] = field(default_factory=dict)
    run: RunSummary = field(default_factory=RunSummary)
    groups: GroupingSummary | None = None
    sidecars_changed: int = 0  # photos whose XMP sidecar was written since its people were read
    paused: bool = False  # the background pass stopped on Pause, with photos left for later


def default_stages(library: Library, device: Device | str = Device.AUTO) -> list[Stage]:
    """Every stage the app runs on a photo, in order."""
    return [DecodeStage(library.thumbnails_dir), FaceStage(device), RegionStage(), BodyStage(device)]


def background_left(library: Library) -> int:
    """Photos whose background pass (bodies) is still to do, after a Pause or a closed app: its
    prerequisite done, no result of its own. (A new model version is picked up by a rescan.)"""
    with library.session() as session:
        return session.scalar(select(func.count()).select_from(Photo).where(
            Photo.missing.is_(False),
            exists().where(PhotoStage.photo_id == Photo.id, PhotoStage.stage == BodyStage.requires,
                           PhotoStage.status == StageStatus.DONE),
            ~exists().where(PhotoStage.photo_id == Photo.id, PhotoStage.stage == BodyStage.name))) or 0


def _group(library: Library, report: ImportReport, progress: ProgressCallback, settings: EngineSettings,
           stage: str, label: str, full: bool = False, since: int | None = None) -> None:
    progress(Progress(stage, label, 0, None))
    report.groups = update_groups(library, settings.grouping, full, since)
    progress(Progress(stage, label, 1, 1))


def _run_passes(library: Library, stages: Sequence[Stage], progress: ProgressCallback, cancel: CancelToken,
                pause: CancelToken, settings: EngineSettings, report: ImportReport) -> None:
    """The people pass (every stage but the background ones) and grouping, so the photos'
    people show as soon as their faces are found; then the background stages (bodies, 80-90%
    of the time), which ``pause`` stops as ``cancel`` does, and grouping again with what they
    found (same-day bodies), over every instance this run placed. A paused or cancelled pass
    keeps its finished photos; ``resume_background`` or the next import does the rest."""
    mark = grouped_mark(library)
    report.run = Pipeline(library, [s for s in stages if not s.background], progress, cancel).run()
    faces = report.run.stages.get("faces")
    if faces is not None and (faces.done or grouping_behind(library)):
        _group(library, report, progress, settings, "group", "Grouping faces")
    background = [s for s in stages if s.background]
    if not background or cancel.cancelled:
        return
    later = Pipeline(library, background, progress, CancelToken(cancel, pause)).run()
    report.run.stages.update(later.stages)
    report.paused = pause.cancelled and not cancel.cancelled
    if any(stage.done for stage in later.stages.values()):
        _group(library, report, progress, settings, "regroup", "Grouping with the bodies found",
               full=mark is None, since=mark)


def _reconcile_and_run(library: Library, albums: Sequence[int], stages: Sequence[Stage] | None,
                       progress: ProgressCallback, cancel: CancelToken | None, pause: CancelToken | None,
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
            _run_passes(library, stages or default_stages(library, settings.device), progress, cancel,
                        pause or CancelToken(), settings, report)
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
                   stages: Sequence[Stage] | None = None, settings: EngineSettings = EngineSettings(),
                   pause: CancelToken | None = None) -> ImportReport:
    """Add each folder as an album (idempotent) and import what is new or changed; ``pause``
    stops only the background pass (see ``_run_passes``)."""
    albums = [add_album(library, folder, album_name) for folder in folders]
    return _reconcile_and_run(library, albums, stages, progress, cancel, pause, settings)


def rescan(library: Library, progress: ProgressCallback = ignore_progress,
           cancel: CancelToken | None = None, stages: Sequence[Stage] | None = None,
           settings: EngineSettings = EngineSettings(), pause: CancelToken | None = None) -> ImportReport:
    """Every album: find new, changed, moved and deleted files, then run what is due."""
    return _reconcile_and_run(library, album_ids(library), stages, progress, cancel, pause, settings)


def resume_background(library: Library, progress: ProgressCallback = ignore_progress,
                      cancel: CancelToken | None = None, stages: Sequence[Stage] | None = None,
                      settings: EngineSettings = EngineSettings(), pause: CancelToken | None = None) -> ImportReport:
    """The background pass a Pause (or a closed app) left: its pending photos, then grouping.
    Nothing is scanned; the people pass only finishes photos a cancelled import left."""
    return _reconcile_and_run(library, [], stages, progress, cancel, pause, settings)
