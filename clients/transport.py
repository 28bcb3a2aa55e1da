"""Transports that run the core's plans (``clients.ops``): over grpc's blocking stubs or ``grpc.aio``.

Both send the session key and a fresh request id with every call, and turn an ``RpcError`` into the
fault class it carries (``pyesx.faults``), as ``clients.sdk.Client`` does.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any, TypeVar

import grpc
import grpc.aio

from clients import tls
from clients.ops import Call, Watch
from clients.tls import Trust
from pyesx.api.v1 import (
    account_pb2_grpc,
    authorization_pb2_grpc,
    changes_pb2_grpc,
    datastore_pb2_grpc,
    event_pb2_grpc,
    guest_pb2_grpc,
    host_pb2_grpc,
    hostaccess_pb2_grpc,
    hostconfig_pb2_grpc,
    network_pb2_grpc,
    performance_pb2_grpc,
    resourcepool_pb2_grpc,
    session_pb2_grpc,
    task_pb2_grpc,
    vm_pb2_grpc,
)
from pyesx.rpc.faultwire import fault_from_rpc_error
from pyesx.rpc.metadata import REQUEST_ID_KEY, SESSION_KEY, new_request_id

T = TypeVar("T")

#: a plan's ``service`` → the stub class (one class serves sync and aio channels)
SERVICES: dict[str, Any] = {
    "session": session_pb2_grpc.SessionServiceStub,
    "host": host_pb2_grpc.HostServiceStub,
    "vms": vm_pb2_grpc.VirtualMachineServiceStub,
    "tasks": task_pb2_grpc.TaskServiceStub,
    "events": event_pb2_grpc.EventServiceStub,
    "changes": changes_pb2_grpc.ChangeFeedServiceStub,
    "performance": performance_pb2_grpc.PerformanceServiceStub,
    "datastores": datastore_pb2_grpc.DatastoreServiceStub,
    "network": network_pb2_grpc.NetworkServiceStub,
    "pools": resourcepool_pb2_grpc.ResourcePoolServiceStub,
    "guest": guest_pb2_grpc.GuestOperationsServiceStub,
    "accounts": account_pb2_grpc.HostAccountServiceStub,
    "authorization": authorization_pb2_grpc.AuthorizationServiceStub,
    "access": hostaccess_pb2_grpc.HostAccessServiceStub,
    "host_services": hostconfig_pb2_grpc.HostServiceServiceStub,
    "datetime": hostconfig_pb2_grpc.DateTimeServiceStub,
    "host_network": hostconfig_pb2_grpc.HostNetworkServiceStub,
}


class _Stubs:
    """The stubs of one channel and the session key that goes with every call."""

    def __init__(self, channel: Any, session_key: str = "") -> None:
        self.session_key = session_key
        self._stubs = {name: stub(channel) for name, stub in SERVICES.items()}

    def metadata(self) -> list[tuple[str, str]]:
        metadata = [(REQUEST_ID_KEY, new_request_id())]
        if self.session_key:
            metadata.append((SESSION_KEY, self.session_key))
        return metadata

    def rpc(self, plan: Call[Any] | Watch[Any]) -> Any:
        return getattr(self._stubs[plan.service], plan.method)

    @staticmethod
    def request(plan: Call[Any] | Watch[Any]) -> Any:
        return iter(plan.request) if isinstance(plan.request, list) else plan.request


def _ended(error: grpc.RpcError, plan: Watch[Any]) -> bool:
    """A stream that ended as planned: cancelled by us, or its watch's time is up."""
    code = error.code()
    return code == grpc.StatusCode.CANCELLED or (
        plan.ends_at_deadline and code == grpc.StatusCode.DEADLINE_EXCEEDED
    )


class SyncTransport(_Stubs):
    """Runs plans over a blocking ``grpc.Channel``."""

    def __init__(self, channel: grpc.Channel, session_key: str = "") -> None:
        super().__init__(channel, session_key)
        self.channel = channel

    def call(self, plan: Call[T]) -> T:
        """Run one unary (or client-streaming) RPC and convert its reply."""
        try:
            reply = self.rpc(plan)(self.request(plan), metadata=self.metadata(), timeout=plan.timeout)
        except grpc.RpcError as error:
            raise fault_from_rpc_error(error) from None
        return plan.convert(reply)

    def stream(self, plan: Watch[T]) -> Generator[T, None, None]:
        """Run one server-streaming RPC; closing the iterator cancels it."""
        stream = self.rpc(plan)(plan.request, metadata=self.metadata(), timeout=plan.timeout)
        try:
            for message in stream:
                yield plan.convert(message)
        except grpc.RpcError as error:
            if not _ended(error, plan):
                raise fault_from_rpc_error(error) from None
        finally:
            stream.cancel()

    def close(self) -> None:
        """Close the channel."""
        self.channel.close()


class AsyncTransport(_Stubs):
    """Runs plans over a ``grpc.aio.Channel``."""

    def __init__(self, channel: grpc.aio.Channel, session_key: str = "") -> None:
        super().__init__(channel, session_key)
        self.channel = channel

    async def call(self, plan: Call[T]) -> T:
        """Run one unary (or client-streaming) RPC and convert its reply."""
        try:
            reply = await self.rpc(plan)(self.request(plan), metadata=self.metadata(), timeout=plan.timeout)
        except grpc.RpcError as error:
            raise fault_from_rpc_error(error) from None
        return plan.convert(reply)

    async def stream(self, plan: Watch[T]) -> AsyncGenerator[T, None]:
        """Run one server-streaming RPC; closing the iterator cancels it."""
        stream = self.rpc(plan)(plan.request, metadata=self.metadata(), timeout=plan.timeout)
        try:
            async for message in stream:
                yield plan.convert(message)
        except grpc.RpcError as error:
            if not _ended(error, plan):
                raise fault_from_rpc_error(error) from None
        finally:
            stream.cancel()

    async def close(self) -> None:
        """Close the channel."""
        await self.channel.close()


def open_channel(server: str, timeout: float, trust: Trust | None = None) -> grpc.Channel:
    """A blocking TLS channel to HOST:PORT once it is up (see ``clients.tls`` for how the host is trusted)."""
    return tls.open_channel(server, timeout, trust)
