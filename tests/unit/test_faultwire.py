"""Every fault survives the trip through a gRPC status as the same class with the same fields."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import status_pb2

from pyesx import faults
from pyesx.rpc.faultwire import DETAILS_KEY, fault_from_rpc_error, fault_to_status

pytestmark = pytest.mark.timeout(10)

EXAMPLES: list[faults.VimFault] = [
    faults.InvalidPowerState("poweredOff", "poweredOn"),
    faults.TaskInProgress("task-7"),
    faults.DuplicateName("web01"),
    faults.NotFound("VirtualMachine", "vm-9"),
    faults.InvalidArgument("memoryMB", "not a multiple of 4"),
    faults.InsufficientResourcesFault("cpu", 4000, 1200),
    faults.FileAlreadyExists("[datastore1] web01"),
    faults.FileNotFound("[datastore1] iso/missing.iso"),
    faults.InvalidGuestLogin("web01"),
    faults.GuestPermissionDenied("web01", "/etc/shadow"),
    faults.Timedout("the guest program ran past 5 s"),
    faults.ToolsUnavailable("web01"),
    faults.NoPermission("VirtualMachine.Interact.PowerOn", "vm-1"),
    faults.NotAuthenticated("no_session"),
    faults.InvalidState("busy"),
    faults.RequestCanceled("task-3"),
    faults.HostCommunication("down"),
    faults.SystemError("boom"),
]


class FakeRpcError(grpc.RpcError):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, bytes], ...]) -> None:
        self._code, self._details, self._trailing = code, details, trailing

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return self._trailing


def test_all_faults_are_covered() -> None:
    assert {type(f) for f in EXAMPLES} == set(faults.ALL_FAULTS)


@pytest.mark.parametrize("fault", EXAMPLES, ids=lambda f: f.fault_name)
def test_round_trip(fault: faults.VimFault) -> None:
    code, details, trailing = fault_to_status(fault)
    assert code == grpc.StatusCode[fault.grpc_code]
    status = status_pb2.Status.FromString(dict(trailing)[DETAILS_KEY])
    assert status.code == code.value[0]
    back = fault_from_rpc_error(FakeRpcError(code, details, trailing))
    assert type(back) is type(fault)
    assert vars(back) == vars(fault)


def test_subclasses_travel_as_their_nearest_fault() -> None:
    class PathFault(faults.InvalidArgument):
        pass

    code, details, trailing = fault_to_status(PathFault("path", "bad"))
    back = fault_from_rpc_error(FakeRpcError(code, details, trailing))
    assert type(back) is faults.InvalidArgument and back.argument == "path"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (grpc.StatusCode.UNAVAILABLE, faults.HostCommunication),
        (grpc.StatusCode.UNAUTHENTICATED, faults.NotAuthenticated),
        (grpc.StatusCode.UNKNOWN, faults.SystemError),
        # a request past gRPC's 4 MiB limit, refused before hostd sees it (fuzz: huge repeated fields)
        (grpc.StatusCode.RESOURCE_EXHAUSTED, faults.InvalidArgument),
    ],
)
def test_statuses_without_detail(code: grpc.StatusCode, expected: type[faults.VimFault]) -> None:
    assert type(fault_from_rpc_error(FakeRpcError(code, "x", ()))) is expected


@pytest.mark.parametrize("text", ["A" * (1 << 20), "日本語😀" * 100_000])
def test_a_fault_naming_a_huge_input_stays_under_grpcs_metadata_limit(text: str) -> None:
    """Fuzz: a 1 MiB id echoed by NotFound made the trailers exceed 16 KiB, and the caller got
    RESOURCE_EXHAUSTED "Stream removed" (hostd, relaying the VMkernel's: INTERNAL) instead of the fault."""
    code, details, trailing = fault_to_status(faults.NotFound("ResourcePool", text))
    assert code == grpc.StatusCode.NOT_FOUND
    assert len(details.encode()) + sum(len(value) for _, value in trailing) < 4096
    back = fault_from_rpc_error(FakeRpcError(code, details, trailing))
    assert isinstance(back, faults.NotFound)
    assert back.object_type == "ResourcePool"
    assert text.startswith(back.name[:-1]) and back.name.endswith("…")


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("/r/host/vmfs/volumes/datastore1/web01/web01.vmx", "[datastore1] web01/web01.vmx"),
        ("/r/host/vmfs/volumes/datastore1", "[datastore1]"),
        ("/etc/elsewhere", "/etc/elsewhere"),
    ],
)
def test_a_missing_file_is_file_not_found_named_by_its_datastore_path(filename: str, expected: str) -> None:
    fault = faults.from_os_error(FileNotFoundError(2, "No such file or directory", filename))
    assert isinstance(fault, faults.FileNotFound) and fault.file == expected
