"""The frozen app's entry point: ``albumtag.cli:main`` behind multiprocessing's freeze support.

Imports decode photos in ``spawn`` worker processes (albumtag.app.worker_pool). In a
PyInstaller build each worker is the bundled executable started again with multiprocessing's
own arguments; ``freeze_support`` turns such a start into a worker instead of a second app.
"""

import multiprocessing

from albumtag.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
