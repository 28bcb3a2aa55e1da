"""The guest shell and its programs, typed on the console of an appliance guest."""

from __future__ import annotations

import re

import pytest

from vmx.guestos.testing import ConsoleSession, FakeMachine, run


def _running(sh: ConsoleSession, name: str) -> bool:
    return any(p.name == name for p in sh.guest.kernel.procs.values())


@pytest.fixture
def sh() -> ConsoleSession:
    return ConsoleSession(FakeMachine(vm_name="web01"))


def test_system_information(sh: ConsoleSession) -> None:
    assert sh.run("uname -a").startswith("Linux web01 6.1.0-pyesx #1 SMP")
    assert sh.run("hostname") == "web01\n"
    assert re.match(r" \d\d:\d\d:\d\d up \d+ min,  1 user,  load average: ", sh.run("uptime"))
    assert re.match(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}\n", sh.run("date"))
    assert sh.run("whoami") == "root\n"
    free = sh.run("free -m").splitlines()
    assert free[0].split() == ["total", "used", "free", "shared", "buff/cache", "available"]
    assert free[1].split()[:3] == ["Mem:", "1024", "48"]
    df = sh.run("df -h").splitlines()
    assert df[0].split()[:5] == ["Filesystem", "Size", "Used", "Avail", "Use%"] and df[1].endswith(" /")


def test_processes(sh: ConsoleSession) -> None:
    ps = sh.run("ps")
    assert ps.splitlines()[0] == "    PID TTY          TIME CMD"
    assert re.search(r"\n +1 \?  +00:00:00 init\n", ps) and " vmtoolsd\n" in ps and " ps\n" in ps
    top = sh.run("top -b -n 1")
    assert top.startswith("top - ") and "Tasks:" in top and "%Cpu(s):" in top and "MiB Mem :" in top
    assert re.search(r"\n +\d+ root .* top\n", top)


def test_files(sh: ConsoleSession) -> None:
    assert sh.run("echo hello world > /tmp/a; cat /tmp/a") == "hello world\n"
    assert sh.run("echo again >> /tmp/a; cat /tmp/a") == "hello world\nagain\n"
    assert sh.run("mkdir -p /tmp/d/e && touch /tmp/d/f && ls /tmp/d") == "e  f\n"
    assert (
        sh.run("cp /tmp/a /tmp/d/copy && mv /tmp/d/copy /tmp/d/moved && cat /tmp/d/moved")
        == "hello world\nagain\n"
    )
    listing = sh.run("ls -l /tmp")
    assert listing.startswith("total ") and re.search(
        r"-rw-r--r-- 1 root root +18 \w{3} [ \d]\d \d\d:\d\d a\n", listing
    )
    assert ".profile" in sh.run("ls -a /root") and ".profile" not in sh.run("ls /root")
    assert sh.run("rm -r /tmp/d; ls /tmp") == "a\n"


def test_errors_and_exit_codes(sh: ConsoleSession) -> None:
    assert sh.run("ls /nope") == "ls: cannot access '/nope': No such file or directory\n"
    assert sh.status() == 2
    assert sh.run("frobnicate") == "sh: frobnicate: command not found\n"
    assert sh.status() == 127
    assert sh.run("cat /nope") == "cat: /nope: No such file or directory\n"
    assert sh.status() == 1
    assert sh.run("rm /tmp") == "rm: cannot remove '/tmp': Is a directory\n"
    assert sh.run("mkdir /tmp") == "mkdir: cannot create directory '/tmp': File exists\n"
    assert sh.run("false; echo $?; true; echo $?") == "1\n0\n"
    assert sh.run("false && echo no || echo yes") == "yes\n"
    assert sh.run("echo 'unterminated") == "sh: unexpected EOF while looking for matching `''\n"
    assert sh.run("cd /nope") == "sh: cd: /nope: No such file or directory\n"
    assert sh.run("rm /bin/date; date") == "sh: date: command not found\n"


