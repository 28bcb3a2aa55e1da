"""Resource pools through the public API on a real host: the tree, its faults, VMs in pools,
admission on real power-ons (the documented MOM/KID example), and the tree across a host restart."""

from __future__ import annotations

import os
import signal

import grpc
import pytest

from clients import Client
from clients.tls import Trust, secure_channel
from pyesx import faults
from pyesx.api.v1 import resourcepool_pb2, resourcepool_pb2_grpc
from tests.harness import BootedHost, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
ROOT = "ha-root-pool"


def _create_vm(client: Client, name: str, pool_id: str = "", cpu_reservation: int = 0) -> str:
    vm = client.wait_for_task(
        client.create_vm(name, memory_mb=64, no_network=True, resource_pool_id=pool_id).id
    ).result_entity_id
    if cpu_reservation:
        client.wait_for_task(client.reconfigure_vm(vm, cpu_allocation={"reservation": cpu_reservation}).id)
    return vm


def _names(client: Client) -> list[tuple[str, str]]:
    """(name, parent name) of every pool."""
    pools = client.list_resource_pools()
    names = {p.id: p.name for p in pools}
    return [(p.name, names.get(p.parent_id, "")) for p in pools]


def test_the_root_pool_is_the_host(client: Client) -> None:
    host = client.host()
    (root,) = client.list_resource_pools()
    assert (root.id, root.name, root.parent_id) == (ROOT, "Resources", "")
    assert root.cpu_allocation.reservation == root.cpu_allocation.limit == host.cpu_total_mhz
    assert root.cpu_usage == type(root.cpu_usage)(0, host.cpu_total_mhz)
    for change in ({"name": "Mine"}, {"cpu_allocation": {"reservation": 1}}):
        with pytest.raises(faults.InvalidArgument):
            client.update_resource_pool(ROOT, **change)
    with pytest.raises(faults.InvalidArgument):
        client.delete_resource_pool(ROOT)
    vm = _create_vm(client, "plain")
    assert (client.get_vm(vm).resource_pool_id, client.get_vm(vm).resource_pool_name) == (ROOT, "Resources")
    assert client.get_resource_pool(ROOT).vm_ids == (vm,)
    pool = client.create_resource_pool("Registered")
    path = client.get_vm(vm).vmx_path
    client.wait_for_task(client.unregister_vm(vm).id)
    again = client.wait_for_task(client.register_vm(path, resource_pool_id=pool.id).id).result_entity_id
    assert client.get_vm(again).resource_pool_id == pool.id
    assert (
        client.get_resource_pool(pool.id).vm_ids == (again,) and client.get_resource_pool(ROOT).vm_ids == ()
    )


