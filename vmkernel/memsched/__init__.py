"""The VMkernel's memory scheduler: host free-memory state, allocation targets, reclamation.

Every period (~1 s) it asks each powered-on VM's vmx to take one reclamation step towards the
targets of the last period and gets back the guest memory's figures (``consumed`` measured from the
OS); then it computes:

- the host's state (``states``): free = host memory − Σ VMs' consumed − Σ VMs' overhead, against
  minFree (6 % of the first 4 GB, 4 % of the next 8, 2 % of the next 16, 1 % of the rest): high,
  clear (< minFree), soft (< 64 %), hard (< 32 %), low (< 16 %);
- each VM's allocation target (``targets``): what it would hold (max(working set wanted, granted),
  capped by its limit and size) unless Σ exceeds host memory − Σ overhead − minFree; then memory is
  taken back from the VM with the lowest shares per page under the idle memory tax,
  ρ = S / (P · (f + k · (1 − f))), k = 1 / (1 − τ), τ = 0.75, never below its reservation;
- how (``targets.plan``): the balloon (soft state or worse, or over a limit: at most 65 % of the
  VM's memory, inflating at a bounded rate) and hypervisor swap to the VM's .vswp (hard or low state,
  or over a limit), for what the balloon cannot take back in time.
"""

from .states import MemState, host_state, min_free_mb
from .targets import Plan, VmMemory, allocation_targets, idle_tax_rho, plan

__all__ = [
    "MemState",
    "Plan",
    "VmMemory",
    "allocation_targets",
    "host_state",
    "idle_tax_rho",
    "min_free_mb",
    "plan",
]
