"""The VMkernel network stack: frames and the standard vSwitch data path."""
