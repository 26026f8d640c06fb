"""``albumtag-bench DIR``: how well and how fast AlbumTag recognises the people in a labelled
photo set (one sub-folder per person), beside the dlib/face_recognition approach, same run,
same photos. Prints a table and, with ``--out``, writes the figures as JSON."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from albumtag.evaluation import reference_system
from albumtag.evaluation.isolated_run import SystemFailed, measure
from albumtag.evaluation.photo_sets import labelled_set
from albumtag.evaluation.report import figures, ratios, table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="albumtag-bench", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="one sub-folder of photos per person")
    parser.add_argument("--distractors", type=Path, help="photos of people outside the set")
    parser.add_argument("--max-per-person", type=int, help="each person's first N photos by file name")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--no-reference", action="store_true", help="skip the dlib approach")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    return parser


def evaluate(folder: Path, distractors: Path | None = None, max_per_person: int | None = None,
             device: str = "auto", reference: bool = True) -> dict[str, Any]:
    """The figures for AlbumTag and (when asked and installed) the reference, plus ratios."""
    photos = labelled_set(folder, max_per_person, distractors)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="albumtag-bench-") as tmp:
        results["albumtag"] = figures(photos, measure("albumtag", photos, Path(tmp), device))
        missing = reference_system.available() if reference else "not asked for (--no-reference)"
        if missing is None:
            results["reference"] = figures(photos, measure("reference", photos, Path(tmp)))
            results["ratio"] = ratios(results["albumtag"], results["reference"])
        else:
            results["reference_skipped"] = missing
    return results


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        results = evaluate(args.folder, args.distractors, args.max_per_person, args.device, not args.no_reference)
    except (FileNotFoundError, ValueError, SystemFailed) as error:
        print(f"albumtag-bench: {error}", file=sys.stderr)
        return 2
    if "reference_skipped" in results:
        print(f"reference skipped: {results['reference_skipped']}")
    print(table(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
