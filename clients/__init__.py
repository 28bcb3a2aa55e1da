"""pyesx clients: the Python SDK and the PowerCLI-style shell (``clients.shell``).

The SDK's object model is ``clients.objects`` (sync) and ``clients.aio`` (asyncio), see docs/sdk.md:

from clients import open_session
with open_session("127.0.0.1:8443", "root", "secret") as session:
    vm = session.create_vm("web01", num_cpu=2, memory_mb=256).wait().result_vm()
    vm.power_on().wait()

``clients.sdk.Client`` is the flat client under it (ids in, records out):

from clients import connect
with connect("127.0.0.1:8443", "root", "secret") as host:
    task = host.create_vm("web01", num_cpus=2, memory_mb=256, guest_id="", notes="")
    vm = host.get_vm(host.wait_for_task(task.id).result_vm.id)
"""

from clients.model import VM, Host, Task
from clients.objects import Session
from clients.objects import connect as open_session
from clients.sdk import Client, connect

__all__ = ["VM", "Client", "Host", "Session", "Task", "connect", "open_session"]
