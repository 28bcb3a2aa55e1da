"""The VMkernel's virtual disks: ESXi .vmdk descriptors, flat extents, copy-on-write snapshot deltas.

A disk is a chain of files in one folder, top first::

    web01-000002.vmdk ──parentFileNameHint──▶ web01-000001.vmdk ──▶ web01.vmdk      descriptors
          │                                         │                    │
    web01-000002-delta.vmdk              web01-000001-delta.vmdk    web01-flat.vmdk  extents

Writes go to the top only; a read of a grain the top lacks falls through to
the first disk below that has it. A disk with a child is never written again.
An open disk locks its files (flock on the extents: exclusive on a written
top, shared below), so a second writer, or a snapshot, consolidation, extend
or delete of a disk in use, is InvalidState "in use": close, operate, reopen.

Descriptor (text, ESXi's format; ``vmdk``)::

    # Disk DescriptorFile
    version=1
    encoding="UTF-8"
    CID=3f2a9c1e                      8 hex digits, random at creation
    parentCID=ffffffff                the parent's CID; ffffffff for a base disk
    createType="vmfs"                 "vmfsSparse" for a delta
    parentFileNameHint="web01.vmdk"   deltas only: the parent, in the same folder

    # Extent description
    RW 41943040 VMFS "web01-flat.vmdk"          size in 512-byte sectors
                                                (a delta: VMFSSPARSE "…-delta.vmdk")
    # The Disk Data Base
    #DDB

    ddb.adapterType = "lsilogic"      ddb.geometry.*, ddb.uuid, ddb.virtualHWVersion,
    ddb.thinProvisioned = "1"         thin disks only; unknown ddb.* keys are kept

Flat extent (``extent``): the disk's bytes at their own offsets; thin is a
sparse file, thick is fallocated, eagerZeroedThick is fallocated and zeroed.

Delta extent (``delta``), little-endian::

    0        header (4 KiB): b"PYESXCOW", u32 version=1, u32 grain=4096,
             u64 capacity in sectors, u64 bitmap offset=4096, u64 bitmap bytes,
             u64 data offset, u32 CRC-32 of the fields before it
    4096     bitmap: 1 bit per 4 KiB grain (byte g//8, bit g%8), padded to 4 KiB
    data     grain g at data_offset + g*4096; absent grains are holes

Modules: ``names`` (file names), ``vmdk`` (descriptors), ``locks`` (in-use
locks), ``extent`` (flat files), ``delta`` (copy-on-write), ``chain`` (open a
chain as one ``VirtualDisk``), ``disks`` (the operations). Faults are
``pyesx.faults``: InvalidArgument (bad input, corrupt descriptor: its
``DescriptorError`` names file and line), NotFound, FileAlreadyExists,
InvalidState (broken chain, disk in use or read-only), InsufficientResourcesFault
(datastore full).
"""

from vmkernel.storage.chain import VirtualDisk, find_children, open_disk
from vmkernel.storage.disks import consolidate, create_delta, create_disk, delete_disk, grow_disk
from vmkernel.storage.extent import DISK_FORMATS, CorruptExtentError
from vmkernel.storage.vmdk import Descriptor, DescriptorError, read_descriptor, write_descriptor

__all__ = [
    "DISK_FORMATS",
    "CorruptExtentError",
    "Descriptor",
    "DescriptorError",
    "VirtualDisk",
    "consolidate",
    "create_delta",
    "create_disk",
    "delete_disk",
    "find_children",
    "grow_disk",
    "open_disk",
    "read_descriptor",
    "write_descriptor",
]
