"""The one error type for a photo that cannot be read, with a reason a person understands."""

from __future__ import annotations

import errno

# Reading failed because of what the entry is, not for the moment: tried again only once the
# scan sees the entry change (a symbolic link loop, a folder where the photo was).
_LASTING = {errno.ELOOP, errno.EISDIR}


class PhotoError(Exception):
    """A file that cannot be imported; ``str(error)`` is shown in the Errors list as is."""


class FileUnreadableError(PhotoError):
    """The file could not be read at all, for now: gone since the folder was scanned, not
    permitted (a folder made unreadable), an I/O error. Nothing is known about the photo, so
    the import tries it again on its next run instead of failing it until the file changes."""


def read_error(error: OSError) -> PhotoError:
    """The PhotoError for a file that could not be opened or read."""
    kind = PhotoError if error.errno in _LASTING else FileUnreadableError
    return kind(f"cannot read file: {error.strerror or error}")
