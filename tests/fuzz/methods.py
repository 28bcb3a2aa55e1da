"""Every public RPC, enumerated from the descriptors of the ``pyesx.api.v1`` ``*_pb2`` modules.

A new service or method is covered the moment its generated code exists; only
the methods in ``EXCLUDED`` (each with its reason) are left out.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

from google.protobuf import descriptor, message_factory
from google.protobuf.message import Message

import pyesx.api.v1

#: method name → why the campaign must not call it
EXCLUDED: dict[str, str] = {
    "Logout": "ends the fuzzing session itself",
    "ResetSystemConfiguration": "reboots the host under test (to reset its configuration)",
    "SetLockdownMode": "locks the fuzzing session out (lockdown ends the sessions of users not excepted)",
    "RegenerateCertificate": "changes the certificate the campaign's clients pinned (tested in test_tls)",
}
#: a method whose name matches is left out: it stops, restarts or reboots the host under test
HOST_STOPPING = re.compile(
    r"^(Shutdown|Reboot|Restart|Stop|PowerOff)(VM)?Host$|^(Restart|Stop)ManagementAgents?$"
)


@dataclass(frozen=True)
class Method:
    """One RPC: its path on the wire, its request and response classes and its kind."""

    service: str
    name: str
    request: descriptor.Descriptor
    response: descriptor.Descriptor
    client_streaming: bool
    server_streaming: bool

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"

    @property
    def request_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.request)

    @property
    def response_class(self) -> type[Message]:
        return message_factory.GetMessageClass(self.response)

    @property
    def kind(self) -> str:
        requests = "stream" if self.client_streaming else "unary"
        return f"{requests}_{'stream' if self.server_streaming else 'unary'}"


def public_modules() -> list[str]:
    """The ``*_pb2`` modules of the public API (not the ``_grpc`` ones)."""
    return sorted(
        f"pyesx.api.v1.{info.name}"
        for info in pkgutil.iter_modules(pyesx.api.v1.__path__)
        if info.name.endswith("_pb2")
    )


def all_methods() -> list[Method]:
    """Every method of every public service, excluded ones included, in a stable order."""
    found = []
    for module_name in public_modules():
        file = importlib.import_module(module_name).DESCRIPTOR
        for service in file.services_by_name.values():
            for m in service.methods:
                found.append(
                    Method(
                        service.full_name,
                        m.name,
                        m.input_type,
                        m.output_type,
                        m.client_streaming,
                        m.server_streaming,
                    )
                )
    return sorted(found, key=lambda m: m.path)


def exclusion_reason(method: Method | str) -> str | None:
    """Why the campaign leaves this method (or method name) out, or None."""
    name = method if isinstance(method, str) else method.name
    if name in EXCLUDED:
        return EXCLUDED[name]
    if HOST_STOPPING.search(name):
        return "stops or restarts the host under test"
    return None


def fuzzed_methods() -> list[Method]:
    return [m for m in all_methods() if exclusion_reason(m) is None]
