"""The privilege table: every RPC of every public service has a rule, and each rule works."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool

import pyesx.api.v1
from hostd.authorizer import CallAuthorizer
from hostd.callprivileges import RULES, reconfigure
from hostd.entities import HOST
from hostd.main import SERVICE_NAMES
from hostd.privileges import PRIVILEGES
from hostd.sessions import PUBLIC_METHODS
from pyesx import faults
from pyesx.api.v1 import datastore_pb2, vm_pb2
from pyesx.rpc.server import RpcGate

pytestmark = pytest.mark.timeout(30)


def public_methods() -> dict[str, Any]:
    """'/pkg.Service/Method' -> method descriptor, for every service of every public proto."""
    for module in pkgutil.iter_modules(pyesx.api.v1.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"pyesx.api.v1.{module.name}")
    pool = descriptor_pool.Default()
    methods = {}
    for module in pkgutil.iter_modules(pyesx.api.v1.__path__):
        if not module.name.endswith("_pb2"):
            continue
        file = pool.FindFileByName(f"pyesx/api/v1/{module.name.removesuffix('_pb2')}.proto")
        for service in file.services_by_name.values():
            for method in service.methods:
                methods[f"/{service.full_name}/{method.name}"] = method
    return methods


def test_every_public_rpc_has_a_privilege_rule() -> None:
    methods = public_methods()
    assert len(methods) > 90
    missing = sorted(set(methods) - set(RULES))
    assert not missing, f"add these to hostd/callprivileges.py RULES: {missing}"
    assert not sorted(set(RULES) - set(methods)), "rules for methods that no longer exist"


def test_public_rules_are_the_methods_that_need_no_session() -> None:
    assert {m for m, rule in RULES.items() if rule.public} == set(PUBLIC_METHODS)


def test_every_public_service_is_served() -> None:
    services = {m.rsplit("/", 2)[1] for m in public_methods()}
    assert services == set(SERVICE_NAMES)


def test_rules_name_real_privileges_and_work_on_any_request() -> None:
    for name, method in public_methods().items():
        rule = RULES[name]
        request = method.input_type._concrete_class()
        privileges = rule.privileges(request) if callable(rule.privileges) else rule.privileges or ()
        assert set(privileges) <= set(PRIVILEGES), name
        assert isinstance(rule.entity(request), str) and rule.entity(request), name
        assert isinstance(rule.entity(None), str), name  # an empty client stream


def test_reconfigure_asks_for_what_it_changes() -> None:
    request = vm_pb2.ReconfigureVMRequest(id="vm-1", num_cpu=2, notes="x")
    request.set_extra_config["a"] = "b"
    assert set(reconfigure(request)) == {
        "VirtualMachine.Config.CPUCount",
        "VirtualMachine.Config.Annotation",
        "VirtualMachine.Config.AdvancedConfig",
    }
    assert reconfigure(vm_pb2.ReconfigureVMRequest(id="vm-1")) == ("VirtualMachine.Config.Settings",)


def test_entities_come_from_the_request() -> None:
    power_on = RULES["/pyesx.api.v1.VirtualMachineService/PowerOnVM"]
    assert power_on.entity(vm_pb2.VMRequest(id="vm-7")) == "vm-7"
    revert = vm_pb2.RevertToSnapshotRequest(snapshot_id="vm-7-snapshot-2")
    assert RULES["/pyesx.api.v1.VirtualMachineService/RevertToSnapshot"].entity(revert) == "vm-7"
    assert RULES["/pyesx.api.v1.HostService/GetHost"].entity(None) == HOST
    create = RULES["/pyesx.api.v1.VirtualMachineService/CreateVM"]
    assert create.entity(vm_pb2.CreateVMRequest(resource_pool_id="pool3")) == "pool3"
    assert create.entity(vm_pb2.CreateVMRequest()) == "ha-root-pool"


class Refuser:
    """An Authorization that records checks and refuses everything."""

    def __init__(self) -> None:
        self.checked: list[tuple[str, str, str]] = []

    def check(self, user: str, privilege: str, entity: str) -> None:
        self.checked.append((user, privilege, entity))
        raise faults.NoPermission(privilege, entity)


def test_an_unmapped_method_is_refused_and_public_ones_are_not_checked() -> None:
    refuser = Refuser()
    authorizer = CallAuthorizer(refuser, RULES)  # type: ignore[arg-type]
    with pytest.raises(faults.NoPermission) as info:
        authorizer("/pyesx.api.v1.NewService/DoSomething", None)
    assert info.value.entity == "/pyesx.api.v1.NewService/DoSomething"
    authorizer("/pyesx.api.v1.SessionService/Login", None)
    authorizer("/pyesx.api.v1.SessionService/Logout", None)
    assert refuser.checked == []
    with pytest.raises(faults.NoPermission) as info:
        authorizer("/pyesx.api.v1.VirtualMachineService/DestroyVM", vm_pb2.VMRequest(id="vm-2"))
    assert (info.value.privilege, info.value.entity) == ("VirtualMachine.Inventory.Delete", "vm-2")


class _Context:
    """What the gate reads of a grpc.aio ServicerContext."""

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return ()

    def done(self) -> bool:
        return False

    def set_trailing_metadata(self, metadata: Any) -> None:
        self.trailing = metadata

    async def abort(self, code: Any, details: str) -> None:
        raise RuntimeError(f"aborted: {code} {details}")


async def test_the_gate_authorizes_a_client_stream_by_its_first_message() -> None:
    seen: list[object] = []
    received: list[str] = []

    def authorize(method: str, request: Any) -> None:
        seen.append(request)
        if request is not None and request.path == "[datastore1] forbidden":
            raise faults.NoPermission("Datastore.FileManagement", "ha-host")

    async def upload(requests: Any, context: Any) -> datastore_pb2.FileOperationResponse:
        async for chunk in requests:
            received.append(chunk.path)
        return datastore_pb2.FileOperationResponse()

    handler = grpc.stream_unary_rpc_method_handler(upload)
    wrapped = RpcGate(None, authorize).wrap("/pyesx.api.v1.DatastoreService/UploadFile", handler).stream_unary

    async def chunks(*paths: str) -> Any:
        for path in paths:
            yield datastore_pb2.UploadChunk(path=path)

    await wrapped(chunks("[datastore1] a", "[datastore1] b"), _Context())
    assert [getattr(r, "path", None) for r in seen] == ["[datastore1] a"]
    assert received == ["[datastore1] a", "[datastore1] b"]
    seen.clear()
    await wrapped(chunks(), _Context())
    assert seen == [None]  # an empty stream is authorized too
    received.clear()
    with pytest.raises(RuntimeError, match="PERMISSION_DENIED"):
        await wrapped(chunks("[datastore1] forbidden", "[datastore1] more"), _Context())
    assert received == []  # the handler saw nothing