def test_words_variables_and_redirection(sh: ConsoleSession) -> None:
    assert sh.run("X=world; echo \"hello $X\" 'not $X' ${X}s") == "hello world not $X worlds\n"
    assert sh.run("export GREETING=hi; env | grep GREETING") == "GREETING=hi\n"
    assert sh.run("cd /tmp; pwd; cd; pwd") == "/tmp\n/root\n"
    assert sh.run("echo one > f; echo two >> f; wc -l < f") == "2\n"
    assert sh.run("ls /nope 2> err; cat err") == "ls: cannot access '/nope': No such file or directory\n"
    assert sh.run("ls /nope 2>&1 | wc -l") == "1\n"
    assert sh.run("printf_missing 2>/dev/null; echo $?") == "127\n"
    assert sh.run("ls /bin | grep -c ^ls$") == "1\n"
    assert sh.run("echo a; echo b | head -n 1") == "a\nb\n"
    assert sh.run("touch /tmp/x1 /tmp/x2; ls /tmp/x*") == "/tmp/x1  /tmp/x2\n"


def test_dd_real_io(sh: ConsoleSession) -> None:
    out = sh.run("dd if=/dev/zero of=/tmp/zero bs=1M count=3")
    assert out.startswith("3+0 records in\n3+0 records out\n3145728 bytes (3.1 MB, 3.0 MiB) copied, ")
    assert sh.run("ls -l /tmp/zero").split()[4] == "3145728"
    assert (
        sh.run("dd if=/dev/urandom of=/tmp/rnd bs=1000 count=2 status=none; wc -c /tmp/rnd")
        == "2000 /tmp/rnd\n"
    )
    out = sh.run("dd if=/tmp/zero of=/tmp/copy bs=1M")
    assert out.startswith("3+0 records in\n3+0 records out\n")
    assert sh.run("dd if=/nope of=/tmp/x") == "dd: failed to open '/nope': No such file or directory\n"
    assert sh.status() == 1


def test_dd_full_disk(sh: ConsoleSession) -> None:
    out = sh.run("dd if=/dev/zero of=/tmp/big bs=1M count=2000")
    assert "dd: error writing '/tmp/big': No space left on device\n" in out
    assert sh.status() == 1


def test_stress_loads_then_idles(sh: ConsoleSession) -> None:
    machine = sh.machine
    out = sh.run("stress --cpu 2 --vm-bytes 64M --timeout 5")
    assert re.match(r"stress: info: \[\d+\] dispatching hogs: 2 cpu, 0 io, 1 vm, 0 hdd\n", out)
    assert re.search(r"successful run completed in 5s\n$", out)
    assert machine.cpu_loads == [(2, 100), (0, 0)]
    assert machine.memory_loads == [64 << 20, 0]
    sh.run("stress --cpu 8 --vm 2 --vm-bytes 1G --timeout 1")
    assert sh.status() == 1  # 2 GiB does not fit in 1 GiB


def test_stress_interrupted_returns_to_idle(sh: ConsoleSession) -> None:
    mark = len(sh.machine.screen)
    sh.guest.console_input(b"stress --cpu 1 --timeout 60\r")
    assert run(sh.guest, sh.machine, lambda: sh.machine.cpu_loads == [(1, 100)], 10)
    sh.guest.console_input(b"\x03")
    sh.wait_prompt(mark)
    assert sh.machine.cpu_loads == [(1, 100), (0, 0)]
    assert sh.status() == 130


def test_ip_addr(sh: ConsoleSession) -> None:
    out = sh.run("ip addr")
    assert "2: ens192: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500" in out
    assert "link/ether 00:50:56:aa:bb:01 brd ff:ff:ff:ff:ff:ff" in out
    assert "inet 10.0.0.5/24 brd 10.0.0.255 scope global ens192" in out


def test_ping_replies(sh: ConsoleSession) -> None:
    out = sh.run("ping -c 3 10.0.0.1")
    lines = out.splitlines()
    assert lines[0] == "PING 10.0.0.1 (10.0.0.1) 56(84) bytes of data."
    assert lines[1] == "64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=0.300 ms"
    assert lines[5] == "--- 10.0.0.1 ping statistics ---"
    assert re.match(r"3 packets transmitted, 3 received, 0% packet loss, time \d+ms", lines[6])
    assert lines[7] == "rtt min/avg/max/mdev = 0.300/0.350/0.400/0.041 ms"
    assert sh.status() == 0
    assert [seq for _, _, seq in sh.machine.pings_sent] == [1, 2, 3]


