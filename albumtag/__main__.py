"""``python -m albumtag``: same as the ``albumtag`` command."""

from albumtag.cli import main

raise SystemExit(main())
