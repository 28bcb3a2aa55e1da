"""The .vmx format: ESXi's key = "value" lines, unknown keys kept, errors name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyesx import faults
from pyesx.vmxfile import VmxConfig, VmxParseError

pytestmark = pytest.mark.timeout(10)

WORKSTATION_VMX = """.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "19"
displayName = "Ubuntu 64-bit"
guestOS = "ubuntu-64"
memsize = "2048"
numvcpus = "2"
scsi0:0.fileName = "Ubuntu 64-bit.vmdk"
tools.syncTime = "FALSE"
annotation = "line one|0Aline two with a |22quote|22 and a pipe |7C"
"""


def test_a_real_vmx_round_trips_verbatim() -> None:
    config = VmxConfig.parse(WORKSTATION_VMX)
    assert config.render() == WORKSTATION_VMX
    assert config["annotation"] == 'line one\nline two with a "quote" and a pipe |'


def test_keys_are_case_insensitive_and_keep_their_spelling() -> None:
    config = VmxConfig.parse(WORKSTATION_VMX)
    assert config["memSize"] == "2048" and config.get_int("MEMSIZE", 0) == 2048
    config["memSize"] = "4096"
    assert 'memsize = "4096"' in config.render()
    assert next(iter(config)) == ".encoding"


def test_values_are_escaped_when_written() -> None:
    config = VmxConfig({"annotation": 'say "hi" | bye\n'})
    assert config.render() == 'annotation = "say |22hi|22 |7C bye|0A"\n'
    assert VmxConfig.parse(config.render())["annotation"] == 'say "hi" | bye\n'


@pytest.mark.parametrize(
    "bad",
    ["displayName = unquoted", "no equals sign", 'key = "unterminated', 'a b = "x"', 'k = "x" trailing'],
)
def test_a_corrupt_line_is_an_invalid_argument_naming_the_line(bad: str) -> None:
    text = f'.encoding = "UTF-8"\n\n{bad}\n'
    with pytest.raises(VmxParseError) as raised:
        VmxConfig.parse(text, "web01.vmx")
    assert isinstance(raised.value, faults.InvalidArgument)
    assert raised.value.line_no == 3 and "web01.vmx: line 3" in str(raised.value)


def test_get_int_falls_back_on_missing_or_bad_values() -> None:
    config = VmxConfig({"numvcpus": "two"})
    assert config.get_int("numvcpus", 1) == 1 and config.get_int("memSize", 256) == 256


def test_a_file_that_is_not_utf8_is_a_parse_error_naming_the_line(tmp_path: Path) -> None:
    """Fuzz: a .vmsd overwritten with binary raised UnicodeDecodeError (SystemError, hostd crash at start)."""
    path = tmp_path / "web01.vmsd"
    path.write_bytes(b'.encoding = "UTF-8"\nsnapshot.current = "\xbb"\n')
    with pytest.raises(VmxParseError) as raised:
        VmxConfig.read(path)
    assert raised.value.line_no == 2 and "web01.vmsd" in raised.value.reason
    path.write_bytes('displayName = "ünï"\n'.encode())
    assert VmxConfig.read(path)["displayName"] == "ünï"
