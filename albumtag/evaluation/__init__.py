"""Measuring AlbumTag on labelled photo sets, beside the dlib/face_recognition approach.

``albumtag-bench`` (``evaluation.cli``) is the user-facing command; the benchmarks under
``bench/`` reuse the same pieces, so every figure the project quotes comes from one code path.
"""
