"""The SDK's host configuration plans name RPCs the stubs have, with the requests they take, and
convert replies to the SDK's records."""

from __future__ import annotations

from typing import Any

import grpc

from clients import ops
from clients.hostconfig import HostNetwork, NtpServerStatus, NtpStatus
from clients.transport import SERVICES
from pyesx.api.v1 import hostconfig_pb2 as pb


def plans() -> list[ops.Call[Any]]:
    return [
        ops.list_host_services(),
        ops.host_service_action("StartHostService", "ntpd"),
        ops.host_service_action("StopHostService", "ntpd"),
        ops.host_service_action("RestartHostService", "ntpd"),
        ops.set_host_service_policy("ntpd", "on"),
        ops.get_ntp_config(),
        ops.change_ntp_servers(["10.0.0.1"]),
        ops.change_ntp_servers(["10.0.0.1"], remove=True),
        ops.set_ntp_poll_interval(0.5),
        ops.get_ntp_status(),
        ops.get_host_network(),
        ops.update_host_network(host_name="esx01", dns_servers=[]),
        ops.resolve_name("ntp.lab.lan"),
    ]


def test_every_plan_names_a_method_of_its_stub_with_its_request_type() -> None:
    channel = grpc.insecure_channel("127.0.0.1:1")
    try:
        for plan in plans():
            stub = SERVICES[plan.service](channel)
            assert hasattr(stub, plan.method), plan
            service = pb.DESCRIPTOR.services_by_name[type(stub).__name__.removesuffix("Stub")]
            method = service.methods_by_name[plan.method]
            assert method.input_type.full_name == plan.request.DESCRIPTOR.full_name
    finally:
        channel.close()


def test_update_host_network_sets_only_what_is_given() -> None:
    request = ops.update_host_network(host_name="esx01", dns_servers=[]).request
    assert request.HasField("host_name") and not request.HasField("domain_name")
    assert (request.set_dns_servers, list(request.dns_servers), request.set_search_domains) == (
        True,
        [],
        False,
    )


def test_replies_become_records() -> None:
    status = pb.NtpStatus(
        running=True,
        synchronized=True,
        sync_server="ntp",
        stratum=9,
        offset_seconds=0.001,
        servers=[
            pb.NtpServerStatus(server="ntp", address="127.0.0.1:123", reach=255, stratum=8, selected=True)
        ],
    )
    record = ops.get_ntp_status().convert(status)
    assert record == NtpStatus(
        True,
        True,
        "ntp",
        9,
        0.001,
        (NtpServerStatus("ntp", "127.0.0.1:123", False, 255, 8, 0.0, 0.0, "", 0.0, "", True),),
    )
    network = pb.HostNetwork(host_name="esx01", dns_servers=["10.0.0.53"], search_domains=["lab.lan"])
    assert ops.get_host_network().convert(network) == HostNetwork("esx01", "", ("10.0.0.53",), ("lab.lan",))
