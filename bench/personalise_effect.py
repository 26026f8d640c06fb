"""What Models › Personalise recognition changes, on a library with confirmed tags: the
recognition figures before and after running exactly the menu's command.

    python -m bench.personalise_effect [--shared ../shared/data] [--max-per-person N] [--confirm K]
                                       [--people P] [--distractors D] [--device cpu] [--out FILE]

The library is built by the real importer (every default stage, then grouping) from
``bench/recognize.py``'s lfw layout: the held-out LFW people with 10+ photos (first N each),
every other held-out person's first photo as a distractor. A simulated user then names each
person by confirming K of their photos in the group that holds most of them (the People
page's "confirm" on the group, then naming it), so the rest of each group stays suggestions.

Figures, on the same library state before and after ``personalise_command(library)`` runs as a
subprocess (it only re-fits the open-set calibration, so the figures read through the
library's acceptance distance are the ones that can move):
- ``accept_distance``: ``app.open_set.acceptance_distance`` (1% FAR at the enrolled faces)
- ``far_distractors``: distractor faces whose nearest confirmed face is nearer than it
- ``tar_named`` / ``wrong_named``: the named people's other photos accepted as themselves /
  as someone else (nearest confirmed face, at the acceptance distance)
- ``sugg_precision`` / ``sugg_recall``: suggestions in ``browse.person_faces`` scored above
  0.5 (closer than a stranger at the stated rate): how many are the person, and how many of
  the person's unconfirmed photos are among them; ``sugg_shown`` counts every suggestion shown
  (grouping decides those, so it cannot move)
- ``bcubed_*``, ``clusters``, ``kshot_*``, ``open_set_far``: ``albumtag-bench``'s figures
  (``evaluation.report.figures``) read from the library, with the library's own calibration
Everything is on held-out people only (``evaluation.splits``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select

from albumtag.app import browse
from albumtag.app.identification import refit_body_suggestions
from albumtag.app.importer import import_folders
from albumtag.app.open_set import acceptance_distance, enrolled_faces
from albumtag.app.people_actions import PeopleActions
from albumtag.app.settings import EngineSettings
from albumtag.app.training import personalise_command
from albumtag.embed.face_descriptor import FACE_FEATURE, MATCH_DISTANCE
from albumtag.embed.face_vector import FACE_VECTOR_SIZE
from albumtag.evaluation.photo_sets import LabelledPhoto, labelled_set, staged_album
from albumtag.evaluation.report import figures
from albumtag.evaluation.run_result import SystemRun, pick_face
from albumtag.evaluation.splits import is_training_person
from albumtag.library.database import Library
from albumtag.library.library_info import stored_open_set_tail
from albumtag.library.schema import CONFIRMED_BY, Feature, Person, PersonInstance, Photo
from albumtag.library.vectors import from_blob
from albumtag.recognize.open_set import library_or_shipped_tail
from albumtag.runtime.providers import Device
from bench.recognize import SHARED, lfw

ROOT = Path(__file__).resolve().parents[1]  # the checkout: the trainer runs from it
SHOWN = ("accept_distance", "enrolled", "far_distractors", "tar_named", "wrong_named", "sugg_shown",
         "sugg_precision", "sugg_recall", "bcubed_precision", "bcubed_recall", "bcubed_f1", "clusters",
         "kshot_1", "kshot_5", "threshold", "open_set_far")
MAIN = ("far_distractors", "tar_named", "sugg_precision", "sugg_recall", "open_set_far")


@dataclass(frozen=True)
class LabelledFace:
    """A photo's labelled face (its largest, as the benches pick it) in the library."""

    label: str | None
    instance_id: int | None  # None: no face found
    vector: np.ndarray | None
    person_id: int | None
    confirmed: bool


