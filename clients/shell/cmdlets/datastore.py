"""Datastores and their files: Get-Datastore, New-Datastore, Remove-Datastore, and the item cmdlets
on datastore paths (Get-ChildItem, New-Item, Remove-Item, Move-Item, Copy-DatastoreItem).

A datastore path is ESXi's ``[datastore1] web01/web01.vmx``; PowerCLI's datastore
drive form ``vmstore:\\ha-datacenter\\datastore1\\web01`` is accepted too.
Copy-DatastoreItem copies between a datastore and the local disk (upload or
download) or between two datastore paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from clients.datastores import Datastore, DatastoreFile
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import MANAGEMENT, Cmdlet
from clients.shell.conversions import DOUBLE, INT32, STRING, STRINGS, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from clients.shell.session import Client
from clients.shell.values import to_string
from clients.shell.wildcard import is_wildcard, like, unescape
from pyesx.faults import InvalidArgument, InvalidState, NotFound

DATASTORE_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.DatastoreManagement.DatastoreImpl"
ITEM_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.DatastoreManagement.DatastoreItemImpl"
_VMSTORE = re.compile(r"^vmstore:[\\/]+(?:[^\\/]+)[\\/]+(?P<ds>[^\\/]+)[\\/]*(?P<rel>.*)$", re.IGNORECASE)
GB = 2**30


def datastore_object(ds: Datastore) -> PSObject:
    """A datastore as Get-Datastore shows it."""
    return PSObject(
        DATASTORE_TYPE,
        [
            ("Name", ds.name),
            ("FreeSpaceGB", round(ds.free_space_gb, 3)),
            ("CapacityGB", round(ds.capacity_gb, 3)),
            ("FreeSpaceMB", ds.free_bytes // 2**20),
            ("CapacityMB", ds.capacity_bytes // 2**20),
            ("Type", "VMFS" if ds.path == ds.url else "NFS"),
            ("State", "Available" if ds.accessible else "Unavailable"),
            ("Accessible", ds.accessible),
            ("CapacityIOPS", ds.capacity_iops),
            ("RemotePath", ds.path),
            ("DatastoreBrowserPath", f"vmstore:\\ha-datacenter\\{ds.name}"),
        ],
        base=ds,
        label=ds.name,
    )


def item_object(item: DatastoreFile) -> PSObject:
    """A file or folder as Get-ChildItem shows it on a datastore path."""
    return PSObject(
        ITEM_TYPE,
        [
            ("Name", item.name),
            ("FullName", item.path),
            ("ItemType", item.type),
            ("Length", item.size_bytes),
            ("AllocatedBytes", item.allocated_bytes),
            ("LastWriteTime", item.modified),
            ("DatastoreFullPath", item.path),
        ],
        base=item,
        label=item.name,
    )


def datastore_path(text: str) -> str | None:
    """``text`` as ``[ds] rel`` if it is a datastore path (either form), else None (a local path)."""
    if text.startswith("["):
        return text
    match = _VMSTORE.match(text)
    if match:
        rel = match["rel"].replace("\\", "/").strip("/")
        return f"[{match['ds']}] {rel}".rstrip()
    return None


def _required_datastore_path(value: object) -> str:
    if isinstance(value, PSObject) and isinstance(value.base, DatastoreFile):
        return value.base.path
    if isinstance(value, PSObject) and isinstance(value.base, Datastore):
        return f"[{value.base.name}]"
    text = to_string(value)
    path = datastore_path(text)
    if path is None:
        raise ConversionError(shown(value), "DatastorePath")
    return path


def _path_or_local(value: object) -> str:
    if isinstance(value, PSObject) and isinstance(value.base, DatastoreFile | Datastore):
        return _required_datastore_path(value)
    return to_string(value)


DATASTORE_PATHS = ArrayType(ParamType("DatastorePath", _required_datastore_path))
ITEM_PATH = ParamType("String", _path_or_local)


def _datastore_reference(value: object) -> Datastore | str:
    if isinstance(value, PSObject) and isinstance(value.base, Datastore):
        return value.base
    if isinstance(value, str) and value:
        return value
    raise ConversionError(shown(value), "Datastore")


DATASTORES = ArrayType(ParamType("Datastore", _datastore_reference))


def match_datastores(client: Client, patterns: list[str]) -> list[Datastore]:
    """Datastores whose names match (a plain name must match one), each once, in order."""
    every = client.datastores()
    if not patterns:
        return every
    found: dict[str, Datastore] = {}
    for pattern in patterns:
        if is_wildcard(pattern):
            matches = [d for d in every if like(d.name, pattern)]
        else:
            matches = [d for d in every if d.name.lower() == unescape(pattern).lower()]
            if not matches:
                raise NotFound(
                    "Datastore",
                    pattern,
                    f"Datastore with name '{pattern}' was not found using the specified filter(s).",
                )
        for ds in matches:
            found.setdefault(ds.name, ds)
    return list(found.values())


class GetDatastore(Cmdlet):
    """Get-Datastore [[-Name] <String[]>]"""

    name = "Get-Datastore"
    synopsis = "Gets the host's datastores: capacity and free space."
    examples = (
        ("Get-Datastore", "Every datastore."),
        ("Get-Datastore datastore1 | Select-Object Name, FreeSpaceGB", "datastore1's free space."),
    )
    parameters = (Parameter("Name", STRINGS, position=0),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        for ds in match_datastores(self.ctx.client(), args.strings("Name")):
            yield datastore_object(ds)


class NewDatastore(Cmdlet):
    """New-Datastore -Name <String> -Path <String> [-CapacityGB <Double>] [-VMHost <Object>]

    Mounts an existing directory of the host as a datastore; -CapacityGB caps its capacity (so a
    full datastore can be tested)."""

    name = "New-Datastore"
    synopsis = "Mounts a directory of the host as a datastore."
    examples = (("New-Datastore -Name ds2 -Path /srv/ds2 -CapacityGB 10", "A 10 GB datastore on /srv/ds2."),)
    parameters = (
        Parameter("Name", STRING, position=0, mandatory=True),
        Parameter("Path", STRING, mandatory=True),
        Parameter("CapacityGB", DOUBLE),
        Parameter("VMHost", STRING),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        capacity = args.number("CapacityGB") if "CapacityGB" in args else 0.0
        if capacity < 0:
            raise InvalidArgument("CapacityGB", f"{capacity} must not be negative")
        ds = self.ctx.client().create_datastore(args.string("Name"), args.string("Path"), int(capacity * GB))
        yield datastore_object(ds)


class SetDatastore(Cmdlet):
    """Set-Datastore [-Datastore] <Datastore[]> [-CapacityGB <Double>] [-CapacityIOPS <Int32>]

    Our own options: -CapacityGB caps the datastore's capacity (0: the filesystem's), -CapacityIOPS
    paces its guest I/O as a disk of that throughput (0: unpaced), so contention can be tested."""

    name = "Set-Datastore"
    synopsis = "Changes a datastore's capacity or IOPS limit."
    examples = (("Set-Datastore ds2 -CapacityGB 20", "Grows ds2 to 20 GB."),)
    parameters = (
        Parameter("Datastore", DATASTORES, position=0, mandatory=True, pipeline=True),
        Parameter("CapacityGB", DOUBLE),
        Parameter("CapacityIOPS", INT32),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        capacity = int(args.number("CapacityGB") * GB) if "CapacityGB" in args else None
        iops = args.integer("CapacityIOPS") if "CapacityIOPS" in args else None
        refs = args.items("Datastore")
        names = [r.name if isinstance(r, Datastore) else str(r) for r in refs]
        for ds in match_datastores(client, names):
            yield datastore_object(client.update_datastore(ds.name, capacity, iops))


class RemoveDatastore(Cmdlet):
    """Remove-Datastore [-Datastore] <Datastore[]> [-Confirm]: unmounts; the files stay."""

    name = "Remove-Datastore"
    synopsis = "Unmounts datastores; their files stay in the directory."
    examples = (("Remove-Datastore ds2 -Confirm:$false", "Unmounts ds2."),)
    parameters = (
        Parameter("Datastore", DATASTORES, position=0, mandatory=True, pipeline=True),
        Parameter("VMHost", STRING),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        refs = args.items("Datastore")
        names = [r.name if isinstance(r, Datastore) else str(r) for r in refs]
        for ds in match_datastores(client, names):
            client.remove_datastore(ds.name)
        return iter(())


class GetChildItem(Cmdlet):
    """Get-ChildItem [-Path] <DatastorePath[]> [-Recurse] [-Filter <String>]

    A datastore folder's files and folders (a file: itself)."""

    name = "Get-ChildItem"
    synopsis = "Lists the files and folders of a datastore folder."
    module = MANAGEMENT
    examples = (
        ("Get-ChildItem '[datastore1] web01'", "web01's files."),
        (
            "Get-ChildItem vmstore:\\ha-datacenter\\datastore1 -Recurse -Filter *.vmdk",
            "Every disk on datastore1.",
        ),
    )
    aliases = ("dir", "ls", "gci")
    parameters = (
        Parameter("Path", DATASTORE_PATHS, position=0, mandatory=True, pipeline=True),
        Parameter("Recurse", SWITCH),
        Parameter("Filter", STRING, position=1),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for path in args.strings("Path"):
            for item in client.browse(path, args.flag("Recurse"), args.string("Filter")):
                yield item_object(item)


class NewItem(Cmdlet):
    """New-Item [-Path] <DatastorePath> -ItemType Directory: a folder on a datastore."""

    name = "New-Item"
    synopsis = "Creates a folder on a datastore."
    module = MANAGEMENT
    examples = (("New-Item '[datastore1] iso' -ItemType Directory", "A folder iso on datastore1."),)
    aliases = ("mkdir",)
    parameters = (
        Parameter("Path", DATASTORE_PATHS, position=0, mandatory=True),
        Parameter("ItemType", STRING),
        Parameter("Force", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        item_type = args.string("ItemType", "Directory")
        if item_type.lower() not in ("directory", "folder"):
            raise InvalidArgument("ItemType", f"'{item_type}': only Directory items are made on a datastore")
        client = self.ctx.client()
        for path in args.strings("Path"):
            yield item_object(client.make_directory(path, create_parents=args.flag("Force")))


class RemoveItem(Cmdlet):
    """Remove-Item [-Path] <DatastorePath[]> [-Recurse] [-Confirm]

    A folder with anything in it needs -Recurse, as in PowerShell."""

    name = "Remove-Item"
    confirm_impact = "Medium"  # as PowerShell's: asks only with -Confirm
    synopsis = "Deletes datastore files or folders (-Recurse for a folder's contents)."
    module = MANAGEMENT
    examples = (("Remove-Item '[datastore1] old' -Recurse -Confirm:$false", "Deletes the folder old."),)
    aliases = ("del", "rm")
    parameters = (
        Parameter("Path", DATASTORE_PATHS, position=0, mandatory=True, pipeline=True),
        Parameter("Recurse", SWITCH),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for path in args.strings("Path"):
            if _is_folder(client, path) and client.browse(path) and not args.flag("Recurse"):
                raise InvalidState(f"The item at '{path}' has children and -Recurse was not given.")
            client.delete_file(path)
        return iter(())


class MoveItem(Cmdlet):
    """Move-Item [-Path] <DatastorePath> [-Destination] <DatastorePath> [-Force]"""

    name = "Move-Item"
    synopsis = "Moves or renames a datastore file or folder."
    module = MANAGEMENT
    examples = (
        ("Move-Item '[datastore1] a.iso' '[datastore1] iso/a.iso'", "Moves a.iso into the folder iso."),
    )
    aliases = ("move", "mv")
    parameters = (
        Parameter("Path", DATASTORE_PATHS, position=0, mandatory=True, pipeline=True),
        Parameter("Destination", DATASTORE_PATHS, position=1, mandatory=True),
        Parameter("Force", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        [destination] = args.strings("Destination")[:1]
        client = self.ctx.client()
        for path in args.strings("Path"):
            yield item_object(client.move_file(path, destination, force=args.flag("Force")))


class CopyDatastoreItem(Cmdlet):
    """Copy-DatastoreItem [-Item] <Object[]> [-Destination] <Object> [-Force] [-Recurse] [-PassThru]

    Between a datastore and the local disk (upload, download) or between datastore paths; -Force
    replaces existing files and makes a missing destination folder (a path ending in /); -PassThru
    outputs what a copy to a datastore made."""

    name = "Copy-DatastoreItem"
    synopsis = "Copies files between this machine and datastores, or between datastores."
    examples = (
        ("Copy-DatastoreItem ./disk.iso '[datastore1] iso/'", "Uploads an ISO."),
        ("Copy-DatastoreItem '[datastore1] web01/web01.vmx' ./", "Downloads a .vmx file."),
    )
    parameters = (
        Parameter("Item", ArrayType(ITEM_PATH), position=0, mandatory=True, pipeline=True),
        Parameter("Destination", ITEM_PATH, position=1, mandatory=True),
        Parameter("Force", SWITCH),
        Parameter("Recurse", SWITCH),
        Parameter("PassThru", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        for made in self._copy(args):
            if args.flag("PassThru"):
                yield made

    def _copy(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        destination = args.string("Destination")
        to_datastore = datastore_path(destination)
        for item in args.strings("Item"):
            from_datastore = datastore_path(item)
            if from_datastore and to_datastore:
                yield item_object(client.copy_file(from_datastore, to_datastore, force=args.flag("Force")))
            elif to_datastore:
                local = Path(item)
                if not local.is_file():
                    raise NotFound("File", item)
                target = to_datastore
                if args.flag("Force") and target.endswith("/") and not _is_folder(client, target.rstrip("/")):
                    client.make_directory(target.rstrip("/"), create_parents=True)  # -Force makes the folder
                if target.endswith(("]", "/")) or _is_folder(client, target):
                    target = f"{target.rstrip('/')}{'/' if not target.endswith(']') else ' '}{local.name}"
                yield item_object(client.upload(local, target, overwrite=args.flag("Force")))
            elif from_datastore:
                local = Path(destination)
                if local.is_dir():
                    local = local / from_datastore.rsplit("/", 1)[-1].split("] ", 1)[-1]
                if local.exists() and not args.flag("Force"):
                    raise InvalidState(f"'{local}' exists: use -Force to replace it")
                client.download(from_datastore, local)
            else:
                raise InvalidArgument("Item", "one side of a Copy-DatastoreItem must be a datastore path")


def _is_folder(client: Client, path: str) -> bool:
    try:
        items = client.browse(path)
    except NotFound:
        return False
    return not (len(items) == 1 and items[0].path == path and not items[0].is_folder)


CMDLETS: tuple[type[Cmdlet], ...] = (
    GetDatastore,
    NewDatastore,
    SetDatastore,
    RemoveDatastore,
    GetChildItem,
    NewItem,
    RemoveItem,
    MoveItem,
    CopyDatastoreItem,
)
