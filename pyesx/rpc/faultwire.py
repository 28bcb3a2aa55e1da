"""Faults on the wire: a gRPC status code plus google.rpc.Status carrying one pyesx.api.v1.Fault.

The mapping is generic: the Fault oneof field is the snake_case name of the
exception class, and its message fields are the exception's attributes.

A fault often names the input it refuses; the input may be megabytes. Both
trailers (``grpc-message`` and the detail) must stay far below gRPC's metadata
limit (8 KiB soft, 16 KiB hard) or the caller gets RESOURCE_EXHAUSTED "Stream
removed" instead of the fault, so every text is clipped to a few hundred bytes.
"""

from __future__ import annotations

import re
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import status_pb2

from pyesx import faults
from pyesx.api.v1 import faults_pb2

DETAILS_KEY = "grpc-status-details-bin"
_BY_FIELD: dict[str, type[faults.VimFault]] = {
    re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower(): cls for cls in faults.ALL_FAULTS
}
_FIELD_OF = {cls: field for field, cls in _BY_FIELD.items()}
MAX_MESSAGE_BYTES = 600
MAX_FIELD_BYTES = 200


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes (whole characters), marked with "…" when cut."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode("utf-8", "ignore") + "…"


def fault_to_proto(fault: faults.VimFault) -> faults_pb2.Fault:
    field = _FIELD_OF[type(fault)] if type(fault) in _FIELD_OF else _nearest_field(fault)
    message = faults_pb2.Fault(message=clip(fault.message, MAX_MESSAGE_BYTES))
    detail = getattr(message, field)
    for descriptor in detail.DESCRIPTOR.fields:
        value = getattr(fault, descriptor.name)
        setattr(detail, descriptor.name, clip(value, MAX_FIELD_BYTES) if isinstance(value, str) else value)
    detail.SetInParent()
    return message


def _nearest_field(fault: faults.VimFault) -> str:
    for cls in type(fault).__mro__:
        if cls in _FIELD_OF:
            return _FIELD_OF[cls]
    return "system_error"


def fault_from_proto(message: faults_pb2.Fault) -> faults.VimFault:
    field = message.WhichOneof("kind") or "system_error"
    cls: Any = _BY_FIELD[field]
    detail = getattr(message, field)
    kwargs = {d.name: getattr(detail, d.name) for d in detail.DESCRIPTOR.fields}
    if cls is faults.SystemError and not kwargs.get("reason"):
        kwargs["reason"] = message.message
    fault: faults.VimFault = cls(**kwargs, message=message.message)
    return fault


def fault_to_status(fault: faults.VimFault) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    """(code, details, trailing metadata) to abort a call with."""
    code = grpc.StatusCode[fault.grpc_code]
    detail = any_pb2.Any()
    detail.Pack(fault_to_proto(fault))
    text = clip(str(fault), MAX_MESSAGE_BYTES)
    status = status_pb2.Status(code=code.value[0], message=text, details=[detail])
    return code, text, ((DETAILS_KEY, status.SerializeToString()),)


def fault_from_rpc_error(error: grpc.RpcError) -> faults.VimFault:
    """The fault an RpcError carries; a transport failure becomes HostCommunication."""
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == DETAILS_KEY:
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(faults_pb2.Fault.DESCRIPTOR):
                    message = faults_pb2.Fault()
                    detail.Unpack(message)
                    return fault_from_proto(message)
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
        return faults.HostCommunication(f"{code.name}: {details}")
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return faults.NotAuthenticated(details or "")
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:  # gRPC's own limit: a request past 4 MiB
        return faults.InvalidArgument("request", clip(details or "too large", MAX_MESSAGE_BYTES))
    return faults.SystemError(f"{code.name if code else 'UNKNOWN'}: {details}")
