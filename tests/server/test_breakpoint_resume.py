"""Resuming at a software breakpoint: the stub steps over only the one the guest stopped on.

gdb steps over its own breakpoints (it removes them first); a breakpoint still inserted under
the PC that the guest reached by a step, or that the client jumped to, must stop the guest at
once, as it does on QEMU (gdb.base/jump.exp, gdb.base/sss-bp-on-user-bp.exp).
"""
from __future__ import annotations

import pytest

from gdbstub import e500mc
from gdbstub.rsp.client import RspClient


@pytest.fixture
def loop(serve, loop_elf):
    server = serve(loop_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        client.request("qSupported:swbreak+;hwbreak+")
        yield client, server.machine.elf.symbols


def pc_of(client: RspClient) -> int:
    return int(client.request(f"p{e500mc.PC_REGNUM:x}"), 16)


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
