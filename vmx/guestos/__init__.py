"""The simulated guest OS: firmware (BIOS), installer, kernel, console, shell, guest tools.

It runs on vCPU 0's VMM world. Everything it does goes through the virtual
hardware (``machine.Machine``): its disk through the VMkernel's storage stack,
its frames through the vSwitch, its screen and keyboard through the vmx.

Entry points (import them lazily: this package imports nothing by itself):

- ``firmware.PcGuest(machine)``: a PC that boots from its disk or the installer CD;
- ``firmware.boot_appliance(machine)``: the preinstalled appliance (in-memory root);
- ``installer_iso.build_installer_iso(out)``: the installer ISO 9660 image;
- ``testing.FakeMachine`` / ``testing.run`` / ``testing.ConsoleSession``: drive a guest in tests.
"""
