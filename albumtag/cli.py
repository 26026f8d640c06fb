"""``albumtag``: the desktop app with no arguments, library commands otherwise.

Exit codes: 0 success (per-file errors are listed by ``albumtag errors``, not fatal),
1 the library or a path cannot be used (the message says why), 2 bad usage,
130 cancelled with Ctrl+C (finished work is kept; the next run continues).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from albumtag import __version__
from albumtag.paths import LIBRARY_ENV, default_library_path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="albumtag", description="Find and tag the people in your photo albums.",
        epilog=f"The library defaults to ${LIBRARY_ENV} or {default_library_path()}.")
    parser.add_argument("--version", action="version", version=f"AlbumTag {__version__}")
    parser.add_argument("--library", type=Path, default=None,
                        help=f"library file to use (default: ${LIBRARY_ENV} or the user data folder)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    imp = commands.add_parser("import", help="add folders as albums and import their photos")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.add_argument("--album", help="album name (default: the folder's name)")
    commands.add_parser("rescan", help="find new, changed, moved and deleted photos in every album")
    commands.add_parser("status", help="counts of photos per stage, and errors")
    commands.add_parser("errors", help="every photo that could not be imported, with the reason")
    commands.add_parser("people", help="named people and unnamed groups, with photo counts")
    export = commands.add_parser("export-xmp", help="write confirmed people into XMP sidecars beside the photos")
    export.add_argument("--album", help="only this album (default: every album)")
    export.add_argument("--into-originals", action="store_true",
                        help="write into the photo files themselves (JPEG, PNG; others get a sidecar); "
                             "pixels and other metadata are kept, but the files change: have a backup")
    backup = commands.add_parser("backup", help="save people and tags to a portable file")
    backup.add_argument("file", type=Path, metavar="FILE")
    restore = commands.add_parser("restore", help="put people and tags from a backup on matching photos")
    restore.add_argument("file", type=Path, metavar="FILE")
    commands.add_parser("gui", help="open the desktop app (the default)")
    return parser


@contextmanager
def _library(args: argparse.Namespace, create: bool) -> Iterator:
    """The library the arguments name, closed again whatever happens."""
    from albumtag.library.database import Library

    library = Library.open(args.library or default_library_path(), create=create)
    try:
        yield library
    finally:
        library.close()


def cmd_import(args: argparse.Namespace) -> int:
    from albumtag.app.importer import import_folders

    missing = [p for p in args.paths if not p.is_dir()]
    if missing:
        for path in missing:
            print(f"albumtag: {'not a folder' if path.exists() else 'folder not found'}: {path}",
                  file=sys.stderr)
        return EXIT_FAILED
    path = args.library or default_library_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return _run_pipeline(args, lambda lib, progress, cancel: import_folders(
        lib, args.paths, args.album, progress, cancel))


def cmd_rescan(args: argparse.Namespace) -> int:
    from albumtag.app.importer import rescan

    return _run_pipeline(args, rescan, create=False)


def _run_pipeline(args: argparse.Namespace, action: Callable, create: bool = True) -> int:
    from albumtag.app.progress import CancelToken
    from albumtag.cli_progress import TextProgress

    with _library(args, create) as library:
        try:
            report = action(library, TextProgress(), CancelToken())
        except KeyboardInterrupt:
            print("\nalbumtag: cancelled; finished work is saved and the next run continues",
                  file=sys.stderr)
            return EXIT_CANCELLED
    for album_id, scan in report.scans.items():
        print(f"album {album_id}: {scan.new} new, {scan.changed} changed, {scan.missing} missing, "
              f"{scan.returned} back, {scan.unchanged} unchanged")
    if report.sidecars_changed:
        print(f"XMP sidecars written since their people were read: {report.sidecars_changed}")
    for name, stage in report.run.stages.items():
        print(f"{name}: {stage.done} done, {stage.failed} failed of {stage.pending} "
              f"in {stage.seconds:.1f} s")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from albumtag.app.status import library_status

    with _library(args, create=False) as library:
        status = library_status(library)
    print(f"library: {library.path}")
    print(f"albums: {status.albums}  photos: {status.photos}  missing: {status.missing}")
    for stage, counts in sorted(status.stages.items()):
        print(f"  {stage:<10} done {counts['done']:>7}  failed {counts['failed']:>5}  "
              f"to do {max(0, status.photos - counts['done'] - counts['failed']):>7}")
    print(f"people seen: {status.instances}  named people: {status.people}")
    return EXIT_OK


def cmd_errors(args: argparse.Namespace) -> int:
    from albumtag.app.status import photo_failures

    with _library(args, create=False) as library:
        failures = photo_failures(library)
    for failure in failures:
        print(f"{failure.path}\t{failure.stage}\t{'warning: ' if failure.warning else ''}{failure.reason}")
    warnings = sum(failure.warning for failure in failures)
    print(f"{len(failures) - warnings} photo(s) with errors, {warnings} imported with warnings", file=sys.stderr)
    return EXIT_OK


def cmd_people(args: argparse.Namespace) -> int:
    from albumtag.app.people import list_people

    with _library(args, create=False) as library:
        people = list_people(library)
    for person in people:
        print(f"{person.label}\t{person.photos} photos\t{person.instances} faces")
    return EXIT_OK


def _interop(args: argparse.Namespace, action: Callable) -> object | None:
    """Run an export/backup/restore on the library; None, after saying why, if it cannot be done."""
    from albumtag.app.interop import InteropError

    with _library(args, create=False) as library:
        try:
            return action(library)
        except InteropError as error:
            print(f"albumtag: {error}", file=sys.stderr)
            return None


def cmd_export_xmp(args: argparse.Namespace) -> int:
    from albumtag.app.xmp_export import export_xmp
    from albumtag.cli_progress import TextProgress

    report = _interop(args, lambda library: export_xmp(
        library, args.album, args.into_originals, TextProgress(sys.stderr)))
    if report is None:
        return EXIT_FAILED
    for path, reason in report.to_sidecar:
        print(f"{path}\tsidecar instead: {reason}", file=sys.stderr)
    for path, reason in report.failed:
        print(f"{path}\t{reason}", file=sys.stderr)
    if args.into_originals:
        print(f"written into photos: {report.into_originals}  already up to date: {report.unchanged}  "
              f"sidecars instead: {len(report.to_sidecar)}  failed: {len(report.failed)}")
    else:
        print(f"sidecars written: {report.written}  failed: {len(report.failed)}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from albumtag.app.backup import backup

    report = _interop(args, lambda library: backup(library, args.file))
    if report is None:
        return EXIT_FAILED
    print(f"saved {report.people} people and {report.tags} tags on {report.photos} photos to {args.file}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from albumtag.app.backup import restore

    report = _interop(args, lambda library: restore(library, args.file))
    if report is None:
        return EXIT_FAILED
    print(f"people: {report.people}  photos found: {report.photos_found}  "
          f"not in this library: {report.photos_missing}")
    print(f"tags restored: {report.tags.linked} ({report.tags.created} without a detected face)  "
          f"left out: {report.tags.skipped}")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from albumtag.gui.main import run_gui

    return run_gui(args.library)


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    "import": cmd_import, "rescan": cmd_rescan, "status": cmd_status, "errors": cmd_errors,
    "people": cmd_people, "export-xmp": cmd_export_xmp, "backup": cmd_backup, "restore": cmd_restore,
    "gui": cmd_gui, None: cmd_gui,
}


def main(argv: list[str] | None = None) -> int:
    from albumtag.app.worker_pool import WorkerPoolError
    from albumtag.library.errors import LibraryError

    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (LibraryError, WorkerPoolError) as error:
        print(f"albumtag: {error}", file=sys.stderr)
        return EXIT_FAILED
