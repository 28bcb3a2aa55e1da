"""The vmx user world: one process per powered-on VM, owning its VMM worlds (one per vCPU).

Kept import-free so that ``python -m vmx.vmm`` (a VMM world) stays small.
"""
