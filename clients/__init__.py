"""pyesx clients: the Python SDK (``clients.sdk``) and the PowerCLI-style shell (``clients.shell``).

from clients import connect
with connect("127.0.0.1:8443", "root", "secret") as host:
    task = host.create_vm("web01", num_cpus=2, memory_mb=256, guest_id="", notes="")
    vm = host.get_vm(host.wait_for_task(task.id).result_vm.id)
"""

from clients.model import VM, Host, Task
from clients.sdk import Client, connect

__all__ = ["VM", "Client", "Host", "Task", "connect"]
