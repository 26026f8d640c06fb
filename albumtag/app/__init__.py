"""Application services: the import pipeline and the actions the GUI and CLI call."""
