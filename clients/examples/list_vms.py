"""List the host's VMs as a table: name, power state, CPUs, memory, pool, disk use, IP.

python -m clients.examples.list_vms [--name 'web*']
"""

from __future__ import annotations

from clients import objects
from clients.examples.common import parser, run

COLUMNS = ("Name", "PowerState", "CPUs", "MemoryMB", "Pool", "UsedGB", "Snapshots")


def table(rows: list[tuple[str, ...]]) -> str:
    """Rows under COLUMNS, each column as wide as its widest cell (numbers right-aligned)."""
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    right = {2, 3, 5, 6}

    def line(row: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = tuple("-" * w for w in widths)
    return "\n".join(line(row) for row in [COLUMNS, rule, *rows])


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the example; the exit status."""
    args_parser = parser(__doc__)
    args_parser.add_argument("--name", default="*", help="a glob on VM names")
    args = args_parser.parse_args(argv)
    with objects.connect(args.server, args.user, args.password) as session:
        pools = {pool.id: pool.name for pool in session.resource_pools()}
        rows: list[tuple[str, ...]] = [
            (
                vm.name,
                vm.power_state,
                str(vm.num_cpu),
                str(vm.memory_mb),
                pools.get(vm.resource_pool_id, vm.resource_pool_id),
                f"{vm.used_bytes / 2**30:.2f}",
                str(len(vm.snapshots())),
            )
            for vm in sorted(session.vms(args.name), key=lambda vm: vm.name)
        ]
    print(table(rows))
    return 0


if __name__ == "__main__":
    run(main)
