"""The search bar's filters: the album picked in the sidebar, "Taken between" dates, people.

One library of three albums is imported once per module (searching changes nothing in it);
each test clicks through a fresh window and compares the grid with the photos the library
says match, worked out here from the stored rows, not through the app's query.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from sqlalchemy import select

from albumtag.app.importer import import_folders
from albumtag.app.people import list_people
from albumtag.app.people_actions import PeopleActions
from albumtag.gui.main_window import MainWindow
from albumtag.library.database import Library
from albumtag.library.schema import Album, PersonInstance, Photo

IMMICH = "formats-immich"
PLACES = ("metadata/rating/mongolels.jpg", "formats/webp/denali.webp", "metadata/gps-position/thompson-springs.jpg",
          "metadata/dates/datetimeoriginal-gps.jpg")


@dataclass(frozen=True)
class Row:
    id: int
    album: str
    taken_at: datetime | None
    people: frozenset[int]


@pytest.fixture(scope="module")
def albums(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Library]:
    """Friends (group photos; three dated by XMP sidecars 2000/2010/2020, two undated), Nature
    (EXIF dates 2007–2023 and undated ones) and Places (2009–2025), with one person named."""
    root = tmp_path_factory.mktemp("search")
    friends, nature, places = (root / name for name in ("Friends", "Nature", "Places"))
    for folder in (friends, nature, places):
        folder.mkdir()
    images = shared_data / "group-bbt/examples/images"
    for i in range(1, 6):
        shutil.copy(images / f"bbt{i}.jpg", friends)
    for i, year in zip((1, 2, 3), (2000, 2010, 2020)):
        shutil.copy(shared_data / IMMICH / f"metadata/xmp/dates/{year}.xmp", friends / f"bbt{i}.jpg.xmp")
    for photo in sorted((shared_data / IMMICH / "albums/nature").glob("*.jpg")):
        shutil.copy(photo, nature)
    for relpath in PLACES:
        shutil.copy(shared_data / IMMICH / relpath, places)
    library = Library.open(root / "search.albumtag")
    import_folders(library, [friends, nature, places])
    everyone = max((p for p in list_people(library) if p.name is None), key=lambda p: (p.photos, -p.id))
    PeopleActions(library).name_person(everyone.id, "Penny")
    yield library
    library.close()


@pytest.fixture
def window(open_window, albums: Library) -> MainWindow:
    return open_window(albums)


def _rows(library: Library) -> list[Row]:
    """Every photo with its album, date and people, straight from the tables."""
    with library.session() as session:
        photos = session.execute(select(Photo.id, Album.name, Photo.taken_at).join(Album)
                                 .where(Photo.missing.is_(False))).all()
        people: dict[int, set[int]] = {}
        for photo_id, person_id in session.execute(select(PersonInstance.photo_id, PersonInstance.person_id)
                                                   .where(PersonInstance.person_id.is_not(None))):
            people.setdefault(photo_id, set()).add(person_id)
    return [Row(pid, album, taken, frozenset(people.get(pid, ()))) for pid, album, taken in photos]


def _between(row: Row, since: date, until: date) -> bool:
    """Taken on any day from ``since`` to ``until``, both days included; undated photos never."""
    return row.taken_at is not None and since <= row.taken_at.date() <= until


def _shown(window: MainWindow) -> list[int]:
    return [window.photo_model.item(r).id for r in range(window.photo_model.rowCount())]


def _click_nav(qtbot, window: MainWindow, target: tuple[str, int | None]) -> None:
    item = window._find_nav(target)
    sidebar = window.sidebar
    sidebar.scrollToItem(item)
    qtbot.mouseClick(sidebar.viewport(), Qt.MouseButton.LeftButton, pos=sidebar.visualItemRect(item).center())
    assert sidebar.currentItem() is item


def _album_id(library: Library, name: str) -> int:
    with library.session() as session:
        return session.scalar(select(Album.id).where(Album.name == name))


def _search_between(qtbot, window: MainWindow, since: date, until: date) -> None:
    bar = window.search_bar
    if not bar.dated.isChecked():
        qtbot.mouseClick(bar.dated, Qt.MouseButton.LeftButton)
    assert bar.dated.isChecked() and bar.since.isEnabled() and bar.until.isEnabled()
    bar.since.setDate(QDate(since))  # what picking a day in the calendar pop-up does
    bar.until.setDate(QDate(until))
    qtbot.mouseClick(bar.search_button, Qt.MouseButton.LeftButton)


def test_each_album_shows_exactly_its_photos(qtbot, window: MainWindow, albums: Library) -> None:
    rows = _rows(albums)
    for name in ("Friends", "Nature", "Places"):
        _click_nav(qtbot, window, ("album", _album_id(albums, name)))
        expected = {r.id for r in rows if r.album == name}
        assert sorted(_shown(window)) == sorted(expected) and expected
        assert window.grid_heading.text() == f"{name} — {len(expected)} photos"
    _click_nav(qtbot, window, ("all", None))
    assert sorted(_shown(window)) == sorted(r.id for r in rows)


def test_date_range_within_an_album(qtbot, window: MainWindow, albums: Library) -> None:
    since, until = date(2008, 1, 1), date(2022, 12, 31)
    _click_nav(qtbot, window, ("album", _album_id(albums, "Nature")))
    _search_between(qtbot, window, since, until)
    rows = _rows(albums)
    expected = {r.id for r in rows if r.album == "Nature" and _between(r, since, until)}
    elsewhere = {r.id for r in rows if r.album != "Nature" and _between(r, since, until)}
    assert sorted(_shown(window)) == sorted(expected)
    assert len(expected) >= 2 and elsewhere, "the range matches photos in other albums too, left out"
    assert len(expected) < sum(r.album == "Nature" for r in rows), "older, newer and undated ones left out"


def test_the_date_filter_stays_in_force_in_the_next_album(qtbot, window: MainWindow, albums: Library) -> None:
    since, until = date(2008, 1, 1), date(2022, 12, 31)
    _click_nav(qtbot, window, ("album", _album_id(albums, "Nature")))
    _search_between(qtbot, window, since, until)
    _click_nav(qtbot, window, ("album", _album_id(albums, "Places")))  # still ticked: still applied
    rows = _rows(albums)
    expected = {r.id for r in rows if r.album == "Places" and _between(r, since, until)}
    assert sorted(_shown(window)) == sorted(expected)
    assert len(expected) < sum(r.album == "Places" for r in rows)


def test_date_range_over_all_photos_newest_first(qtbot, window: MainWindow, albums: Library) -> None:
    since, until = date(2009, 1, 1), date(2020, 12, 31)
    _click_nav(qtbot, window, ("all", None))
    _search_between(qtbot, window, since, until)
    matching = sorted((r for r in _rows(albums) if _between(r, since, until)), key=lambda r: r.taken_at,
                      reverse=True)
    assert _shown(window) == [r.id for r in matching]
    assert {r.album for r in matching} == {"Friends", "Nature", "Places"}


def test_a_one_day_range_includes_that_whole_day(qtbot, window: MainWindow, albums: Library) -> None:
    rows = _rows(albums)
    latest = max((r for r in rows if r.taken_at is not None and r.taken_at.hour >= 12), key=lambda r: r.taken_at)
    day = latest.taken_at.date()
    _click_nav(qtbot, window, ("all", None))
    _search_between(qtbot, window, day, day)
    assert latest.id in _shown(window)
    assert sorted(_shown(window)) == sorted(r.id for r in rows if _between(r, day, day))


def test_people_and_dates_together(qtbot, window: MainWindow, albums: Library) -> None:
    penny = next(p.id for p in list_people(albums) if p.name == "Penny")
    since, until = date(2005, 1, 1), date(2025, 12, 31)
    _click_nav(qtbot, window, ("all", None))
    qtbot.keyClicks(window.search_bar.people_edit, "penny")
    _search_between(qtbot, window, since, until)
    rows = _rows(albums)
    expected = {r.id for r in rows if penny in r.people and _between(r, since, until)}
    assert sorted(_shown(window)) == sorted(expected)
    assert 1 <= len(expected) < sum(penny in r.people for r in rows), "her photos from 2000 and undated left out"
    assert window.grid_heading.text().startswith("penny — ")


def test_clear_shows_the_whole_album_again(qtbot, window: MainWindow, albums: Library) -> None:
    nature = _album_id(albums, "Nature")
    _click_nav(qtbot, window, ("album", nature))
    _search_between(qtbot, window, date(2008, 1, 1), date(2008, 12, 31))
    assert 1 <= len(_shown(window)) < 9
    assert window.grid_heading.text().startswith("Nature — ")
    qtbot.mouseClick(window.search_bar.clear_button, Qt.MouseButton.LeftButton)
    assert not window.search_bar.dated.isChecked()
    expected = {r.id for r in _rows(albums) if r.album == "Nature"}
    assert sorted(_shown(window)) == sorted(expected)
    assert window.grid_heading.text() == f"Nature — {len(expected)} photos"
