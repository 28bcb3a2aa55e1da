"""Guest file systems and media: the interfaces (api), ext2 on an MBR-partitioned disk, ISO 9660."""
