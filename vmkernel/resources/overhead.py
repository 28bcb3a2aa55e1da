"""Per-VM memory overhead (MB): what the VMkernel reserves for a running VM besides its guest memory.

Model (fitted to ESXi's published overhead table, linear in vCPUs and configured memory)::

    overhead_mb = ceil(14.4 + 4.2 · vCPUs + 7.4 · configured_GB)

    1 GB / 1 vCPU → 26 MB        4 GB / 4 vCPU → 61 MB        16 GB / 1 vCPU → 137 MB
"""

from __future__ import annotations

from pyesx.faults import InvalidArgument

# the model's coefficients, in tenths of a MB (integer arithmetic: exact at the table's points)
_BASE_DMB = 144
_PER_VCPU_DMB = 42
_PER_GB_DMB = 74


def memory_overhead_mb(memory_mb: int, num_cpu: int) -> int:
    """The memory overhead in MB of a powered-on VM with ``memory_mb`` configured and ``num_cpu`` vCPUs."""
    if memory_mb <= 0:
        raise InvalidArgument("memoryMB", f"{memory_mb} must be positive")
    if num_cpu <= 0:
        raise InvalidArgument("numCPUs", f"{num_cpu} must be positive")
    tenths_times_1024 = (_BASE_DMB + _PER_VCPU_DMB * num_cpu) * 1024 + _PER_GB_DMB * memory_mb
    return -(-tenths_times_1024 // (10 * 1024))
