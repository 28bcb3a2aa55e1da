"""What every example shares: the connection options (with ``PYESX_*`` defaults) and fault exits."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from pyesx import faults


def parser(description: str | None) -> argparse.ArgumentParser:
    """An argument parser with ``--server --user --password``, defaulting to the PYESX_* variables."""
    parsed = argparse.ArgumentParser(description=(description or "").strip().splitlines()[0])
    env = os.environ.get
    parsed.add_argument("--server", default=env("PYESX_SERVER", "127.0.0.1:8443"), help="HOST:PORT")
    parsed.add_argument("--user", default=env("PYESX_USER", "root"))
    parsed.add_argument("--password", default=env("PYESX_PASSWORD", ""), help="default: $PYESX_PASSWORD")
    return parsed


def run(main: Callable[[list[str] | None], int]) -> None:
    """Run an example's main: a fault prints one line naming it and exits 1; Ctrl-C exits 130."""
    try:
        sys.exit(main(None))
    except faults.VimFault as fault:
        print(f"{type(fault).__name__}: {fault}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