def test_pool_calls_need_a_session(host: BootedHost) -> None:
    with secure_channel(host.address, Trust(thumbprint=host.thumbprint)) as channel:
        stub = resourcepool_pb2_grpc.ResourcePoolServiceStub(channel)
        with pytest.raises(grpc.RpcError) as raised:
            stub.ListResourcePools(resourcepool_pb2.ListResourcePoolsRequest(), timeout=10)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_create_nest_rename_reconfigure_move_delete(client: Client) -> None:
    prod = client.create_resource_pool(
        "Prod", cpu_allocation={"shares_level": "high", "reservation": 500, "expandable_reservation": False}
    )
    assert (prod.parent_id, prod.cpu_allocation.shares_level, prod.cpu_allocation.shares) == (
        ROOT,
        "high",
        8000,
    )
    assert (prod.cpu_allocation.reservation, prod.cpu_allocation.expandable_reservation) == (500, False)
    assert prod.memory_allocation.expandable_reservation and prod.memory_allocation.limit == -1
    web = client.create_resource_pool("Web", prod.id, memory_allocation={"reservation": 64, "limit": 512})
    vm = _create_vm(client, "web01", web.id)
    shown = client.get_vm(vm)
    assert (shown.resource_pool_id, shown.resource_pool_name) == (web.id, "Web")

    renamed = client.update_resource_pool(web.id, name="Frontend", cpu_allocation={"shares": 1234})
    assert (renamed.name, renamed.cpu_allocation.shares_level, renamed.cpu_allocation.shares) == (
        "Frontend",
        "custom",
        1234,
    )
    assert renamed.vm_ids == (vm,) and client.get_vm(vm).resource_pool_name == "Frontend"
    assert client.get_resource_pool(prod.id).child_pool_ids == (web.id,)
    assert client.get_resource_pool(prod.id).memory_usage.reservation_used == 64

    before = _names(client)
    bad: list[tuple[type[faults.VimFault], object]] = [
        (faults.DuplicateName, lambda: client.create_resource_pool("Frontend", prod.id)),
        (faults.DuplicateName, lambda: client.create_resource_pool("Prod")),
        (faults.InvalidArgument, lambda: client.move_into_resource_pool(web.id, [prod.id])),
        (faults.InvalidArgument, lambda: client.move_into_resource_pool(prod.id, [prod.id])),
        (faults.NotFound, lambda: client.create_resource_pool("X", "pool404")),
        (faults.NotFound, lambda: client.move_into_resource_pool("pool404", [vm])),
        (faults.NotFound, lambda: client.create_vm("lost", resource_pool_id="pool404")),
        (faults.InvalidState, lambda: client.delete_resource_pool(prod.id)),  # holds Frontend
        (faults.InvalidState, lambda: client.delete_resource_pool(web.id)),  # holds web01 (powered off)
    ]
    for change in (
        {"reservation": -1},
        {"reservation": 900, "limit": 100},
        {"shares_level": "bogus"},
        {"shares_level": "custom"},
        {"shares": 0},
        {"limit": 2**40},
    ):
        bad.append(
            (faults.InvalidArgument, lambda c=change: client.create_resource_pool("Bad", cpu_allocation=c))
        )
        bad.append(
            (
                faults.InvalidArgument,
                lambda c=change: client.update_resource_pool(web.id, name="B", cpu_allocation=c),
            )
        )
    for fault, attempt in bad:
        with pytest.raises(fault):
            attempt()  # type: ignore[operator]
        assert _names(client) == before
    assert client.get_resource_pool(web.id).cpu_allocation.shares == 1234

    client.move_into_resource_pool(ROOT, [vm])
    assert client.get_vm(vm).resource_pool_id == ROOT
    client.move_into_resource_pool(ROOT, [web.id])  # the pool, out of Prod
    assert _names(client) == [("Resources", ""), ("Prod", "Resources"), ("Frontend", "Resources")]
    client.delete_resource_pool(web.id)
    client.delete_resource_pool(prod.id)
    assert _names(client) == [("Resources", "")]
    types = [e.type for e in client.events(max_count=20)]
    for kind in (
        "ResourcePoolCreatedEvent",
        "ResourcePoolReconfiguredEvent",
        "ResourcePoolMovedEvent",
        "ResourcePoolDestroyedEvent",
        "VmResourcePoolMovedEvent",
    ):
        assert kind in types


def test_mom_kid_example_on_real_power_ons(client: Client) -> None:
    """The documented example, scaled to this host (u = a tenth of its MHz; the example's 1 GHz)."""
    u = client.host().cpu_total_mhz // 10
    mom = client.create_resource_pool(
        "MOM", cpu_allocation={"reservation": 6 * u, "expandable_reservation": False}
    )
    for name, reservation in (("m1", u), ("m2", 2 * u)):
        client.wait_for_task(client.power_on(_create_vm(client, name, mom.id, reservation)).id)
    kid = client.create_resource_pool(
        "KID", mom.id, cpu_allocation={"reservation": 2 * u, "expandable_reservation": True}
    )
    assert client.get_resource_pool(mom.id).cpu_usage == type(mom.cpu_usage)(5 * u, u)
    k1, k2 = (_create_vm(client, name, kid.id, 2 * u) for name in ("k1", "k2"))
    client.wait_for_task(client.power_on(k1).id)
    with pytest.raises(faults.InsufficientResourcesFault) as raised:
        client.wait_for_task(client.power_on(k2).id)
    assert (raised.value.resource, raised.value.requested, raised.value.unreserved) == ("cpu", 2 * u, u)
    assert client.get_vm(k2).power_state == "poweredOff"
    assert client.get_resource_pool(mom.id).cpu_usage.reservation_used == 5 * u  # KID holds its own 2 u

    # MOM made expandable: it borrows what it lacks from the host's root pool
    client.update_resource_pool(mom.id, cpu_allocation={"expandable_reservation": True})
    client.wait_for_task(client.power_on(k2).id)
    assert client.get_resource_pool(mom.id).cpu_usage.reservation_used == 7 * u
    # a fixed reservation below what the children hold is refused, and nothing changes
    with pytest.raises(faults.InsufficientResourcesFault):
        client.update_resource_pool(kid.id, cpu_allocation={"expandable_reservation": False})
    assert client.get_resource_pool(kid.id).cpu_allocation.expandable_reservation
    # so is a reservation beyond what the ancestors can give (the host has 3 u unreserved)
    with pytest.raises(faults.InsufficientResourcesFault) as raised:
        client.update_resource_pool(kid.id, cpu_allocation={"reservation": 8 * u})
    assert client.get_resource_pool(kid.id).cpu_allocation.reservation == 2 * u


