"""Face regions read from a photo's XMP are written back exactly as they were read.

A region the import put on a detected face used to go back out as the detector's box for
that face (portrait.jpg, Marie Curie: x 0.368 -> 0.377, w 0.113 -> 0.102, h 0.199 -> 0.163).
What comes back is read with two readers that are not ours: exiftool and Exiv2.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from albumtag.app.importer import import_folders
from albumtag.app.people_actions import PeopleActions
from albumtag.app.xmp_export import export_xmp
from albumtag.cli import EXIT_OK, main
from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_regions import Frame
from albumtag.library.database import Library
from albumtag.library.schema import Person, PersonInstance, Photo

PHOTOS = ("portrait.jpg", "portrait-orientation-6.jpg")  # the second stored on its side (orientation 6)
PRECISION = 1e-6  # the export writes six decimal places (Pierre's w 0.0964286 goes back as 0.096429)
Area = tuple[float, float, float, float]  # x, y (centre), w, h, normalised, of the image as stored
_EXIV2_LINE = re.compile(r"^Xmp\.mwg-rs\.Regions/mwg-rs:RegionList\[(\d+)\]/"
                         r"(mwg-rs:Name|mwg-rs:Area/stArea:[xywh])\s+\S+\s+\d+\s*(.*)$")


def _program(name: str, package: str) -> str:
    program = shutil.which(name)
    if program is None:
        pytest.skip(f"{name} is not installed (apt-get install {package}, or `make exiftool` as root); "
                    "the round trip is checked with it as an independent reader")
    return program


def _exiftool_areas(path: Path) -> dict[str, Area]:
    """Name -> area of each MWG face region, as exiftool reads the file (photo or sidecar)."""
    result = subprocess.run([_program("exiftool", "libimage-exiftool-perl"), "-j", "-struct",
                             "-XMP-mwg-rs:RegionInfo", str(path)], capture_output=True, text=True, check=True,
                            timeout=60)
    regions = json.loads(result.stdout)[0].get("RegionInfo", {}).get("RegionList", [])
    return {region["Name"]: tuple(float(region["Area"][key]) for key in "XYWH")
            for region in regions if region.get("Type") == "Face"}


def _exiv2_areas(path: Path) -> dict[str, Area]:
    """Name -> area of each MWG face region, as Exiv2's own XMP reader (``exiv2 -pa``) sees it."""
    result = subprocess.run([_program("exiv2", "exiv2"), "-pa", str(path)], capture_output=True, text=True,
                            timeout=60)
    fields: dict[int, dict[str, str]] = {}
    for line in result.stdout.splitlines():
        match = _EXIV2_LINE.match(line)
        if match:
            fields.setdefault(int(match[1]), {})[match[2].rsplit(":", 1)[-1]] = match[3].strip()
    assert fields, f"exiv2 read no face regions from {path}: {result.stdout}{result.stderr}"
    return {region["Name"]: tuple(float(region[key]) for key in "xywh") for region in fields.values()}


def _assert_same_areas(read: dict[str, Area], original: dict[str, Area], where: str) -> None:
    assert set(read) == set(original) == {"Marie Curie", "Pierre Curie"}, where
    for name, area in original.items():
        assert read[name] == pytest.approx(area, abs=PRECISION), f"{name} in {where}"


def _album(shared_data: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in PHOTOS:
        shutil.copyfile(shared_data / "formats-immich" / "metadata" / "faces" / name, dest / name)
        (dest / name).chmod(0o644)
    return dest


def test_regions_read_from_a_photo_go_back_exactly(library: Library, shared_data: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Both people, one on a detected face and one the detector missed, into the sidecar and
    into the photo file, on an upright photo and on one stored on its side."""
    originals = {name: shared_data / "formats-immich" / "metadata" / "faces" / name for name in PHOTOS}
    sidecars, into = _album(shared_data, tmp_path / "sidecars"), _album(shared_data, tmp_path / "originals")
    import_folders(library, [sidecars], album_name="Sidecars")
    import_folders(library, [into], album_name="Originals")
    with library.session() as session:  # the case reported: Marie's region landed on a detected face
        marie = session.scalars(select(PersonInstance).join(Person).join(Photo).where(
            Person.name == "Marie Curie", Photo.relpath == "portrait.jpg")).first()
        assert marie.landmarks is not None and marie.region_x1 is not None
    assert main(["--library", str(library.path), "export-xmp", "--album", "Sidecars"]) == EXIT_OK
    assert main(["--library", str(library.path), "export-xmp", "--album", "Originals", "--into-originals"]) == EXIT_OK
    assert "written into photos: 2" in capsys.readouterr().out
    for name, original in originals.items():
        written = {"sidecar": sidecars / f"{name}.xmp", "photo": into / name}
        assert not (into / f"{name}.xmp").exists()
        for reader in (_exiftool_areas, _exiv2_areas):
            for kind, path in written.items():
                _assert_same_areas(reader(path), reader(original), f"{kind} of {name}, read by {reader.__name__}")


def test_a_region_stays_with_its_face_whatever_is_done_to_the_name(
        library: Library, shared_data: Path, tmp_path: Path) -> None:
    """Renaming the person or moving the face to someone else keeps the region's box: it
    outlines that face. A face named in AlbumTag, with no region, gets the detector's box."""
    album = _album(shared_data, tmp_path / "album")
    lfw = shared_data / "faces-lfw" / "Aaron_Peirsol" / "Aaron_Peirsol_0001.jpg"
    shutil.copyfile(lfw, album / "aaron.jpg")
    import_folders(library, [album])
    portrait = album / "portrait.jpg"
    frame = Frame(1, 840, 700)
    before = {person.name: person.box for person in photo_people(portrait, frame)}
    actions = PeopleActions(library)
    with library.session() as session:
        marie = session.scalar(select(Person.id).where(Person.name == "Marie Curie"))
        pierre = session.scalar(select(PersonInstance.id).join(Person).join(Photo).where(
            Person.name == "Pierre Curie", Photo.relpath == "portrait.jpg"))
        aaron = session.scalars(select(PersonInstance).join(Photo).where(Photo.relpath == "aaron.jpg")).first()
    actions.name_person(marie, "Marie Skłodowska-Curie")
    actions.assign_new_name([pierre], "Pierre", instead_of=None)
    actions.assign_new_name([aaron.id], "Aaron Peirsol")
    report = export_xmp(library)
    assert report.failed == []
    after = {person.name: person.box for person in photo_people(portrait, frame)}
    assert after == {"Marie Skłodowska-Curie": pytest.approx(before["Marie Curie"], abs=0.001),
                     "Pierre": pytest.approx(before["Pierre Curie"], abs=0.001)}
    [tagged] = photo_people(album / "aaron.jpg", Frame(1, 250, 250))
    assert tagged.name == "Aaron Peirsol"
    assert tagged.box == pytest.approx((aaron.face_x1, aaron.face_y1, aaron.face_x2, aaron.face_y2), abs=0.001)
