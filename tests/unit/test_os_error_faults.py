"""File-system errors on a datastore reach users as the vSphere faults they understand, not as
internal errors: a read-only datastore, a missing file, a full datastore."""

from __future__ import annotations

import errno
import os

import pytest

from hostd.tasks import TaskManager
from pyesx import faults

pytestmark = pytest.mark.timeout(10)


@pytest.mark.parametrize(
    ("code", "fault", "words"),
    [
        (errno.EROFS, faults.InvalidState, "read-only"),
        (errno.EACCES, faults.InvalidState, "access is denied"),
        (errno.ENOENT, faults.FileNotFound, "/ds/vm/vm.vmx"),
        (errno.EEXIST, faults.FileAlreadyExists, "/ds/vm/vm.vmx"),
        (errno.ENOSPC, faults.InsufficientResourcesFault, "no more space"),
    ],
)
def test_a_datastore_error_becomes_a_clear_fault(code: int, fault: type[faults.VimFault], words: str) -> None:
    mapped = faults.from_os_error(OSError(code, os.strerror(code), "/ds/vm/vm.vmx"))
    assert isinstance(mapped, fault) and words in str(mapped)


def test_other_errors_stay_internal() -> None:
    assert faults.from_os_error(OSError(errno.EIO, "I/O error")) is None


async def test_a_task_that_meets_a_read_only_datastore_fails_with_invalid_state() -> None:
    tasks = TaskManager()

    async def work(task: object) -> str:
        raise OSError(errno.EROFS, "Read-only file system", "/ds/web01/web01.vmx")

    done = await tasks.wait(tasks.submit("VirtualMachine.reconfigure", "vm-1", "web01", "root", work).id, 5)
    assert done.state == "error" and isinstance(done.error, faults.InvalidState)
    assert "read-only" in str(done.error)
