"""The simulated guest OS: firmware (BIOS), installer, kernel, console, shell, guest tools.

It runs on vCPU 0's VMM world. Everything it does goes through the virtual
hardware (``machine.Machine``): its disk through the VMkernel's storage stack,
its frames through the vSwitch, its screen and keyboard through the vmx.
"""
