"""Exit statuses of a vmx that mean something to the VMkernel and hostd (anything else is a crash)."""

VMX_EXIT_OK = 0  # powered off or suspended at the host's request
VMX_EXIT_GUEST_POWEROFF = 64  # the guest shut itself down (through its tools or from inside)
VMX_EXIT_VMM_DIED = 65  # a VMM world died: the VM cannot run without one of its vCPUs
