"""Run one system on a list of photos in a process of its own, so its peak memory (with its
worker processes) is measured alone and neither system warms caches for the other.
``measure`` starts the child (this module as a script) and reads back the ``SystemRun``
(``evaluation.run_result``) it saved, adding the peak memory.

    python -m albumtag.evaluation.isolated_run SYSTEM PHOTOS.json OUT.npz [--device D]

Systems: ``albumtag`` (the whole importer into a temporary library), ``albumtag-faces`` (its
face stage alone), ``reference`` (dlib as face_recognition runs it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from albumtag.evaluation.photo_sets import LabelledPhoto
from albumtag.evaluation.process_memory import TreePeakRss
from albumtag.evaluation.run_result import PICK_RULES, SystemRun

SYSTEMS = ("albumtag", "albumtag-faces", "reference")


class SystemFailed(RuntimeError):
    pass


def measure(system: str, photos: list[LabelledPhoto], workdir: Path, device: str = "auto",
            pick: str = "largest") -> SystemRun:
    """Run ``system`` in a child process; its answers plus the peak RSS of its process tree."""
    listing, out = workdir / f"{system}-photos.json", workdir / f"{system}.npz"
    listing.write_text(json.dumps([[str(p.path), p.label] for p in photos]))
    command = [sys.executable, "-m", "albumtag.evaluation.isolated_run", system, str(listing), str(out),
               "--device", device, "--pick", pick]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as child:
        with TreePeakRss(root=child.pid) as peak:
            _, errors = child.communicate()
    if child.returncode != 0:
        raise SystemFailed(f"{system} failed (exit {child.returncode}):\n{errors[-2000:]}")
    result = SystemRun.load(out)
    result.peak_rss_mb = peak.mb
    return result


def _run(system: str, photos: list[LabelledPhoto], device: str, pick: str) -> SystemRun:
    if system == "albumtag":
        from albumtag.evaluation import albumtag_system

        return albumtag_system.run(photos, device)
    if system == "albumtag-faces":
        from albumtag.evaluation import face_system

        return face_system.run(photos, device, pick=pick)
    from albumtag.evaluation import reference_system

    return reference_system.run(photos, pick)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("photos", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--pick", choices=PICK_RULES, default="largest",
                        help="which face is the labelled person (albumtag always uses the largest)")
    args = parser.parse_args()
    photos = [LabelledPhoto(Path(path), label) for path, label in json.loads(args.photos.read_text())]
    _run(args.system, photos, args.device, args.pick).save(args.out)


if __name__ == "__main__":
    main()
