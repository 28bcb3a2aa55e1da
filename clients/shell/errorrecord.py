"""Error records: what ``$_`` is in a ``catch`` block and what ``$Error`` holds.

``$_.Exception.Message`` is the error's message, ``$_.TargetObject`` what was
thrown (``throw $obj``), ``$_.FullyQualifiedErrorId`` the fault or category
name. ``catch [T]`` matches by name: the last dotted part of ``T`` against the
error's exception type names (a client fault's class and its bases, e.g.
``NotFound``, ``VimFault``; ``RuntimeException`` for shell errors and
``throw``; ``Exception`` matches everything).
"""

from __future__ import annotations

from clients.shell.errors import ConversionError, ShellError
from clients.shell.flow import ThrownError
from clients.shell.psobject import PSObject
from pyesx.faults import VimFault

ERROR_RECORD = "System.Management.Automation.ErrorRecord"
_RUNTIME = "System.Management.Automation.RuntimeException"


def _original(error: BaseException) -> BaseException:
    """The error behind a rethrown record (``catch { throw $_ }``), else ``error``."""
    if isinstance(error, ThrownError) and isinstance(error.record, PSObject):
        base = error.record.base
        if isinstance(base, BaseException):
            return _original(base)
    return error


def _fault(error: BaseException) -> VimFault | None:
    if isinstance(error, VimFault):
        return error
    cause = error.__cause__
    return cause if isinstance(cause, VimFault) else None


def exception_types(error: BaseException) -> list[str]:
    """The .NET-style type names ``error`` answers to, most specific first."""
    error = _original(error)
    fault = _fault(error)
    if fault is not None:
        names = [f"VMware.Vim.{cls.__name__}" for cls in type(fault).__mro__ if issubclass(cls, VimFault)]
        return [*names, _RUNTIME, "System.Exception"]
    if isinstance(error, ConversionError):
        cast = "System.Management.Automation.PSInvalidCastException"
        return [cast, "System.InvalidCastException", _RUNTIME, "System.Exception"]
    return [_RUNTIME, "System.Exception"]


def message_of(error: BaseException) -> str:
    """The message without the category prefix."""
    error = _original(error)
    fault = _fault(error)
    if fault is not None:
        return fault.message
    return error.message if isinstance(error, ShellError) else str(error)


def catches(type_names: tuple[str, ...], error: BaseException) -> bool:
    """Whether a ``catch [T1], [T2]`` clause (no types: a bare ``catch``) takes ``error``."""
    if not type_names:
        return True
    have = {name.rsplit(".", 1)[-1].lower() for name in exception_types(error)}
    return any(name.strip().rsplit(".", 1)[-1].lower() in have for name in type_names)


def error_record(error: BaseException) -> PSObject:
    """The ErrorRecord for ``error``; as a string it is the message."""
    if isinstance(error, ThrownError) and isinstance(error.record, PSObject):
        return error.record
    message = message_of(error)
    fault = _fault(error)
    types = exception_types(error)
    exception = PSObject(
        types[0],
        [("Message", message), ("Fault", fault.fault_name if fault is not None else None)],
        label=message,
    )
    target = error.target if isinstance(error, ThrownError) else None
    category = error.category if isinstance(error, ShellError) else None
    if fault is not None:
        error_id = fault.fault_name
    elif isinstance(error, ThrownError):
        error_id = message
    else:
        error_id = category or "RuntimeException"
    return PSObject(
        ERROR_RECORD,
        [
            ("Exception", exception),
            ("TargetObject", target),
            ("CategoryInfo", category or "NotSpecified"),
            ("FullyQualifiedErrorId", error_id),
        ],
        base=error,
        label=message,
    )
