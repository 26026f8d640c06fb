"""Choosing how faces are grouped, on development data only: the LFW people the trainer may
learn from (never the held-out half the other benches report on).

    python -m bench.grouping_dev [--shared ../shared/data] [--per-person 20] [--distractors 500] [--device cpu]

People of the training half with 10+ photos (first ``--per-person`` each) are to be grouped;
the first photo of other training-half people are distractors. The photos are imported
through the app's own stages (decode, faces, regions; bodies are not needed for grouping)
into a temporary library, then the app's ``group_labels`` runs with each variant of
``GroupingParams`` below over the same faces. Each photo's largest face stands for it, as in
``albumtag-bench``; BCubed (distractors lowering precision) and the number of groups are printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import numpy as np
from sqlalchemy import select

from albumtag.app.grouping import load_instances
from albumtag.app.importer import import_folders
from albumtag.app.settings import EngineSettings
from albumtag.app.stages.decode import DecodeStage
from albumtag.app.stages.faces import FaceStage
from albumtag.app.stages.regions import RegionStage
from albumtag.evaluation.metrics import bcubed
from albumtag.evaluation.photo_sets import LabelledPhoto, staged_album
from albumtag.evaluation.run_result import pick_face
from albumtag.evaluation.splits import is_training_person
from albumtag.library.database import Library
from albumtag.library.schema import PersonInstance, Photo
from albumtag.recognize.grouping import GroupingParams, Instances, group_labels
from albumtag.runtime.providers import Device

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
APP = GroupingParams()
VARIANTS = {
    "chinese whispers only": dataclasses.replace(APP, split_radius=np.inf, join_radius=0.0, min_conflicts=0),
    "+ split loose groups": dataclasses.replace(APP, join_radius=0.0, min_conflicts=0),
    "+ join strays": dataclasses.replace(APP, split_radius=np.inf, min_conflicts=0),
    "both": dataclasses.replace(APP, min_conflicts=0),
    "both + cannot-link splits (app)": APP,
    "both, split 0.55": dataclasses.replace(APP, split_radius=0.55),
    "both, join 0.55": dataclasses.replace(APP, join_radius=0.55),
    "both, margin 0.03": dataclasses.replace(APP, join_margin=0.03),
    "both, margin 0.08": dataclasses.replace(APP, join_margin=0.08),
    "both, strays up to 1": dataclasses.replace(APP, stray_size=1),
    "both, strays up to 5": dataclasses.replace(APP, stray_size=5),
}


def development_photos(lfw: Path, per_person: int, distractors: int) -> list[LabelledPhoto]:
    folders = [f for f in sorted(lfw.iterdir()) if f.is_dir() and is_training_person(f.name)]
    photos = {f.name: sorted(f.glob("*.jpg")) for f in folders}
    people = [LabelledPhoto(p, name) for name, ps in photos.items() if len(ps) >= 10 for p in ps[:per_person]]
    others = [LabelledPhoto(ps[0], None) for ps in photos.values() if len(ps) < 10][:distractors]
    return people + others


def imported_faces(photos: list[LabelledPhoto], work: Path, device: str) -> tuple[Instances, list[int | None]]:
    """Every face of the photos, and for each photo the position of its largest face."""
    album = work / "album"
    album.mkdir()
    relpaths = staged_album(photos, album)
    library = Library.open(work / "dev.albumtag")
    stages = [DecodeStage(library.thumbnails_dir), FaceStage(device), RegionStage()]
    import_folders(library, [album], stages=stages, settings=EngineSettings(device=Device(device)))
    with library.session() as session:
        faces = load_instances(session)
        rows = session.execute(
            select(PersonInstance.id, Photo.relpath, PersonInstance.face_x1, PersonInstance.face_y1,
                   PersonInstance.face_x2, PersonInstance.face_y2)
            .join(Photo, Photo.id == PersonInstance.photo_id)).all()
    library.close()
    position = {int(i): k for k, i in enumerate(faces.instance_ids)}
    by_photo: dict[str, list[tuple[int, tuple[float, float, float, float]]]] = {}
    for instance, relpath, *box in rows:
        if instance in position:
            by_photo.setdefault(relpath, []).append((position[instance], tuple(box)))
    largest: list[int | None] = []
    for relpath in relpaths:
        found = by_photo.get(relpath, [])
        pick = pick_face([box for _, box in found], 0, 0, "largest")
        largest.append(None if pick is None else found[pick][0])
    return faces, largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--per-person", type=int, default=20)
    parser.add_argument("--distractors", type=int, default=500)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = parser.parse_args()
    photos = development_photos(args.shared / "faces-lfw", args.per_person, args.distractors)
    labels = [p.label for p in photos]
    with tempfile.TemporaryDirectory(prefix="albumtag-grouping-dev-") as tmp:
        faces, largest = imported_faces(photos, Path(tmp), args.device)
    print(f"{len({y for y in labels if y})} people, {sum(y is not None for y in labels)} photos, "
          f"{sum(y is None for y in labels)} distractors; {len(faces.instance_ids)} faces, "
          f"a face in {sum(k is not None for k in largest)} photos")
    for name, params in VARIANTS.items():
        grouped = group_labels(faces, {}, params)
        clusters = [("alone", n) if k is None else int(grouped[k]) for n, k in enumerate(largest)]
        score = bcubed(labels, clusters)
        print(f"{name:<32} precision {score.precision:.4f} recall {score.recall:.4f} F1 {score.f1:.4f} "
              f"groups {len(set(clusters))}", flush=True)


if __name__ == "__main__":
    main()