def test_ping_loss(sh: ConsoleSession) -> None:
    out = sh.run("ping -c 2 -i 0.5 10.0.0.99")
    assert "2 packets transmitted, 0 received, 100% packet loss" in out and "rtt" not in out
    assert sh.status() == 1
    sh.machine.nic_info = None
    assert sh.run("ping -c 1 10.0.0.1") == "ping: connect: Network is unreachable\n"
    assert sh.run("ping -c 1 nowhere") == "ping: nowhere: Name or service not known\n"


def test_sleep_and_background(sh: ConsoleSession) -> None:
    before = sh.machine.clock
    assert sh.run("sleep 3") == ""
    assert sh.machine.clock - before >= 3
    assert sh.run("sleep x") == "sleep: invalid time interval 'x'\nTry 'sleep --help' for more information.\n"


def test_shutdown_and_reboot() -> None:
    machine = FakeMachine()
    sh = ConsoleSession(machine)
    sh.machine.screen.clear()
    sh.guest.console_input(b"reboot\r")
    sh.wait_for("login: ")
    assert machine.resets == 1 and "reboot: Restarting system" in machine.text()
    sh2 = ConsoleSession(FakeMachine())
    sh2.guest.console_input(b"shutdown -h now\r")
    assert run(sh2.guest, sh2.machine, lambda: sh2.machine.powered_off, 10)
    assert sh2.guest.step(sh2.machine.clock) is None


def test_help_lists_commands(sh: ConsoleSession) -> None:
    out = sh.run("help")
    for name in ("ls", "dd", "stress", "ping", "cd", "exit"):
        assert re.search(rf"\b{name}\b", out)
    assert sh.run("clear") == "\x1b[H\x1b[2J\x1b[3J"


def test_scripts_and_sh(sh: ConsoleSession) -> None:
    assert sh.run("sh -c 'echo $0 $1; exit 4' name arg; echo $?") == "name arg\n4\n"
    sh.run("echo 'echo script $1' > /tmp/s.sh; echo 'false' >> /tmp/s.sh")
    assert sh.run("sh /tmp/s.sh one; echo $?") == "script one\n1\n"
    assert sh.run("echo echo piped | sh") == "piped\n"
    assert sh.run("sh /nope") == "sh: 0: cannot open /nope: No such file or directory\n"


def test_background_job(sh: ConsoleSession) -> None:
    out = sh.run("sleep 30 &")
    assert re.match(r"\[1\] \d+\n", out)
    assert re.search(r" sleep\n", sh.run("ps"))
    before = sh.machine.clock
    sh.run("sleep 1")
    assert sh.machine.clock - before < 30  # the prompt did not wait for the job


def test_cat_reads_the_console_until_ctrl_d(sh: ConsoleSession) -> None:
    mark = len(sh.machine.screen)
    sh.guest.console_input(b"cat > /tmp/typed\r")
    assert run(sh.guest, sh.machine, lambda: _running(sh, "cat"), 10)
    sh.guest.console_input(b"line one\rline two\r\x04")
    sh.wait_prompt(mark)
    assert sh.run("cat /tmp/typed") == "line one\nline two\n"


def test_top_iterations_and_tail(sh: ConsoleSession) -> None:
    out = sh.run("top -b -n 2 -d 1")
    assert out.count("top - ") == 2
    assert sh.run("echo 1 > n; echo 2 >> n; echo 3 >> n; tail -n 2 n") == "2\n3\n"


def test_dmesg_shows_boot_and_media_changes(sh: ConsoleSession) -> None:
    assert "Linux version 6.1.0-pyesx" in sh.run("dmesg")
    sh.guest.media_changed()
    assert sh.run("dmesg").splitlines()[-1].endswith("sr 1:0:0:0: [sr0] Media removed")


def test_proc_files(sh: ConsoleSession) -> None:
    assert sh.run("ls /proc") == "cpuinfo  loadavg  meminfo  uptime  version\n"
    assert sh.run("grep MemTotal /proc/meminfo") == "MemTotal:        1048576 kB\n"
    assert sh.run("grep -c processor /proc/cpuinfo") == "2\n"
    assert sh.run("cat /proc/version").startswith("Linux version 6.1.0-pyesx")
