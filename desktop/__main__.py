"""`python -m desktop` runs the command line (and the window by default)."""

import sys

if len(sys.argv) == 3 and sys.argv[1] == "--bulk-writer":  # the bundle's writer process (services/bulk_writer.py)
    from desktop.services.bulk_writer import child_main

    sys.exit(child_main(sys.argv[2]))

from desktop.cli import main  # noqa: E402  (the writer process above never loads the command line)

sys.exit(main())
