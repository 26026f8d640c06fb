"""What the XMP export (``app.xmp_export``) and the people backup (``app.backup``) share: the
error each raises when the job cannot be done, and the box a person's tag carries."""

from __future__ import annotations

from albumtag.io.orientation import Box
from albumtag.library.schema import PersonInstance


class InteropError(Exception):
    """An export, backup or restore that cannot be done; the message says why."""


def tag_box(instance: PersonInstance) -> Box | None:
    """The box a tag of this instance carries: its face box; None for a person seen without a face."""
    if instance.face_x1 is None:
        return None
    return instance.face_x1, instance.face_y1, instance.face_x2, instance.face_y2
