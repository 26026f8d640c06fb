"""The library's feature kinds for a person's body and body parts, and the parts' descriptor.

A person instance stores one ``body`` feature (the whole body box) and one ``part:<type>``
feature per poselet type that fired on its pose (``albumtag.vision.poselets``); which parts
fired is exactly which ``part:*`` rows exist.

PIPER trains one CNN per poselet type. Here every part crop goes through the one body
re-identification CNN (``body_descriptor``) and is joined with the crop's colour statistics,
as whole bodies are (``describe_with_colour``). Why that stands in reasonably: (1) the
poselet's job in PIPER is mostly alignment, so that one part is compared with the same part
seen the same way; the aligned crop gives that, and vectors are only ever compared within
one part type; (2) the CNN was trained with random erasing, shifts and crops of people at
many framings, so a crop of the upper body or the legs is not wholly new to it; (3) the
colour statistics are computed in horizontal stripes of the aligned crop, so they become
part-specific (shirt vs trousers) for free. Its cost is that a part crop stretched to the
CNN's 128x64 input is out of the distribution it was trained on. Measured on held-out people
(``bench/reid.py --part ...`` with the CNN trained 2026-11-24, reid-v1-1b4193ca2095; rank-1
on the crops where the part fired; whole body on the same crops in brackets): upper body
0.775 (0.859) on bodies-reid, 0.535 (0.901) across its sequences, 0.30 (0.60) on CUHK03 (10
queries: elbows are rarely all visible there); torso 0.253 (0.698) and head and shoulders
0.111 (0.690) on CUHK03, whose heads are a few pixels wide; the aligned full body 0.938
(0.951). So a part alone is a weak cue and, joined with the body at equal weight, mostly
costs accuracy (CUHK03 torso: 0.565 vs 0.698): parts must be weighted as PIPER does, by
weights learned per part (``albumtag.recognize.piper``), and they are worth most where the
body box is not (the face-derived box of a person half out of the frame, a back view whose
parts still fire). Letterboxing part crops to 1:2 instead of stretching changed rank-1 by
-0.08..+0.10 depending on the part: not adopted.
"""

from __future__ import annotations

BODY_FEATURE = "body"
PART_FEATURE_PREFIX = "part:"


def part_feature(type_name: str) -> str:
    """The feature kind of one poselet type's descriptor."""
    return f"{PART_FEATURE_PREFIX}{type_name}"
