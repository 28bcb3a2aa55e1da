"""What the fuzz campaign (test_fuzz.py) found, each pinned by a focused case on a real host."""

from __future__ import annotations

import pytest

from clients import Client
from pyesx import faults

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def test_a_vm_whose_folder_was_deleted_fails_with_file_not_found(client: Client) -> None:
    """Fuzz: DeleteFile of a powered-off VM's folder, then PowerOnVM / CreateSnapshot: the tasks failed
    with SystemError (FileNotFoundError in the VMkernel and in hostd)."""
    vm_id = client.wait_for_task(client.create_vm("gone01").id).result_entity_id
    client.delete_file("[datastore1] gone01")
    with pytest.raises(faults.FileNotFound) as raised:
        client.wait_for_task(client.power_on(vm_id).id)
    assert raised.value.file.startswith("[datastore1] gone01")
    with pytest.raises(faults.FileNotFound):
        client.wait_for_task(client.create_snapshot(vm_id, "s1").id)
    assert client.get_vm(vm_id).power_state == "poweredOff"
    client.wait_for_task(client.unregister_vm(vm_id).id)  # an inaccessible VM can still be removed
    assert not client.list_vms(["gone01"])
