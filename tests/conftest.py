"""Shared fixtures. Qt must be told to render offscreen before anything imports it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Models trained on this machine (albumtag.runtime.model_store) must not leak into the tests:
# they always see the bundled models unless a test activates a version of its own.
os.environ["ALBUMTAG_MODELS_HOME"] = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".no-trained-models")

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared photo sets (``../shared/data`` beside the checkout, as in CI)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test photos not found at {SHARED_DATA}; see README.md")
    return SHARED_DATA


@pytest.fixture
def library(tmp_path: Path):
    from albumtag.library.database import Library

    lib = Library.open(tmp_path / "test.albumtag")
    yield lib
    lib.close()


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height``: a decompression bomb's calling card."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) \
        + chunk(b"IEND", b"")


def _jpeg_with_segment(good: bytes, marker: bytes, payload: bytes) -> bytes:
    """Insert an APPn segment right after SOI (how EXIF/XMP are stored)."""
    import struct

    return good[:2] + marker + struct.pack(">H", len(payload) + 2) + payload + good[2:]


@pytest.fixture
def metadata_warnings() -> dict[str, str]:
    """The bad corpus's photos that import with a metadata warning, and a phrase it must contain."""
    return {"corrupt-exif.jpg": "EXIF", "bad-xmp.jpg": "XMP", "entity-xmp.jpg": "XMP"}


@pytest.fixture
def bad_corpus(tmp_path: Path, shared_data: Path) -> tuple[Path, dict[str, str]]:
    """A folder of broken files, each mapped to a phrase its error must contain; plus one
    file with corrupt EXIF and two with malformed XMP (one an entity expansion), which must
    still import, each listed with a warning (see ``metadata_warnings``)."""
    good = (shared_data / "faces-lfw" / "Aaron_Peirsol" / "Aaron_Peirsol_0001.jpg").read_bytes()
    folder = tmp_path / "bad"
    folder.mkdir()
    expected = {
        "zero.jpg": (b"", "empty file"),
        "truncated.jpg": (good[: len(good) // 3], "cannot decode"),
        "text.jpg": (b"hello, I am not a photo\n" * 20, "not an image"),
        "bomb.png": (_png_header(40_000, 40_000), "too large"),
        "random.tif": (bytes(range(256)) * 8, "not an image"),
    }
    for name, (data, _) in expected.items():
        (folder / name).write_bytes(data)
    (folder / "corrupt-exif.jpg").write_bytes(
        _jpeg_with_segment(good, b"\xff\xe1", b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff\x01"))
    (folder / "bad-xmp.jpg").write_bytes(_jpeg_with_segment(
        good, b"\xff\xe1", b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:RDF><unclosed"))
    (folder / "entity-xmp.jpg").write_bytes(_jpeg_with_segment(
        good, b"\xff\xe1", b"http://ns.adobe.com/xap/1.0/\x00<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">"
        b"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">&b;</x:xmpmeta>"))
    (folder / "good.jpg").write_bytes(good)
    return folder, {name: phrase for name, (_, phrase) in expected.items()}


@pytest.fixture
def offered_library(tmp_path: Path):
    """Synthetic faces: Ann (10, named), a later group of hers (6) whose mean is 0.45 from hers,
    too far face by face to join her, and a stranger's group (6). Yields (library, Ann's id,
    the later group's id, the stranger's group's id)."""
    import numpy as np

    from albumtag.app.grouping import update_groups
    from albumtag.app.people_actions import PeopleActions
    from albumtag.library.database import Library
    from albumtag.library.schema import PersonInstance
    from bench.cluster_scale import add_faces, synthetic_faces, synthetic_people

    rng = np.random.default_rng(3)
    ann, stranger = synthetic_people(rng, 2)
    offset = rng.normal(0, 1, ann.shape[0])
    offset -= offset @ ann / (ann @ ann) * ann
    later = ann + 0.45 * offset / np.linalg.norm(offset)
    library = Library.open(tmp_path / "offered.albumtag")
    add_faces(library, synthetic_faces(rng, 10, ann[None]), 1)
    update_groups(library)
    with library.session() as session:
        ann_id = session.get(PersonInstance, 1).person_id
    PeopleActions(library).name_person(ann_id, "Ann")
    faces = np.concatenate([synthetic_faces(rng, 6, later[None]), synthetic_faces(rng, 6, stranger[None])])
    add_faces(library, faces, 11)
    update_groups(library)
    with library.session() as session:
        later_id, stranger_id = session.get(PersonInstance, 11).person_id, session.get(PersonInstance, 17).person_id
    yield library, ann_id, later_id, stranger_id
    library.close()


@pytest.fixture(scope="session")
def johns_faces(shared_data: Path):
    """Real face vectors of similar-looking people: faces-johns' 55 chips (dlib's alignment),
    described by the shipped face models, with each chip's person index (5 Johns x 11). The
    ArcFace chip is cut from the dlib chip, its landmarks where the alignment template puts
    them (black where the ArcFace crop reaches past the dlib chip)."""
    import numpy as np

    from albumtag.embed.face_vector import FaceVectorModel
    from albumtag.vision.align import ARCFACE_TEMPLATE, face_chip, load_template
    from trainer.images import read_rgb

    paths = sorted((shared_data / "faces-johns" / "examples" / "johns").rglob("*.jpg"))
    names = sorted({p.parent.name for p in paths})
    chips = np.stack([read_rgb(p) for p in paths])
    landmarks = load_template().points_for(chips.shape[1])
    arcface = np.stack([face_chip(chip, landmarks, ARCFACE_TEMPLATE, ARCFACE_TEMPLATE.size) for chip in chips])
    vectors = FaceVectorModel(device="cpu").describe(chips, arcface)
    return vectors, np.array([names.index(p.parent.name) for p in paths])