def test_moving_a_powered_on_vm_passes_admission(client: Client) -> None:
    u = client.host().cpu_total_mhz // 10
    vm = _create_vm(client, "busy", cpu_reservation=2 * u)
    small = client.create_resource_pool(
        "Small", cpu_allocation={"reservation": u, "expandable_reservation": False}
    )
    roomy = client.create_resource_pool(
        "Roomy", cpu_allocation={"reservation": 3 * u, "expandable_reservation": False}
    )
    client.wait_for_task(client.power_on(vm).id)
    with pytest.raises(faults.InsufficientResourcesFault) as raised:
        client.move_into_resource_pool(small.id, [vm])
    assert (raised.value.requested, raised.value.unreserved) == (2 * u, u)
    assert client.get_vm(vm).resource_pool_id == ROOT and client.get_resource_pool(small.id).vm_ids == ()
    moved = client.move_into_resource_pool(roomy.id, [vm])
    assert moved.vm_ids == (vm,) and moved.cpu_usage == type(moved.cpu_usage)(2 * u, u)
    assert client.get_vm(vm).resource_pool_id == roomy.id
    with pytest.raises(faults.InvalidState):
        client.delete_resource_pool(roomy.id)
    client.wait_for_task(client.power_off(vm).id)
    client.move_into_resource_pool(small.id, [vm])  # powered off: it holds nothing
    assert client.get_resource_pool(roomy.id).cpu_usage.reservation_used == 0
    with pytest.raises(faults.InsufficientResourcesFault):
        client.wait_for_task(client.power_on(vm).id)  # admission walks from its pool: Small has 1 u
    client.wait_for_task(client.reconfigure_vm(vm, cpu_allocation={"reservation": u}).id)
    client.wait_for_task(client.power_on(vm).id)
    assert client.get_resource_pool(small.id).cpu_usage == type(moved.cpu_usage)(u, 0)


def test_pools_and_membership_survive_a_host_restart(host: BootedHost, client: Client) -> None:
    gold = client.create_resource_pool(
        "Gold", cpu_allocation={"shares_level": "high", "limit": 3000}, memory_allocation={"reservation": 128}
    )
    inner = client.create_resource_pool("Inner", gold.id, cpu_allocation={"shares": 777})
    vm = _create_vm(client, "member", inner.id)
    before = client.list_resource_pools()
    client.logout()
    host.stop()

    again = BootedHost(host.root)
    try:
        with again.client() as after:
            assert after.list_resource_pools() == before
            assert after.get_vm(vm).resource_pool_id == inner.id
            after.wait_for_task(after.power_on(vm).id)  # powers on in its pool
            held = after.get_resource_pool(inner.id).memory_usage.reservation_used  # the VM's overhead
            assert held > 0 and after.get_resource_pool(gold.id).memory_usage.reservation_used == held
            fresh = after.create_resource_pool("Fresh")
            assert fresh.id not in (gold.id, inner.id)
            after.wait_for_task(after.power_off(vm).id)
    finally:
        again.stop()


def test_a_hostd_restart_keeps_pools_and_a_running_vms_pool(host: BootedHost, client: Client) -> None:
    u = client.host().cpu_total_mhz // 10
    pool = client.create_resource_pool(
        "Kept", cpu_allocation={"reservation": 2 * u, "expandable_reservation": False}
    )
    vm = _create_vm(client, "runner", pool.id, cpu_reservation=u)
    client.wait_for_task(client.power_on(vm).id)
    old_hostd = host.hostd_pid()
    os.kill(old_hostd, signal.SIGKILL)
    wait_until(lambda: (pid := host.hostd_pid()) != old_hostd and pid, what="hostd restart")
    with host.client() as again:
        after = wait_until(lambda: again.get_vm(vm), what="hostd serving")
        assert (after.power_state, after.resource_pool_id, after.resource_pool_name) == (
            "poweredOn",
            pool.id,
            "Kept",
        )
        assert again.get_resource_pool(pool.id).cpu_usage == type(pool.cpu_usage)(
            u, u
        )  # the VMkernel kept it
        again.wait_for_task(again.power_off(vm).id)
