"""The vSphere faults, one exception class each, shared by every process and the client.

    VimFault
    ├── InvalidPowerState(requested_state, existing_state)
    ├── TaskInProgress(task_id)
    ├── DuplicateName(name)
    ├── NotFound(object_type, name)
    ├── InvalidArgument(argument, reason)
    ├── InsufficientResourcesFault(resource, requested, unreserved)
    ├── FileAlreadyExists(file)
    ├── FileNotFound(file)
    ├── ToolsUnavailable(vm)
    ├── NoPermission(privilege, entity)
    ├── NotAuthenticated(reason)
    ├── InvalidState(reason)
    ├── RequestCanceled(task_id)     a task stopped at a safe point because a user canceled it
    ├── InvalidGuestLogin(vm)        guest operations: the guest refused the user name or password
    ├── GuestPermissionDenied(vm, path)  guest operations: the guest user may not do this
    ├── Timedout(reason)            an operation ran past its time limit
    ├── HostCommunication(reason)   the client could not reach the host
    ├── SSLVerifyFault(server, expected, presented)  the host's certificate is not the trusted one
    └── SystemError(reason)         anything unexpected (INTERNAL)

A fault crosses a process boundary as a gRPC status code plus a typed
``pyesx.api.v1.Fault`` detail (see ``pyesx.rpc.faultwire``) and is raised again
as the same class on the other side.
"""

from __future__ import annotations

import errno
import re
from typing import ClassVar


class VimFault(Exception):
    """Base of every fault a pyesx process or client raises on purpose."""

    #: the gRPC status code name this fault travels with
    grpc_code: ClassVar[str] = "FAILED_PRECONDITION"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def fault_name(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return f"{self.fault_name}: {self.message}"


class InvalidPowerState(VimFault):
    """The operation is not allowed in the VM's current power state."""

    def __init__(self, requested_state: str, existing_state: str, message: str = "") -> None:
        super().__init__(
            message
            or "The attempted operation cannot be performed in the current state "
            f"({existing_state}); it requires {requested_state}."
        )
        self.requested_state = requested_state
        self.existing_state = existing_state


class TaskInProgress(VimFault):
    """Another operation is running on the same entity."""

    def __init__(self, task_id: str, message: str = "") -> None:
        super().__init__(message or f"Another task is already in progress ({task_id}).")
        self.task_id = task_id


class DuplicateName(VimFault):
    grpc_code = "ALREADY_EXISTS"

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(message or f"The name '{name}' already exists.")
        self.name = name


class NotFound(VimFault):
    grpc_code = "NOT_FOUND"

    def __init__(self, object_type: str, name: str, message: str = "") -> None:
        super().__init__(message or f"The {object_type} '{name}' was not found.")
        self.object_type = object_type
        self.name = name


class InvalidArgument(VimFault):
    grpc_code = "INVALID_ARGUMENT"

    def __init__(self, argument: str, reason: str, message: str = "") -> None:
        super().__init__(message or f"A specified parameter was not correct: {argument}: {reason}")
        self.argument = argument
        self.reason = reason


class InsufficientResourcesFault(VimFault):
    grpc_code = "RESOURCE_EXHAUSTED"

    def __init__(self, resource: str, requested: int, unreserved: int, message: str = "") -> None:
        super().__init__(
            message or f"Insufficient resources: {resource} requested {requested}, unreserved {unreserved}."
        )
        self.resource = resource
        self.requested = requested
        self.unreserved = unreserved


class FileAlreadyExists(VimFault):
    grpc_code = "ALREADY_EXISTS"

    def __init__(self, file: str, message: str = "") -> None:
        super().__init__(message or f"The file '{file}' already exists.")
        self.file = file


class FileNotFound(VimFault):
    grpc_code = "NOT_FOUND"

    def __init__(self, file: str, message: str = "") -> None:
        super().__init__(message or f"File {file} was not found")
        self.file = file


class ToolsUnavailable(VimFault):
    def __init__(self, vm: str, message: str = "") -> None:
        super().__init__(message or f"VMware Tools are not running in the guest of '{vm}'.")
        self.vm = vm


class NoPermission(VimFault):
    grpc_code = "PERMISSION_DENIED"

    def __init__(self, privilege: str, entity: str, message: str = "") -> None:
        super().__init__(
            message or f"Permission to perform this operation was denied: {privilege} on {entity}."
        )
        self.privilege = privilege
        self.entity = entity


class NotAuthenticated(VimFault):
    grpc_code = "UNAUTHENTICATED"

    def __init__(self, reason: str = "", message: str = "") -> None:
        super().__init__(message or reason or "The session is not authenticated.")
        self.reason = reason


class InvalidState(VimFault):
    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


class RequestCanceled(VimFault):
    grpc_code = "CANCELLED"

    def __init__(self, task_id: str, message: str = "") -> None:
        super().__init__(message or f"The task {task_id} was canceled by a user request.")
        self.task_id = task_id


class InvalidGuestLogin(VimFault):
    grpc_code = "PERMISSION_DENIED"

    def __init__(self, vm: str, message: str = "") -> None:
        super().__init__(message or f"Failed to authenticate with the guest operating system of '{vm}'.")
        self.vm = vm


class GuestPermissionDenied(VimFault):
    grpc_code = "PERMISSION_DENIED"

    def __init__(self, vm: str, path: str, message: str = "") -> None:
        super().__init__(message or f"Insufficient permissions in the guest OS of '{vm}': {path}")
        self.vm = vm
        self.path = path


class Timedout(VimFault):
    grpc_code = "DEADLINE_EXCEEDED"

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or f"Operation timed out: {reason}")
        self.reason = reason


