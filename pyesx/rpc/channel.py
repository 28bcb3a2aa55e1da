"""Internal client channels (unix sockets) that pass the current request id on, and fault mapping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from pyesx.rpc.credentials import CREDENTIAL_KEY
from pyesx.rpc.faultwire import fault_from_rpc_error
from pyesx.rpc.metadata import REQUEST_ID_KEY, request_id_var

T = TypeVar("T")


def _with_request_id(details: Any, extra: tuple[tuple[str, str], ...] = ()) -> Any:
    request_id = request_id_var.get()
    if not request_id and not extra:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    if request_id:
        metadata[REQUEST_ID_KEY] = request_id
    for key, value in extra:
        metadata[key] = value
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


class _Interceptor:
    def __init__(self, extra: tuple[tuple[str, str], ...] = ()) -> None:
        self.extra = extra


class _UnaryUnary(_Interceptor, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with_request_id(details, self.extra), request)


class _UnaryStream(_Interceptor, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with_request_id(details, self.extra), request)


#: internal messages may carry a file copied into a guest (base64)
MAX_INTERNAL_MESSAGE = 64 << 20
INTERNAL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_INTERNAL_MESSAGE),
    ("grpc.max_send_message_length", MAX_INTERNAL_MESSAGE),
]


class _StreamStream(_Interceptor, grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(_with_request_id(details, self.extra), requests)


def unix_channel(socket_path: str, credential: str = "") -> grpc.aio.Channel:
    """An aio channel to a unix socket that forwards the request id of the call being served, and
    ``credential`` (``pyesx.rpc.credentials``) with every call when given."""
    extra = ((CREDENTIAL_KEY, credential),) if credential else ()
    interceptors = [_UnaryUnary(extra), _UnaryStream(extra), _StreamStream(extra)]
    return grpc.aio.insecure_channel(
        f"unix://{socket_path}", options=INTERNAL_OPTIONS, interceptors=interceptors
    )


async def call(rpc: Callable[..., Awaitable[T]], request: Any, timeout: float | None = 30.0) -> T:
    """Make an internal RPC, raising the callee's fault as its VimFault class."""
    try:
        return await rpc(request, timeout=timeout)
    except grpc.RpcError as error:
        raise fault_from_rpc_error(error) from None
