"""Power on many VMs at once (asyncio), with a progress bar; the powered-off VMs matching the globs.

python -m clients.examples.power_on_many 'web*' 'db*'
"""

from __future__ import annotations

import asyncio
import fnmatch
import sys
from typing import TextIO

from clients import aio
from clients.examples.common import parser, run
from pyesx import faults


class ProgressBar:
    """``[#######.....]  7/12 web07`` redrawn in place on a terminal, one line per step otherwise."""

    def __init__(self, total: int, out: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.done, self.out, self.width = total, 0, out, width

    def step(self, label: str) -> None:
        """One more done: redraw the bar with ``label``."""
        self.done += 1
        filled = self.width * self.done // max(self.total, 1)
        count = f"{self.done:>{len(str(self.total))}}/{self.total}"
        text = f"[{'#' * filled}{'.' * (self.width - filled)}] {count} {label}"
        if self.out.isatty():
            self.out.write(f"\r\x1b[K{text}" + ("\n" if self.done == self.total else ""))
        else:
            self.out.write(text + "\n")
        self.out.flush()


async def power_on_all(session: aio.AsyncSession, patterns: list[str], timeout: float) -> dict[str, str]:
    """Start every matching powered-off VM, then wait for each task; each VM's name → outcome."""
    vms = [
        vm
        for vm in await session.vms()
        if vm.power_state != "poweredOn" and any(fnmatch.fnmatchcase(vm.name, p) for p in patterns)
    ]
    bar = ProgressBar(len(vms))
    outcome: dict[str, str] = {}

    async def one(vm: aio.VM) -> None:
        try:
            await (await vm.power_on()).wait(timeout)
            outcome[vm.name] = "poweredOn"
        except faults.VimFault as fault:
            outcome[vm.name] = f"{type(fault).__name__}: {fault}"
        bar.step(vm.name)

    await asyncio.gather(*(one(vm) for vm in vms))
    return outcome


async def amain(argv: list[str] | None) -> int:
    """The example, in the event loop; the exit status."""
    args_parser = parser(__doc__)
    args_parser.add_argument("patterns", nargs="*", default=["*"], help="globs on VM names (default: all)")
    args_parser.add_argument("--timeout", type=float, default=300.0, help="seconds per power-on")
    args = args_parser.parse_args(argv)
    async with await aio.connect(args.server, args.user, args.password) as session:
        outcome = await power_on_all(session, args.patterns, args.timeout)
    failed = {name: why for name, why in outcome.items() if why != "poweredOn"}
    for name, why in sorted(failed.items()):
        print(f"{name}: {why}")
    print(f"powered on {len(outcome) - len(failed)} of {len(outcome)} VMs")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the example; the exit status."""
    return asyncio.run(amain(argv))


if __name__ == "__main__":
    run(main)
