"""`python -m hop`: the same as the `hop` command."""

from __future__ import annotations

import sys

from hop.cli import main

sys.exit(main())
