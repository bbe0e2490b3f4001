"""``python -m kling_tui`` runs the same entry point as the ``kling-tui`` script."""

import sys

from kling_tui.cli import main

sys.exit(main())
