"""hostd: the management agent and the only public endpoint of the host."""
