"""`python -m desktop` runs the command line (and the window by default)."""

import sys

from desktop.cli import main

sys.exit(main())
