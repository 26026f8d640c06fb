"""Labelled photo sets as the benches read them: one sub-folder per person, plus an optional
folder of distractor photos (people outside the set). Nothing else about the data is assumed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from albumtag.io.formats import is_photo_name
from albumtag.io.scan import scan_folder


@dataclass(frozen=True)
class LabelledPhoto:
    path: Path
    label: str | None  # the person's folder name; None for a distractor


def _photos_in(folder: Path) -> list[Path]:
    return [folder / f.relpath for f in scan_folder(folder)]


def labelled_set(root: Path, max_per_person: int | None = None,
                 distractors: Path | None = None) -> list[LabelledPhoto]:
    """Every person's photos (the first ``max_per_person`` in sorted file-name order, so runs
    repeat), then the distractors. Photos directly in ``root`` have no person and are skipped."""
    if not root.is_dir():
        raise FileNotFoundError(f"not a folder: {root}")
    photos = []
    for person in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        paths = sorted(_photos_in(person), key=lambda p: p.name)[:max_per_person]
        photos += [LabelledPhoto(path, person.name) for path in paths]
    if distractors is not None:
        photos += [LabelledPhoto(path, None) for path in sorted(_photos_in(distractors))]
    if not any(p.label is not None for p in photos):
        raise ValueError(f"no person folders with photos under {root}")
    return photos


def staged_album(photos: list[LabelledPhoto], folder: Path) -> list[str]:
    """Link the chosen photos into one album folder (no copies); returns each photo's path
    relative to it, in order, so library rows can be matched back to labels."""
    relpaths = []
    for index, photo in enumerate(photos):
        if not is_photo_name(photo.path.name):
            raise ValueError(f"not a photo name: {photo.path}")
        relpath = f"{index:06d}{photo.path.suffix.lower()}"
        os.symlink(photo.path.resolve(), folder / relpath)
        relpaths.append(relpath)
    return relpaths
