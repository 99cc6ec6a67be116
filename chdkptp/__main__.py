"""``python -m chdkptp``: the command line (same as the ``chdkptp`` console script)."""

from __future__ import annotations

import sys

from chdkptp.cli import main

if __name__ == "__main__":
    sys.exit(main())
