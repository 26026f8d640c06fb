"""The PySide6 desktop app. Views hold layout only; controllers connect them to app services.

Nothing here touches SQL or models directly: data comes from ``albumtag.app``, and anything
slow runs in worker threads that report back through Qt signals.
"""
