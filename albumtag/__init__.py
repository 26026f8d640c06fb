"""AlbumTag: find and tag the people in a personal photo collection."""

__version__ = "0.1.0"
