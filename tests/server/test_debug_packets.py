"""The hardware-debug model seen through RSP: Z/z packets, stop replies, E22, ``monitor debug``.

The loop guest stores and loads words, a byte and a halfword in ``data`` ten times, then halts.
"""
from __future__ import annotations

import pytest

from gdbstub import e500mc
from gdbstub.rsp.client import RspClient


@pytest.fixture
def loop(serve, loop_elf):
    """``(client, symbols)`` for a fresh loop guest with hwbreak/swbreak stop reasons asked for."""
    server = serve(loop_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        client.request("qSupported:swbreak+;hwbreak+")
        yield client, server.machine.elf.symbols


def pc_of(client: RspClient) -> int:
    return int(client.request(f"p{e500mc.PC_REGNUM:x}"), 16)


def monitor(client: RspClient, command: str) -> str:
    return bytes.fromhex(client.request("qRcmd," + command.encode().hex()).decode()).decode()


@pytest.mark.parametrize(("z_type", "offset", "length", "kind", "stops_at"), [
    (2, 0, 4, "watch", "store_word"),     # stw of the whole word
    (2, 9, 1, "watch", "store_byte"),     # stb of one byte
    (3, 4, 4, "rwatch", "load_word"),     # lwz
    (3, 13, 1, "rwatch", "load_half"),    # one byte inside the lhz halfword
    (4, 0, 4, "awatch", "store_word"),    # an access point reports awatch for a write …
    (4, 12, 2, "awatch", "load_half"),    # … and for a read
])
def test_watchpoint_stop_names_the_dac_address(loop, z_type, offset, length, kind, stops_at):
    client, symbols = loop
    addr = symbols["data"] + offset
    assert client.request(f"Z{z_type},{addr:x},{length:x}") == b"OK"
    assert client.request("c") == f"T05thread:1;{kind}:{addr:x};".encode()
    assert pc_of(client) == symbols[stops_at]          # stopped before the access …
    assert client.request(f"z{z_type},{addr:x},{length:x}") == b"OK"
    assert client.request("c") == b"W0a"                # … and the loop still runs to its end


def test_write_watchpoint_stops_once_per_iteration(loop):
    client, symbols = loop
    data = symbols["data"]
    assert client.request(f"Z2,{data:x},4") == b"OK"
    for iteration in range(1, 4):
        assert client.request("c") == f"T05thread:1;watch:{data:x};".encode()
        assert client.read_memory(data, 4) == (iteration - 1).to_bytes(4, "big")  # not yet written
        assert client.request(f"z2,{data:x},4") == b"OK"   # step over it as gdb does
        assert client.request("s") == b"T05thread:1;"
        assert client.read_memory(data, 4) == iteration.to_bytes(4, "big")
        assert client.request(f"Z2,{data:x},4") == b"OK"


def test_hardware_breakpoints_use_the_two_iac_slots_and_a_third_is_refused(loop):
    client, symbols = loop
    first, second, third = symbols["load_word"], symbols["store_byte"], symbols["load_half"]
    assert client.request(f"Z1,{first:x},4") == b"OK"
    assert client.request(f"Z1,{second:x},4") == b"OK"
    assert client.request(f"Z1,{first:x},4") == b"OK"          # the same point again: idempotent
    assert client.request(f"Z1,{third:x},4") == b"E22"
    assert client.request("c") == b"T05thread:1;hwbreak:;"
    assert pc_of(client) == first
    assert client.request(f"z1,{first:x},4") == b"OK"          # removal frees its slot …
    assert client.request(f"Z1,{third:x},4") == b"OK"
    assert client.request("c") == b"T05thread:1;hwbreak:;"
    assert pc_of(client) == second
    assert client.request(f"z1,{second:x},4") == b"OK"         # … and steps over, as gdb does
    assert client.request("c") == b"T05thread:1;hwbreak:;"
    assert pc_of(client) == third


def test_a_third_watchpoint_joins_the_two_dacs_in_one_range(loop):
    client, symbols = loop
    data = symbols["data"]
    assert client.request(f"Z3,{data + 0x1000:x},1") == b"OK"
    assert client.request(f"Z3,{data + 4:x},1") == b"OK"
    assert "DAC2  " in monitor(client, "debug")
    assert client.request(f"Z2,{data:x},1") == b"OK"
    assert "DAC1-DAC2  range" in monitor(client, "debug")
    assert client.request("c") == f"T05thread:1;watch:{data:x};".encode()
    assert client.request(f"z2,{data:x},1") == b"OK"
    assert client.request("c") == f"T05thread:1;rwatch:{data + 4:x};".encode()


def test_a_watchpoint_longer_than_a_byte_stops_on_its_later_bytes(loop):
    """Issue 19 item 2: Z2 of 4 bytes was one exact DAC, blind to the byte store at data+9."""
    client, symbols = loop
    data = symbols["data"]
    assert client.request(f"Z2,{data + 8:x},4") == b"OK"
    assert client.request("c") == f"T05thread:1;watch:{data + 9:x};".encode()
    assert pc_of(client) == symbols["store_byte"]


def test_unknown_breakpoint_kind_and_removing_an_absent_point_are_errors(loop):
    client, symbols = loop
    assert client.request(f"Z5,{symbols['data']:x},4") == b""            # not a Z type: unsupported
    assert client.request(f"z2,{symbols['data']:x},4").startswith(b"E")


@pytest.mark.parametrize("z_type", [0, 1, 2, 3, 4])
def test_a_point_beyond_32_bits_is_refused_not_cut(loop, z_type):
    """Found in review: Z1,100100000 programmed IAC1 with 0x00100000, the guest's entry."""
    client, symbols = loop
    before = monitor(client, "debug")
    assert client.request(f"Z{z_type},{(1 << 32) | symbols['load_word']:x},4") == b"E22"
    assert monitor(client, "debug") == before


def test_monitor_debug_shows_the_registers_and_who_owns_each_slot(loop):
    client, symbols = loop
    data, load_word = symbols["data"], symbols["load_word"]
    assert "owned by the guest" in monitor(client, "debug")
    assert client.request(f"Z1,{load_word:x},4") == b"OK"
    assert client.request(f"Z2,{data:x},1") == b"OK"
    assert client.request(f"Z0,{symbols['store_byte']:x},4") == b"OK"
    text = monitor(client, "debug")             # programmed at once, as QEMU does with KVM
    assert "debug facility owned by the stub (gdb)" in text
    assert f"IAC1  {load_word:#010x}  gdb hbreak (Z1)" in text
    assert f"DAC1  {data:#010x}  gdb watch (Z2)" in text
    assert "IAC2  free" in text and "DAC2  free" in text
    assert f"software breakpoint {symbols['store_byte']:#010x} (saved word 98690009)" in text
    dbcr0 = int(text.split("DBCR0 ")[1].split()[0], 16)
    assert dbcr0 == 0x40000000 | 0x00800000 | 0x00040000   # IDM | IAC1 | DAC1W
    assert client.request(f"z1,{load_word:x},4") == b"OK"
    assert "IAC1  free" in monitor(client, "debug")


def test_monitor_reset_reloads_the_guest_and_drops_every_point(loop):
    client, symbols = loop
    data = symbols["data"]
    assert client.request(f"Z2,{data:x},4") == b"OK"
    assert client.request(f"Z0,{symbols['load_half']:x},4") == b"OK"
    assert client.request("c") == f"T05thread:1;watch:{data:x};".encode()
    client.write_memory(data + 4, b"\xde\xad\xbe\xef")
    assert "guest reset" in monitor(client, "reset")
    assert pc_of(client) == symbols["_start"]
    assert client.read_memory(data + 4, 4) == bytes.fromhex("11111111")   # memory reloaded
    text = monitor(client, "debug")
    assert "owned by the guest" in text and "software breakpoint" not in text
    assert client.request("c") == b"W0a"                                  # nothing stops it now


# --- resuming at a software breakpoint ------------------------------------------------------
# gdb steps over its own breakpoints (it removes them first); one still inserted under the PC
# that the guest reached by a step, or that the client jumped to, must stop the guest at once,
# as on QEMU (gdb.base/jump.exp, gdb.base/sss-bp-on-user-bp.exp). Only the one the guest
# stopped on is stepped over.
def test_a_jump_onto_a_breakpoint_stops_there_at_once(loop):
    client, symbols = loop
    target = symbols["store_byte"]
    assert client.request(f"P{e500mc.PC_REGNUM:x}={target:08x}") == b"OK"
    assert client.request(f"Z0,{target:x},4") == b"OK"
    assert client.request("vCont;c") == b"T05thread:1;swbreak:;"
    assert pc_of(client) == target
    assert int(client.request("p3"), 16) == 0     # not a lap of the loop later


def test_a_breakpoint_reached_by_a_step_stops_the_continue_at_once(loop):
    client, symbols = loop
    start = pc_of(client)
    assert client.request(f"Z0,{start + 4:x},4") == b"OK"
    assert client.request("vCont;s:1") == b"T05thread:1;"
    assert pc_of(client) == start + 4
    assert client.request("vCont;c") == b"T05thread:1;swbreak:;"
    assert pc_of(client) == start + 4


def test_the_breakpoint_just_hit_is_stepped_over(loop):
    client, symbols = loop
    target = symbols["store_word"]
    assert client.request(f"Z0,{target:x},4") == b"OK"
    assert client.request("c") == b"T05thread:1;swbreak:;"
    assert client.request("c") == b"T05thread:1;swbreak:;"     # the next iteration
    assert pc_of(client) == target
    assert client.read_memory(symbols["data"], 4) == (1).to_bytes(4, "big")


def test_a_jump_to_the_breakpoint_just_hit_stops_there_again(loop):
    client, symbols = loop
    target = symbols["store_word"]
    assert client.request(f"Z0,{target:x},4") == b"OK"
    assert client.request("c") == b"T05thread:1;swbreak:;"
    assert client.request(f"c{target:x}") == b"T05thread:1;swbreak:;"
    assert client.read_memory(symbols["data"], 4) == bytes(4)   # the store has not run
