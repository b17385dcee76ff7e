"""What LLDB asks over gdb-remote beyond gdb's packets: host information, the watchpoint
count, and a reply to ``k`` (LLDB waits for one; gdb reads none)."""
from __future__ import annotations

import pytest

from gdbstub.hwdebug.profiles import PPC440
from gdbstub.machine import Machine
from gdbstub.rsp.client import RspClient, RspError
from gdbstub.testing import ServerThread


def test_host_info_says_watchpoints_stop_before_the_access(serve, spin_elf):
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        fields = dict(item.split(":") for item in client.request("qHostInfo").decode().rstrip(";").split(";"))
    assert bytes.fromhex(fields.pop("triple")) == b"powerpc-unknown-none-elf"
    assert fields == {"endian": "big", "ptrsize": "4", "watchpoint_exceptions_received": "before"}


@pytest.mark.parametrize("packet", ["qWatchpointSupportInfo", "qWatchpointSupportInfo:"])
def test_watchpoint_support_info_counts_the_dac_slots(spin_elf, packet):
    with ServerThread(Machine(spin_elf, profile=PPC440)) as server:
        with RspClient.connect("127.0.0.1", server.port) as client:
            assert client.request(packet) == b"num:2;"
            assert client.request("qWatchpointSupportInfoX") == b""    # another packet


def test_kill_is_answered_and_the_guest_reloaded(serve, spin_elf):
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("P3=0000002a") == b"OK"
        assert client.request("k") == b"X09"
        with pytest.raises(RspError):   # then the session ends (closed or reset)
            client.receive(timeout=5)
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("p3") == b"00000000"
