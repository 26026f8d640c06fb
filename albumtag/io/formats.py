"""Which files are photos, and registering the decoders for the formats Pillow lacks."""

from __future__ import annotations

from functools import cache

PHOTO_EXTENSIONS = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".png", ".webp", ".heic", ".heif", ".avif",
        ".tif", ".tiff", ".gif", ".jxl", ".bmp",
    }
)


def is_photo_name(name: str) -> bool:
    """True for a file name with a photo extension (case-insensitive); hidden files excluded."""
    if name.startswith("."):
        return False
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in PHOTO_EXTENSIONS


@cache
def register_codecs() -> tuple[str, ...]:
    """Register HEIF (pillow-heif) and JPEG XL (pillow-jxl-plugin); returns what loaded.

    AVIF is Pillow's own (11.2+). Called once per process (worker processes too). A plugin
    that fails to import only means its format gives a per-file "unsupported format" error.
    """
    loaded = []
    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        loaded.append("heif")
    except ImportError:
        pass
    try:
        import pillow_jxl  # noqa: F401  (registers itself with Pillow on import)

        loaded.append("jxl")
    except ImportError:
        pass
    return tuple(loaded)
