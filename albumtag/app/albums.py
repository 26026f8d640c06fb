"""Albums: adding a folder, and reconciling the library with what is on disk (rescan).

Reconciling is cheap (one directory walk and one stat per file); the expensive work is left
to the pipeline's stages, which pick up exactly the photos that are new or changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from albumtag.app.progress import CancelToken, ProgressCallback, StageTimer, ignore_progress
from albumtag.app.stages.decode import STAGE_NAME as DECODE_STAGE
from albumtag.io.scan import ScannedFile, scan_folder
from albumtag.library.database import Library
from albumtag.library.schema import Album, Photo, PhotoStage

INSERT_CHUNK = 500


class AlbumError(ValueError):
    """An album folder that cannot be added; the message says why."""


@dataclass
class ScanSummary:
    new: int = 0
    changed: int = 0
    missing: int = 0
    returned: int = 0
    unchanged: int = 0


def add_album(library: Library, folder: Path, name: str | None = None) -> int:
    """Register a folder as an album (idempotent); returns the album id."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise AlbumError(f"folder not found: {folder}")
    if not folder.is_dir():
        raise AlbumError(f"not a folder: {folder}")
    root = str(folder.resolve())
    with library.session() as session:
        # INSERT OR IGNORE, then read: two imports of one new folder started together (the
        # writer lock is taken after this) both see no album; a select-then-insert made the
        # second fail on album.root's unique constraint.
        session.execute(sqlite_insert(Album).values(name=name or folder.resolve().name or root, root=root)
                        .on_conflict_do_nothing(index_elements=[Album.root]))
        return session.scalar(select(Album.id).where(Album.root == root))


def album_ids(library: Library) -> list[int]:
    with library.session() as session:
        return list(session.scalars(select(Album.id).order_by(Album.id)))


def reconcile_album(library: Library, album_id: int, progress: ProgressCallback = ignore_progress,
                    cancel: CancelToken | None = None) -> ScanSummary:
    """Bring the album's photo rows in line with its folder (new, changed, missing files)."""
    cancel = cancel or CancelToken()
    with library.session() as session:
        root = Path(session.get_one(Album, album_id).root)
        known = {rel: (pid, size, mtime, missing) for pid, rel, size, mtime, missing in session.execute(
            select(Photo.id, Photo.relpath, Photo.size, Photo.mtime_ns, Photo.missing)
            .where(Photo.album_id == album_id))}
    timer = StageTimer("scan", f"Scanning {root.name}", None)
    summary = ScanSummary()
    seen: set[str] = set()
    new_files: list[ScannedFile] = []
    changed: list[tuple[int, ScannedFile]] = []
    returned: list[int] = []
    for scanned in scan_folder(root):
        if cancel.cancelled:
            return summary
        seen.add(scanned.relpath)
        timer.done += 1
        if timer.done % 500 == 0:
            progress(timer.snapshot())
        row = known.get(scanned.relpath)
        if row is None:
            new_files.append(scanned)
        elif (row[1], row[2]) != (scanned.size, scanned.mtime_ns):
            changed.append((row[0], scanned))
        elif row[3]:
            returned.append(row[0])
        else:
            summary.unchanged += 1
    gone = [row[0] for rel, row in known.items() if rel not in seen and not row[3]]
    with library.session() as session:
        _insert_new(session, album_id, new_files)
        _mark_changed(session, changed)
        _set_missing(session, returned, False)
        _set_missing(session, gone, True)
    summary.new, summary.changed = len(new_files), len(changed)
    summary.returned, summary.missing = len(returned), len(gone)
    progress(timer.snapshot())
    return summary


def _insert_new(session: Session, album_id: int, files: list[ScannedFile]) -> None:
    for start in range(0, len(files), INSERT_CHUNK):
        session.execute(insert(Photo), [
            {"album_id": album_id, "relpath": f.relpath, "size": f.size, "mtime_ns": f.mtime_ns,
             "missing": False}
            for f in files[start:start + INSERT_CHUNK]])


def _mark_changed(session: Session, changed: list[tuple[int, ScannedFile]]) -> None:
    """Size or time changed: decode again; the decode stage compares hashes to see if the
    content really changed (a touched file keeps everything)."""
    for photo_id, scanned in changed:
        session.execute(update(Photo).where(Photo.id == photo_id)
                        .values(size=scanned.size, mtime_ns=scanned.mtime_ns, missing=False))
        session.execute(delete(PhotoStage).where(PhotoStage.photo_id == photo_id,
                                                 PhotoStage.stage == DECODE_STAGE))


def _set_missing(session: Session, photo_ids: list[int], missing: bool) -> None:
    for start in range(0, len(photo_ids), INSERT_CHUNK):
        session.execute(update(Photo).where(Photo.id.in_(photo_ids[start:start + INSERT_CHUNK]))
                        .values(missing=missing))
