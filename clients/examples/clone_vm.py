"""Clone a powered-off VM by copying its folder: copy its files through the datastore file manager,
give the copy a new BIOS uuid and new generated MACs (what ESXi does when told "I copied it"), and
register it.

    python -m clients.examples.clone_vm web01 web01-copy [--power-on]
"""

from __future__ import annotations

import re
import secrets
import uuid

from clients import objects
from clients.examples.common import parser, run
from pyesx import faults
from pyesx.vmxfile import VmxConfig

SKIPPED = re.compile(r"(^vmware.*\.log$|\.lck$|\.vswp$)")  # logs and run-time files stay behind


def bios_uuid() -> str:
    """A new uuid in ESXi's uuid.bios spelling ("56 4d 8c … 1b 7a-9c 7b … 2c 1d")."""
    spaced = " ".join(f"{x:02x}" for x in uuid.uuid4().bytes)
    return f"{spaced[:23]}-{spaced[24:]}"


def generated_mac() -> str:
    """A new address in VMware's generated range (00:0c:29)."""
    return "00:0c:29:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def as_copied(vmx: VmxConfig, name: str) -> list[str]:
    """Make ``vmx`` a copy's: its name, new uuids, new generated MACs; the keys changed."""
    vmx["displayName"] = name
    changed = ["displayName", "uuid.bios", "vc.uuid"]
    vmx["uuid.bios"], vmx["vc.uuid"] = bios_uuid(), bios_uuid()
    for key in [k for k in vmx if k.endswith(".generatedAddress")]:
        vmx[key] = generated_mac()
        changed.append(key)
    for key in [k for k in vmx if k.startswith("uuid.location") or k.endswith(".generatedAddressOffset")]:
        del vmx[key]
    return changed


def clone(session: objects.Session, source: objects.VM, name: str) -> objects.VM:
    """Copy ``source``'s folder to a folder named ``name`` beside it, make it a copy, register it."""
    if source.power_state != "poweredOff":
        raise faults.InvalidPowerState(
            "poweredOff", source.power_state, f"power {source.name} off to clone it"
        )
    store = session.datastore(source.datastore_name)
    folder = source.folder.split("] ", 1)[1]
    store.make_directory(name)
    vmx_name = source.vmx_path.rsplit("/", 1)[1]
    for entry in store.browse(folder):
        if entry.is_folder or SKIPPED.search(entry.name):
            continue
        target = f"{name}.vmx" if entry.name == vmx_name else entry.name
        store.copy(f"{folder}/{entry.name}", f"{name}/{target}")
        print(f"copied {entry.name} ({entry.size_bytes:,} bytes)")
    vmx_path = f"{name}/{name}.vmx"
    vmx = VmxConfig.parse(store.read(vmx_path).decode(), vmx_path)
    as_copied(vmx, name)
    store.write(vmx_path, vmx.render().encode(), overwrite=True)
    return session.register_vm(store.path(vmx_path), name).wait().result_vm()


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the example; the exit status."""
    args_parser = parser(__doc__)
    args_parser.add_argument("source", help="the VM to copy (name or id; powered off)")
    args_parser.add_argument("name", help="the copy's name (and folder)")
    args_parser.add_argument("--power-on", action="store_true")
    args = args_parser.parse_args(argv)
    with objects.connect(args.server, args.user, args.password) as session:
        copy = clone(session, session.vm(args.source), args.name)
        if args.power_on:
            copy.power_on().wait()
        copy.refresh()
        print(f"registered {copy.name} as {copy.id} uuid={copy.uuid}")
        for nic in copy.nics:
            print(f"{nic.key} {nic.mac_address}")
    return 0


if __name__ == "__main__":
    run(main)
