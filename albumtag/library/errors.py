"""Errors opening a library, each with a message fit to show a person as is."""


class LibraryError(RuntimeError):
    """Base class: the library cannot be used; ``str(error)`` says why and what to do."""


class LibraryNotFoundError(LibraryError):
    pass


class LibraryCorruptError(LibraryError):
    pass


class LibraryLockedError(LibraryError):
    pass
