"""Files on disk: scanning folders, decoding photos, reading metadata, thumbnails."""
