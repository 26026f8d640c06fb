"""The photo library: one SQLite file, reached only through SQLAlchemy (schema + session)."""