class HostCommunication(VimFault):
    grpc_code = "UNAVAILABLE"

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or f"Could not communicate with the host: {reason}")
        self.reason = reason


class SSLVerifyFault(VimFault):
    """The host presented a certificate the client does not trust (client side only, never on the wire)."""

    grpc_code = "UNAVAILABLE"

    def __init__(self, server: str, expected: str | None, presented: str, message: str = "") -> None:
        if not message and expected is None:
            message = (
                f"The certificate of {server} is not trusted (thumbprint {presented}). Connect with its "
                "thumbprint, or set InvalidCertificateAction to accept it."
            )
        super().__init__(
            message
            or f"The certificate of {server} changed: expected thumbprint {expected}, presented {presented}. "
            "If the host's certificate was regenerated on purpose, accept the new one "
            "(Connect-VIServer -Force, or connect with thumbprint=)."
        )
        self.server = server
        self.expected = expected
        self.presented = presented


class SystemError(VimFault):  # noqa: A001 - vSphere's name
    grpc_code = "INTERNAL"

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or f"A general system error occurred: {reason}")
        self.reason = reason


ALL_FAULTS: tuple[type[VimFault], ...] = (
    InvalidPowerState,
    TaskInProgress,
    DuplicateName,
    NotFound,
    InvalidArgument,
    InsufficientResourcesFault,
    FileAlreadyExists,
    FileNotFound,
    ToolsUnavailable,
    NoPermission,
    NotAuthenticated,
    InvalidState,
    RequestCanceled,
    InvalidGuestLogin,
    GuestPermissionDenied,
    Timedout,
    HostCommunication,
    SystemError,
)


_ON_A_DATASTORE = re.compile(r"/vmfs/volumes/(?P<ds>[^/]+)/?(?P<rel>.*)$")


def _datastore_path(file: str) -> str:
    """A file on a datastore named as vSphere names it, ``[datastore1] web01/web01.vmx``."""
    where = _ON_A_DATASTORE.search(file)
    return f"[{where['ds']}] {where['rel']}".rstrip() if where else file


def from_os_error(exc: OSError) -> VimFault | None:
    """The fault a user understands for a file-system error on a datastore (None: no such fault, it
    stays an internal error): a missing file, an existing one, a full or a read-only datastore."""
    file = _datastore_path(str(exc.filename or ""))
    if exc.errno == errno.ENOENT:
        return FileNotFound(file)
    if exc.errno == errno.EEXIST:
        return FileAlreadyExists(file)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InsufficientResourcesFault(
            "datastore space", 0, 0, f"There is no more space on the datastore for '{file}'."
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = "the datastore is read-only" if exc.errno == errno.EROFS else "access is denied"
        return InvalidState(f"Cannot write '{file}': {why}.")
    return None