def held_out_photos(shared: Path, work: Path, per_person: int, people: int | None,
                    distractors: int | None) -> list[LabelledPhoto]:
    folder, distractor_folder = lfw(shared, work)
    photos = labelled_set(folder, per_person, distractor_folder)
    names = sorted({p.label for p in photos if p.label is not None})[:people]
    kept = [p for p in photos if p.label in set(names)]
    kept += [p for p in photos if p.label is None][:distractors]
    assert all(not is_training_person(p.label or p.path.parent.name) for p in kept if p.label)
    return kept


def labelled_faces(library: Library, relpaths: list[str], labels: list[str | None]) -> list[LabelledFace]:
    rows: dict[str, list[tuple]] = {}
    with library.session() as session:
        for relpath, inst, vector in session.execute(
                select(Photo.relpath, PersonInstance, Feature.vector)
                .join(PersonInstance, PersonInstance.photo_id == Photo.id)
                .join(Feature, (Feature.instance_id == PersonInstance.id) & (Feature.kind == FACE_FEATURE))):
            box = (inst.face_x1, inst.face_y1, inst.face_x2, inst.face_y2)
            rows.setdefault(relpath, []).append(
                (box, inst.id, from_blob(vector), inst.person_id, inst.assigned_by in CONFIRMED_BY))
    faces = []
    for relpath, label in zip(relpaths, labels):
        found = rows.get(relpath, [])
        pick = pick_face([r[0] for r in found], 0, 0, "largest")
        faces.append(LabelledFace(label, None, None, None, False) if pick is None
                     else LabelledFace(label, *found[pick][1:]))
    return faces


def confirm_k(library: Library, faces: list[LabelledFace], k: int) -> int:
    """Each person named by confirming their first ``k`` faces in the group holding most of
    their faces (a new person where the grouping put none of them in a group not yet named)."""
    actions = PeopleActions(library)
    named: set[int] = set()
    for name in sorted({f.label for f in faces if f.label is not None}):
        mine = [f for f in faces if f.label == name and f.instance_id is not None]
        chosen = [f.instance_id for f in mine[:k]]
        groups = Counter(f.person_id for f in mine if f.person_id is not None and f.person_id not in named)
        if not chosen:
            continue
        if not groups:  # none of their faces grouped, or only into someone already named
            named.add(actions.assign_new_name(chosen, name))
        else:
            group = groups.most_common(1)[0][0]
            named.add(group)
            actions.confirm(chosen, group)
            # The rename alone: PeopleActions.name_person would also confirm every face of
            # the group, leaving nothing to suggest, so only the name is written here.
            with library.session() as session:
                session.get(Person, group).name = name
    return len(named)


def _rate(hits: int, asked: int) -> float | None:
    return hits / asked if asked else None


