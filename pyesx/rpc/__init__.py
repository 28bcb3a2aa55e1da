"""gRPC plumbing shared by every process: metadata keys, fault wire format, interceptors, channels."""

from pyesx.rpc.faultwire import fault_from_rpc_error, fault_to_status
from pyesx.rpc.metadata import REQUEST_ID_KEY, SESSION_KEY, current_request_id, new_request_id

__all__ = [
    "REQUEST_ID_KEY",
    "SESSION_KEY",
    "current_request_id",
    "fault_from_rpc_error",
    "fault_to_status",
    "new_request_id",
]
