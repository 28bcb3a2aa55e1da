"""Autostart configuration: validation, all-or-nothing reconfiguration, start order, the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostd.autostart import AutoStart, Defaults, PowerInfo, store_path
from hostd.autostart_run import boot_marker
from pyesx.faults import InvalidArgument, NotFound
from pyesx.layout import HostLayout

VMS = {"vm-1", "vm-2", "vm-3"}


@pytest.fixture
def layout(tmp_path: Path) -> HostLayout:
    return HostLayout(tmp_path)


def test_esxi_defaults(layout: HostLayout) -> None:
    autostart = AutoStart(layout, VMS.__contains__)
    assert autostart.defaults == Defaults(False, 120, 120, False, "powerOff")
    assert autostart.power_info() == []


def test_start_order_then_unordered(layout: HostLayout) -> None:
    autostart = AutoStart(layout, VMS.__contains__)
    autostart.reconfigure(
        Defaults(enabled=True, start_delay=0),
        [
            PowerInfo("vm-3", start_order=-1, start_action="powerOn"),
            PowerInfo("vm-2", start_order=2, start_action="powerOn"),
            PowerInfo("vm-1", start_order=1, start_action="powerOn", start_delay=5, stop_action="suspend"),
        ],
    )
    assert [p.vm_id for p in autostart.power_info()] == ["vm-1", "vm-2", "vm-3"]
    first = autostart.entry("vm-1")
    assert (autostart.start_delay(first), autostart.stop_action(first)) == (5, "suspend")
    second = autostart.entry("vm-2")
    assert (autostart.start_delay(second), autostart.stop_action(second)) == (0, "powerOff")
    reread = AutoStart(layout, VMS.__contains__)
    assert reread.defaults.enabled and reread.power_info() == autostart.power_info()


def test_unregistered_vms_drop_out(layout: HostLayout) -> None:
    registered = set(VMS)
    autostart = AutoStart(layout, registered.__contains__)
    autostart.reconfigure(None, [PowerInfo("vm-1", 1, start_action="powerOn")])
    registered.discard("vm-1")
    assert autostart.power_info() == []


@pytest.mark.parametrize(
    ("defaults", "power_info", "fault", "words"),
    [
        (None, [PowerInfo("vm-9", 1)], NotFound, "vm-9"),
        (None, [PowerInfo("vm-1", 0)], InvalidArgument, "-1 or 1 to 1024"),
        (None, [PowerInfo("vm-1", 5000)], InvalidArgument, "out of range"),
        (None, [PowerInfo("vm-1", start_delay=-2)], InvalidArgument, "-1 to 86400"),
        (None, [PowerInfo("vm-1", stop_delay=2**31 - 1)], InvalidArgument, "-1 to 86400"),
        (None, [PowerInfo("vm-1", start_action="resume")], InvalidArgument, "powerOn"),
        (None, [PowerInfo("vm-1", stop_action="explode")], InvalidArgument, "guestShutdown"),
        (None, [PowerInfo("vm-1", wait_for_heartbeat="sometimes")], InvalidArgument, "yes"),
        (Defaults(start_delay=-1), [], InvalidArgument, "0 to 86400"),
        (Defaults(stop_action="systemDefault"), [], InvalidArgument, "powerOff"),
    ],
)
def test_bad_input_changes_nothing(
    layout: HostLayout,
    defaults: Defaults | None,
    power_info: list[PowerInfo],
    fault: type[Exception],
    words: str,
) -> None:
    autostart = AutoStart(layout, VMS.__contains__)
    autostart.reconfigure(Defaults(enabled=True), [PowerInfo("vm-2", 1, start_action="powerOn")])
    before = store_path(layout).read_bytes()
    with pytest.raises(fault) as caught:
        autostart.reconfigure(defaults, [PowerInfo("vm-3", 2, start_action="powerOn"), *power_info])
    assert words in str(caught.value)
    assert store_path(layout).read_bytes() == before
    assert [p.vm_id for p in autostart.power_info()] == ["vm-2"]


def test_a_broken_store_is_ignored(layout: HostLayout) -> None:
    store_path(layout).parent.mkdir(parents=True)
    store_path(layout).write_text(json.dumps({"defaults": {"enabled": True, "bogus": 1}}))
    assert AutoStart(layout, VMS.__contains__).defaults == Defaults()


def test_boot_marker_once_per_boot(layout: HostLayout) -> None:
    layout.run.mkdir()
    assert boot_marker(layout) is True
    assert boot_marker(layout) is False  # a restarted hostd: run/ was not emptied
