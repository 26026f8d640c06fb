"""The one error type for a photo that cannot be read, with a reason a person understands."""


class PhotoError(Exception):
    """A file that cannot be imported; ``str(error)`` is shown in the Errors list as is."""
