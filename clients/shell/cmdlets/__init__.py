"""The cmdlets the shell knows, by name and alias (case-insensitive)."""

from __future__ import annotations

from clients.shell.cmdlets import (
    accounts,
    advanced,
    authorization,
    cddrive,
    certificate,
    connection,
    console,
    csvfiles,
    datastore,
    discovery,
    event,
    files,
    guest,
    harddisk,
    host,
    hostnetwork,
    hostops,
    hostservice,
    lockdown,
    measure,
    network,
    nic,
    ntp,
    objects,
    output,
    pools,
    question,
    resources,
    snapshot,
    startpolicy,
    stat,
    task,
    utility,
    vm,
)
from clients.shell.cmdlets.base import Cmdlet, CommandContext

ALL: tuple[type[Cmdlet], ...] = (
    *connection.CMDLETS,
    *certificate.CMDLETS,
    *host.CMDLETS,
    *hostops.CMDLETS,
    *startpolicy.CMDLETS,
    *hostservice.CMDLETS,
    *ntp.CMDLETS,
    *hostnetwork.CMDLETS,
    *vm.CMDLETS,
    *guest.CMDLETS,
    *advanced.CMDLETS,
    *resources.CMDLETS,
    *pools.CMDLETS,
    *snapshot.CMDLETS,
    *task.CMDLETS,
    *event.CMDLETS,
    *stat.CMDLETS,
    *output.CMDLETS,
    *measure.CMDLETS,
    *objects.CMDLETS,
    *csvfiles.CMDLETS,
    *files.CMDLETS,
    *discovery.CMDLETS,
    *datastore.CMDLETS,
    *network.CMDLETS,
    *harddisk.CMDLETS,
    *nic.CMDLETS,
    *cddrive.CMDLETS,
    *question.CMDLETS,
    *console.CMDLETS,
    *utility.CMDLETS,
    *accounts.CMDLETS,
    *authorization.CMDLETS,
    *lockdown.CMDLETS,
)

_BY_NAME: dict[str, type[Cmdlet]] = {}
for _cmdlet in ALL:
    for _name in (_cmdlet.name, *_cmdlet.aliases):
        _BY_NAME[_name.lower()] = _cmdlet


def names() -> list[str]:
    """Every cmdlet name and alias."""
    return [name for cmdlet in ALL for name in (cmdlet.name, *cmdlet.aliases)]


def find(name: str) -> type[Cmdlet] | None:
    """The cmdlet called ``name`` (or aliased so), or None."""
    return _BY_NAME.get(name.lower())


__all__ = ["ALL", "Cmdlet", "CommandContext", "find", "names"]
