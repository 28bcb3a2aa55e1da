"""The VMkernel: the first process; owns the physical host, the world table and the supervisor."""
