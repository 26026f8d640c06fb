"""Persisting the app's settings with QSettings (the platform's own settings store)."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

from PySide6.QtCore import QSettings

from albumtag.app.settings import EngineSettings
from albumtag.recognize.grouping import GroupingParams
from albumtag.runtime.providers import Device

ORGANISATION, APPLICATION = "AlbumTag", "AlbumTag"
LIBRARY_KEY = "library/path"


def qsettings() -> QSettings:
    return QSettings(ORGANISATION, APPLICATION)


def load_engine_settings(store: QSettings | None = None) -> EngineSettings:
    store = store or qsettings()
    defaults = GroupingParams()
    grouping = {f.name: type(getattr(defaults, f.name))(store.value(f"grouping/{f.name}", getattr(defaults, f.name)))
                for f in fields(GroupingParams)}
    try:
        device = Device(store.value("engine/device", Device.AUTO.value))
    except ValueError:  # an unknown value from a newer version: fall back to the default
        device = Device.AUTO
    return EngineSettings(device=device, grouping=replace(defaults, **grouping))


def save_engine_settings(settings: EngineSettings, store: QSettings | None = None) -> None:
    store = store or qsettings()
    store.setValue("engine/device", settings.device.value)
    for f in fields(GroupingParams):
        store.setValue(f"grouping/{f.name}", getattr(settings.grouping, f.name))
    store.sync()


def saved_library_path(store: QSettings | None = None) -> Path | None:
    value = (store or qsettings()).value(LIBRARY_KEY, "")
    return Path(value) if value else None


def save_library_path(path: Path, store: QSettings | None = None) -> None:
    store = store or qsettings()
    store.setValue(LIBRARY_KEY, str(path))
    store.sync()
