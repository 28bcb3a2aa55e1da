"""Who calls the VMkernel's internal API: hostd, or the vmx of one VM (internal least privilege).

The VMkernel makes a random credential for hostd at boot (given to it through
a pipe: in no command line and no environment) and one per vmx at spawn (in the spawn
request the factory receives; the vmx holds it in memory only, never in a file
another process could read). ``$PYESX_TEST_CREDENTIALS_DIR``, when the VMkernel
is started with it, makes it also write hostd's credential and each vmx's there
(0600, files ``hostd`` and ``<vm id>``), so a test can call the internal API or
play a vmx that forges requests. Every internal call carries its caller's credential in the
``x-pyesx-credential`` metadata. ``InternalCredentials.authenticate`` (the
RpcGate hook) binds the ``Caller``; a call without a known credential is
NotAuthenticated. What a vmx may do is decided by ``vmkernel.vmx_scope``: only
its own VM's worlds, disks and ports.

Unix sockets cannot tell one process of the same user from another through
gRPC (no SO_PEERCRED in grpc-python), hence tokens; the data paths (storage.sock,
net.sock) check SO_PEERCRED against the world table instead.
"""

from __future__ import annotations

import contextvars
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pyesx import faults
from pyesx.atomic import atomic_write

CREDENTIAL_KEY = "x-pyesx-credential"
TEST_CREDENTIALS_ENV = "PYESX_TEST_CREDENTIALS_DIR"


@dataclass(frozen=True)
class Caller:
    """hostd (``vm_id`` empty: may do everything) or the vmx of ``vm_id``."""

    vm_id: str = ""

    @property
    def is_hostd(self) -> bool:
        return not self.vm_id


current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)


class InternalCredentials:
    """The credentials the VMkernel handed out: hostd's, and one per running vmx."""

    def __init__(self, hostd: str | None = None, expose_to: Path | None = None) -> None:
        self.hostd = hostd or secrets.token_urlsafe(32)
        self._vmx: dict[str, str] = {}  # credential -> vm id
        self.expose_to = expose_to  # tests only: where to write each credential (hostd's too)
        if expose_to is not None:
            expose_to.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic_write(expose_to / "hostd", self.hostd, mode=0o600)

    def issue(self, vm_id: str) -> str:
        """A new credential for the vmx of vm_id (any older one of that VM stops working)."""
        self.revoke(vm_id)
        credential = secrets.token_urlsafe(32)
        self._vmx[credential] = vm_id
        if self.expose_to is not None:
            self.expose_to.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic_write(self.expose_to / vm_id, credential, mode=0o600)
        return credential

    def revoke(self, vm_id: str) -> None:
        for credential in [c for c, vm in self._vmx.items() if vm == vm_id]:
            del self._vmx[credential]

    def caller(self, credential: str) -> Caller | None:
        if hmac.compare_digest(credential.encode(), self.hostd.encode()):
            return Caller()
        vm_id = self._vmx.get(credential)
        return Caller(vm_id) if vm_id else None

    def authenticate(self, method: str, metadata: Mapping[str, str | bytes]) -> None:
        """RpcGate's hook: bind the caller, or raise NotAuthenticated."""
        credential = metadata.get(CREDENTIAL_KEY)
        caller = self.caller(credential) if isinstance(credential, str) and credential else None
        if caller is None:
            raise faults.NotAuthenticated(
                "no_credential", f"{method}: the VMkernel's API needs a hostd or vmx credential"
            )
        current_caller.set(caller)
