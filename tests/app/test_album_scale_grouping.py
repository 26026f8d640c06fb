"""Grouping at album scale, on real photos: two people with about 200 photos each, imported as
two albums, and strangers seen once. Each person is one group, the second album extends the
groups instead of starting new ones, confirmed faces never move, and a stranger seen once
stays alone."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from albumtag.app.importer import default_stages, import_folders
from albumtag.app.people_actions import PeopleActions
from albumtag.library.database import Library
from albumtag.library.schema import AssignedBy, PersonInstance, Photo

PEOPLE = ("Adriana_Lima", "Logan_Lerman")  # faces-pins-dev's two most photographed: 213 and 212
FIRST_ALBUM = 150  # photos of each in the first album; the rest come in the second
STRANGERS = 20


def _album(folder: Path, photos: list[Path]) -> Path:
    folder.mkdir(parents=True)
    for photo in photos:
        shutil.copy(photo, folder / f"{photo.parent.name}-{photo.name}")
    return folder


def _largest_faces(library: Library) -> dict[str, tuple[int, int | None, str]]:
    """Per photo file name: its largest face's instance id, person id and how it was assigned."""
    with library.session() as session:
        rows = session.execute(
            select(Photo.relpath, PersonInstance.id, PersonInstance.person_id, PersonInstance.assigned_by,
                   PersonInstance.face_x1, PersonInstance.face_y1, PersonInstance.face_x2, PersonInstance.face_y2)
            .join(PersonInstance, PersonInstance.photo_id == Photo.id)
            .where(PersonInstance.face_x1.is_not(None))).all()
    best: dict[str, tuple[float, tuple[int, int | None, str]]] = {}
    for relpath, instance, person, by, x1, y1, x2, y2 in rows:
        area = (x2 - x1) * (y2 - y1)
        if relpath not in best or area > best[relpath][0]:
            best[relpath] = (area, (instance, person, AssignedBy(by).value if by else ""))
    return {relpath: found for relpath, (_, found) in best.items()}


def _main_group(faces: dict[str, tuple[int, int | None, str]], person: str) -> tuple[int, float]:
    """The group holding most of ``person``'s photos, and the share it holds."""
    groups = Counter(p for name, (_, p, _) in faces.items() if name.startswith(person))
    total = sum(groups.values())
    group, count = groups.most_common(1)[0]
    return group, count / total


@pytest.mark.slow
def test_two_albums_of_two_much_photographed_people_and_strangers(tmp_path: Path, shared_data: Path) -> None:
    pins = shared_data / "faces-pins-dev"
    photos = {name: sorted((pins / name).iterdir()) for name in PEOPLE}
    lfw = sorted(p for p in (shared_data / "faces-lfw").iterdir() if p.is_dir())
    strangers = [sorted(folder.glob("*.jpg"))[0] for folder in lfw[:STRANGERS]]
    library = Library.open(tmp_path / "lib.albumtag")
    people_pass = [stage for stage in default_stages(library) if not stage.background]  # faces group alone

    first = _album(tmp_path / "first", [p for name in PEOPLE for p in photos[name][:FIRST_ALBUM]])
    import_folders(library, [first], stages=people_pass)
    faces = _largest_faces(library)
    groups = {name: _main_group(faces, name) for name in PEOPLE}
    for name, (group, share) in groups.items():
        assert group is not None and share >= 0.9, (name, share)
    assert groups[PEOPLE[0]][0] != groups[PEOPLE[1]][0]
    adriana = PeopleActions(library).name_person(groups[PEOPLE[0]][0], "Adriana")
    confirmed = {i for i, p, _ in _largest_faces(library).values() if p == adriana}

    second = _album(tmp_path / "second", [p for name in PEOPLE for p in photos[name][FIRST_ALBUM:]] + strangers)
    import_folders(library, [second], stages=people_pass)
    faces = _largest_faces(library)
    assert {i for i, p, by in faces.values() if p == adriana and by == AssignedBy.USER.value} >= confirmed, \
        "confirmed faces never move"
    logan, share = _main_group(faces, PEOPLE[1])
    assert logan == groups[PEOPLE[1]][0] and share >= 0.9, "the second album extends Logan's group"
    seen_once = [faces[name][1] for name in (f"{s.parent.name}-{s.name}" for s in strangers) if name in faces]
    assert len(seen_once) >= STRANGERS - 2 and not {adriana, logan} & set(seen_once), \
        "strangers seen once stay out of the two people"
