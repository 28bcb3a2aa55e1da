"""The fuzz generator (tests/fuzz): every public method is found from the descriptors, a case is the
same bytes every time, and no request outgrows what the wire can carry."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.message import DecodeError

from hostd.main import SERVICE_NAMES
from tests.fuzz.logs import crashes
from tests.fuzz.messages import MODES, Case, build, describe
from tests.fuzz.methods import all_methods, exclusion_reason, fuzzed_methods
from tests.fuzz.values import Known

pytestmark = pytest.mark.timeout(60)
KNOWN = Known(
    {
        "vm": ["vm-1"],
        "path": ["[datastore1] web01/web01.vmx"],
        "datastore": ["datastore1"],
        "name": ["web01"],
        "task": ["task-1"],
    }
)


def test_every_service_hostd_serves_is_fuzzed() -> None:
    assert {m.service for m in fuzzed_methods()} == set(SERVICE_NAMES)
    assert "Logout" in {m.name for m in all_methods() if exclusion_reason(m)}


@pytest.mark.parametrize(
    ("name", "excluded"),
    [
        ("Logout", True),
        ("RebootHost", True),
        ("ShutdownHost", True),
        ("RestartManagementAgents", True),
        ("ResetSystemConfiguration", True),
        ("SetLockdownMode", True),
        ("RestartHostService", False),  # restarts a service (ntpd), not the host
        ("StopHostService", False),
        ("PowerOffVM", False),
        ("GetHost", False),
    ],
)
def test_only_calls_that_end_the_session_or_the_host_are_left_out(name: str, excluded: bool) -> None:
    assert (exclusion_reason(name) is not None) == excluded


def test_a_case_is_the_same_request_every_time() -> None:
    for method in fuzzed_methods():
        for index in range(len(MODES)):
            case = Case(7, method.path, index)
            first = build(case, method.request, KNOWN, method.request_class)
            again = build(case, method.request, KNOWN, method.request_class)
            assert (first if isinstance(first, bytes) else first.SerializeToString()) == (
                again if isinstance(again, bytes) else again.SerializeToString()
            )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_no_request_outgrows_the_budget(seed: int) -> None:
    """A huge field is at most ~8 MiB (100 000 copies of a 1 MiB entry once took 22 GB)."""
    for method in fuzzed_methods():
        for index in range(2 * len(MODES)):
            request = build(Case(seed, method.path, index), method.request, KNOWN, method.request_class)
            size = len(request) if isinstance(request, bytes) else request.ByteSize()
            assert size < 12 << 20, (method.name, index)
            assert len(describe(request)) < 500


def test_raw_mode_sends_bytes_that_do_not_parse() -> None:
    method = next(m for m in fuzzed_methods() if m.name == "GetVM")
    refused = 0
    for index in range(len(MODES) * 20):
        case = Case(1, method.path, index)
        if case.mode != "raw":
            continue
        request = build(case, method.request, KNOWN, method.request_class)
        assert isinstance(request, bytes)
        try:
            method.request_class.FromString(request)
        except DecodeError:
            refused += 1
    assert refused >= 10


def test_crashes_are_read_from_json_logs_and_stderr(tmp_path: Path) -> None:
    (tmp_path / "hostd.log").write_text(
        '{"event": "rpc", "method": "/x/Y", "code": "OK"}\n'
        '{"event": "rpc.internal_error", "method": "/x/Y", "exception": "Traceback\\nKeyError: 1"}\n'
    )
    (tmp_path / "hostd.stderr.log").write_text("Task exception was never retrieved\nfuture: <Task>\n")
    assert crashes(tmp_path) == [
        "hostd.log: rpc.internal_error /x/Y: KeyError: 1",
        "hostd.stderr.log: Task exception was never retrieved",
    ]
