"""One fuzz case on the wire, through grpc's generic calls (requests go out as bytes, unserialized).

Unary calls get a deadline; a host that does not answer within it has hung. A
server stream is read for a few messages or a short window, then cancelled: a
watch that is still open when the window ends is fine. A client stream sends
its few messages and half-closes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import status_pb2

from pyesx.api.v1 import faults_pb2
from pyesx.rpc.faultwire import DETAILS_KEY
from tests.fuzz.methods import Method

STREAM_READS = 3


@dataclass
class Outcome:
    """What a call came back with: OK (and the unary response), or a status and its fault detail."""

    code: str
    fault: str | None = None
    details: str = ""
    response: Message | None = None
    window_closed: bool = False  # a stream still open when our window ended (not an error)

    @property
    def ok(self) -> bool:
        return self.code == "OK"


def fault_of(error: grpc.RpcError) -> str | None:
    """The Fault detail's kind (``invalid_argument``…) an error carries, or None."""
    for key, value in error.trailing_metadata() or ():
        if key == DETAILS_KEY:
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                fault = faults_pb2.Fault()
                if detail.Unpack(fault):
                    return fault.WhichOneof("kind") or "none"
    return None


def _from_error(error: grpc.RpcError) -> Outcome:
    code = error.code()
    return Outcome(code.name if code else "UNKNOWN", fault_of(error), str(error.details() or "")[:500])


def _raw(request: Message | bytes) -> bytes:
    return request if isinstance(request, bytes) else request.SerializeToString()


def invoke(
    channel: grpc.Channel,
    method: Method,
    requests: Sequence[Message | bytes],
    metadata: Sequence[tuple[str, str]],
    timeout: float,
    stream_window: float,
) -> Outcome:
    """Call ``method`` with ``requests`` (one for a unary request, a few for a client stream)."""
    path, meta = method.path, tuple(metadata)
    first = _raw(requests[0])
    try:
        if method.kind == "unary_unary":
            rpc = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
            raw = rpc(first, metadata=meta, timeout=timeout)
            return Outcome("OK", response=_parse(method, raw))
        if method.kind == "stream_unary":
            rpc_su = channel.stream_unary(path, request_serializer=None, response_deserializer=None)
            raw = rpc_su(iter([_raw(r) for r in requests]), metadata=meta, timeout=timeout)
            return Outcome("OK", response=_parse(method, raw))
        if method.kind == "unary_stream":
            rpc_us = channel.unary_stream(path, request_serializer=None, response_deserializer=None)
            return _drain(rpc_us(first, metadata=meta, timeout=stream_window))
        rpc_ss = channel.stream_stream(path, request_serializer=None, response_deserializer=None)
        return _drain(rpc_ss(iter([_raw(r) for r in requests]), metadata=meta, timeout=stream_window))
    except grpc.RpcError as error:
        return _from_error(error)


def _parse(method: Method, raw: bytes) -> Message:
    return method.response_class.FromString(raw)


def _drain(call: Any) -> Outcome:
    """Read a few messages of a server stream, then cancel it."""
    stream: Iterator[bytes] = call
    try:
        for count, _ in enumerate(stream, 1):
            if count >= STREAM_READS:
                break
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED and fault_of(error) is None:
            return Outcome("OK", window_closed=True)
        return _from_error(error)
    finally:
        call.cancel()
    return Outcome("OK")