def measure(library: Library, relpaths: list[str], photos: list[LabelledPhoto]) -> dict:
    labels = [p.label for p in photos]
    faces = labelled_faces(library, relpaths, labels)
    accept = acceptance_distance(library)
    gallery = [f for f in faces if f.confirmed and f.vector is not None]
    names = {f.person_id: f.label for f in gallery}  # named group -> the person it was named for
    anchors = np.stack([f.vector for f in gallery])
    anchor_label = [f.label for f in gallery]
    far = [0, 0]
    tar = [0, 0, 0]  # right, wrong, asked
    for face in faces:
        if face.confirmed or face.vector is None or (face.label is not None and face.label not in names.values()):
            continue
        distances = np.linalg.norm(anchors - face.vector, axis=1)
        nearest = int(np.argmin(distances))
        accepted = distances[nearest] < accept
        if face.label is None:
            far[0] += accepted
            far[1] += 1
        else:
            tar[0] += accepted and anchor_label[nearest] == face.label
            tar[1] += accepted and anchor_label[nearest] != face.label
            tar[2] += 1
    label_of = {f.instance_id: f.label for f in faces if f.instance_id is not None}
    shown = likely = right = 0
    unconfirmed = Counter(f.label for f in faces if f.label is not None and not f.confirmed and f.vector is not None)
    fitted = refit_body_suggestions(library)
    for person_id, name in names.items():
        suggestions = [item for item in browse.person_faces(library, person_id, fitted) if not item.confirmed]
        shown += len(suggestions)
        strong = [item for item in suggestions if item.score > 0.5]
        likely += len(strong)
        right += sum(label_of.get(item.instance_id) == name for item in strong)
    wanted = sum(unconfirmed[name] for name in names.values())
    run = SystemRun(np.array([f.vector is not None for f in faces]),
                    np.stack([f.vector if f.vector is not None else np.zeros(FACE_VECTOR_SIZE, np.float32)
                              for f in faces]),
                    [f.person_id for f in faces], len(faces), threshold=MATCH_DISTANCE,
                    impostor_tail=library_or_shipped_tail(stored_open_set_tail(library)).to_json())
    bench = figures(photos, run)
    return {"accept_distance": accept, "enrolled": enrolled_faces(library),
            "far_distractors": _rate(far[0], far[1]), "distractor_queries": far[1],
            "tar_named": _rate(tar[0], tar[2]), "wrong_named": _rate(tar[1], tar[2]), "named_queries": tar[2],
            "sugg_shown": shown, "sugg_likely": likely, "sugg_precision": _rate(right, likely),
            "sugg_recall": _rate(right, wanted),
            **{k: bench[k] for k in ("bcubed_precision", "bcubed_recall", "bcubed_f1", "clusters", "kshot_1",
                                     "kshot_5", "threshold", "open_set_far")}}


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--max-per-person", type=int, default=10)
    parser.add_argument("--confirm", type=int, default=3, help="photos confirmed per person")
    parser.add_argument("--people", type=int, help="only the first P people (a quick run)")
    parser.add_argument("--distractors", type=int, help="only the first D distractors (a quick run)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="albumtag-personalise-") as tmp:
        work = Path(tmp)
        photos = held_out_photos(args.shared, work, args.max_per_person, args.people, args.distractors)
        album = work / "album"
        album.mkdir()
        relpaths = staged_album(photos, album)
        path = work / "bench.albumtag"
        library = Library.open(path)
        import_folders(library, [album], settings=EngineSettings(device=Device(args.device)))
        imported = time.perf_counter() - started
        named = confirm_k(library, labelled_faces(library, relpaths, [p.label for p in photos]), args.confirm)
        before = measure(library, relpaths, photos)
        library.close()
        trainer_started = time.perf_counter()
        done = subprocess.run(personalise_command(path), cwd=ROOT, capture_output=True, text=True)
        trainer_s = time.perf_counter() - trainer_started
        if done.returncode != 0:
            sys.exit(f"personalise failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
        messages = [json.loads(line).get("message", "") for line in done.stdout.splitlines() if line.startswith("{")]
        library = Library.open(path, create=False)
        after = measure(library, relpaths, photos)
        library.close()
    people = len({p.label for p in photos if p.label})
    distractors = sum(p.label is None for p in photos)
    print(f"library: {people} held-out people x {args.max_per_person} photos (+{distractors} distractors), "
          f"{named} named by confirming {args.confirm} photos each; import {imported:.0f} s, "
          f"personalise {trainer_s:.1f} s")
    print(f"queries: {before['named_queries']} named-person photos, {before['distractor_queries']} distractors")
    if messages:
        print(f"trainer: {messages[-1]}")
    print(f"{'figure':<18}{'before':>10}{'after':>10}")
    for key in SHOWN:
        print(f"{key:<18}{_cell(before[key]):>10}{_cell(after[key]):>10}")
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.out:
        args.out.write_text(json.dumps({"before": before, "after": after, "args": vars(args),
                                        "trainer": messages}, indent=2, default=str) + "\n")
    moved = [k for k in MAIN if before[k] != after[k]]
    print("personalise: " + ("; ".join(f"{k} {_cell(before[k])} -> {_cell(after[k])}" for k in MAIN)
                             + ("" if moved else " (unchanged)")))


if __name__ == "__main__":
    main()
