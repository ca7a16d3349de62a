"""Run a ceiling app on exactly the edge's Granian options: `python -m bench.ceilings.serve dict|common`."""

from __future__ import annotations

import sys

from granian import Granian

from admin.serve import edge_options
from common.settings import load_settings_or_exit

TARGETS = {
    "dict": "bench.ceilings.dict_app:app_factory",
    "common": "bench.ceilings.common_app:app_factory",
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TARGETS:
        print(f"usage: python -m bench.ceilings.serve {'|'.join(TARGETS)}", file=sys.stderr)
        return 2
    settings = load_settings_or_exit()
    Granian(TARGETS[argv[0]], factory=True, **edge_options(settings)).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
