"""How long a person's decision takes to land, on a library of N faces (default 10,000), CPU.

    python -m bench.decision_latency [--faces 10000] [--people 100] [--decisions 20]

A synthetic library (as ``cluster_scale.py`` builds it) is grouped and its largest group
named; a tenth of the faces then arrive later (new photos), so the named person has
suggestions; one suggested face at a time is confirmed (Y) or rejected (N) and the person's ranked
faces are read back, as the review page does. Printed: median and worst milliseconds per
confirm + re-rank and per reject + re-rank, for grouping 100 new faces into the library
(incremental, what an import runs) and for a full re-grouping (goal: each under 1 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from albumtag.app.browse import person_faces
from albumtag.app.grouping import update_groups
from albumtag.app.identification import refit_body_suggestions
from albumtag.app.people import list_people
from albumtag.app.people_actions import PeopleActions
from albumtag.library.database import Library
from bench.cluster_scale import add_faces, synthetic_faces, synthetic_people

NEW_PHOTOS = 100  # one import's worth of new faces on top of the library


def page(library: Library, person_id: int) -> list:
    """A person's page as the window shows it after a decision: PIPER's body suggestions
    refitted (the GUI does it on its writer thread), then the faces."""
    return person_faces(library, person_id, refit_body_suggestions(library))


def timed_ms(action) -> float:
    started = time.perf_counter()
    action()
    return 1000 * (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--decisions", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        library = Library.open(Path(tmp) / "bench.albumtag")
        centres = synthetic_people(rng, args.people)
        faces = synthetic_faces(rng, args.faces, centres)
        first = args.faces - args.faces // 10
        add_faces(library, faces[:first], 1)
        update_groups(library)
        group = max(list_people(library), key=lambda p: p.instances)
        actions = PeopleActions(library)
        actions.name_person(group.id, "Ada")
        add_faces(library, faces[first:], first + 1)
        update_groups(library)
        suggested = [f.instance_id for f in person_faces(library, group.id, refit_body_suggestions(library))
                     if not f.confirmed]
        confirm, reject = suggested[0::2][:args.decisions // 2], suggested[1::2][:args.decisions // 2]
        confirm_ms = [timed_ms(lambda i=i: (actions.confirm([i], group.id), page(library, group.id)))
                      for i in confirm]
        reject_ms = [timed_ms(lambda i=i: (actions.reject([i], group.id), page(library, group.id)))
                     for i in reject]
        add_faces(library, synthetic_faces(rng, NEW_PHOTOS, centres), args.faces + 1)
        incremental_ms = timed_ms(lambda: update_groups(library))
        regroup_ms = timed_ms(lambda: update_groups(library, full=True))
        library.close()
    print(f"{args.faces} faces, {len(suggested)} suggestions for the reviewed person")
    for name, values in (("confirm + re-rank", confirm_ms), ("reject + re-rank", reject_ms)):
        print(f"{name:<20} median {statistics.median(values):7.1f} ms   worst {max(values):7.1f} ms  (n={len(values)})")
    print(f"{f'group {NEW_PHOTOS} new faces':<20} {incremental_ms:7.1f} ms  (incremental, after an import)")
    print(f"{'re-group all faces':<20} {regroup_ms:7.1f} ms  (full, after the features change)")


if __name__ == "__main__":
    main()
