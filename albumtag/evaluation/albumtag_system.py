"""AlbumTag measured as users get it: the photos imported into a fresh temporary library by
the real importer (every default stage, then grouping), and the answers read back from it."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from albumtag.app.importer import import_folders
from albumtag.app.progress import Progress
from albumtag.app.settings import EngineSettings
from albumtag.embed.face_descriptor import FACE_FEATURE, MATCH_DISTANCE
from albumtag.embed.face_vector import FACE_VECTOR_SIZE
from albumtag.evaluation.photo_sets import LabelledPhoto, staged_album
from albumtag.evaluation.run_result import SystemRun, pick_face
from albumtag.library.database import Library
from albumtag.library.schema import Feature, PersonInstance, Photo
from albumtag.library.vectors import from_blob
from albumtag.recognize.open_set import load_tail
from albumtag.runtime.providers import Device

Face = tuple[tuple[float, float, float, float], np.ndarray, int | None]  # box, vector, person


class _GroupClock:
    """Times the grouping step from the progress the importer reports around it."""

    def __init__(self) -> None:
        self.marks: list[float] = []

    def __call__(self, progress: Progress) -> None:
        if progress.stage == "group":
            self.marks.append(time.perf_counter())

    @property
    def seconds(self) -> float:
        return self.marks[-1] - self.marks[0] if self.marks else 0.0


def faces_by_photo(library: Library) -> dict[str, list[Face]]:
    """Every described face in the library, by the photo's path in its album."""
    found: dict[str, list[Face]] = {}
    with library.session() as session:
        rows = session.execute(
            select(Photo.relpath, PersonInstance, Feature.vector)
            .join(PersonInstance, PersonInstance.photo_id == Photo.id)
            .join(Feature, (Feature.instance_id == PersonInstance.id) & (Feature.kind == FACE_FEATURE)))
        for relpath, inst, vector in rows:
            box = (inst.face_x1, inst.face_y1, inst.face_x2, inst.face_y2)
            found.setdefault(relpath, []).append((box, from_blob(vector), inst.person_id))
    return found


def _answers(relpaths: list[str], faces: dict[str, list[Face]]) -> SystemRun:
    vectors = np.zeros((len(relpaths), FACE_VECTOR_SIZE), np.float32)
    found = np.zeros(len(relpaths), bool)
    clusters: list[int | None] = []
    for k, relpath in enumerate(relpaths):
        photo_faces = faces.get(relpath, [])
        pick = pick_face([box for box, _, _ in photo_faces], 0, 0, "largest")
        clusters.append(None if pick is None else photo_faces[pick][2])
        if pick is not None:
            found[k], vectors[k] = True, photo_faces[pick][1]
    return SystemRun(found, vectors, clusters, sum(map(len, faces.values())), threshold=MATCH_DISTANCE,
                     impostor_tail=load_tail().to_json())


def run(photos: list[LabelledPhoto], device: Device | str = Device.AUTO) -> SystemRun:
    with tempfile.TemporaryDirectory(prefix="albumtag-bench-") as tmp:
        album = Path(tmp) / "album"
        album.mkdir()
        relpaths = staged_album(photos, album)
        library = Library.open(Path(tmp) / "bench.albumtag")
        clock = _GroupClock()
        started = time.perf_counter()
        report = import_folders(library, [album], progress=clock, settings=EngineSettings(device=Device(device)))
        total = time.perf_counter() - started
        result = _answers(relpaths, faces_by_photo(library))
        library.close()
    stages = {name: summary.seconds for name, summary in report.run.stages.items()}
    result.seconds = {"scan": total - sum(stages.values()) - clock.seconds, **stages,
                      "group": clock.seconds, "total": total}
    return result
