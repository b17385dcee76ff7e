"""Reverse execution on the wire: ``bs``/``bc`` parsed, offered in ``qSupported`` only by a
target with history, the ``replaylog:begin`` stop reply, and a Ctrl-C that ends a long ``bc``."""
from __future__ import annotations

import time

from gdbstub.machine import Machine
from gdbstub.rsp import packets as pk
from gdbstub.rsp import replies
from gdbstub.rsp.client import RspClient
from gdbstub.testing import ServerThread

AT_THE_START = b"T05thread:p01.01;replaylog:begin;"


def test_bs_and_bc_are_parsed_and_other_b_packets_are_unknown():
    assert pk.parse_packet(b"bs") == pk.ReverseStep()
    assert pk.parse_packet(b"bc") == pk.ReverseContinue()
    assert isinstance(pk.parse_packet(b"b9600"), pk.Unknown)
    assert isinstance(pk.parse_packet(b"bsx"), pk.Unknown)


def test_the_stop_reply_at_the_start_of_history():
    assert replies.stop_reply(5, reason=replies.ReplayLogEdge("begin")) == b"T05replaylog:begin;"


def _client(server: ServerThread) -> RspClient:
    client = RspClient.connect("127.0.0.1", server.port)
    client.request(b"qSupported:swbreak+;hwbreak+")
    return client


def _thread_id(client: RspClient) -> bytes:
    return client.request(b"qC")[2:]


def test_a_target_with_history_offers_reverse_and_goes_back(serve, demo_elf):
    server = serve(demo_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        features = client.request(b"qSupported:swbreak+;hwbreak+").split(b";")
        assert b"ReverseStep+" in features and b"ReverseContinue+" in features
        start = AT_THE_START.replace(b"p01.01", _thread_id(client))
        assert client.request(b"bs") == start
        pc = client.request(b"p40")
        square = server.machine.elf.symbols["square"]
        assert client.request(b"Z0,%x,4" % square) == b"OK"
        assert b"swbreak" in client.request(b"c")
        assert client.request(b"p40") == b"%08x" % square
        assert client.request(b"bs").startswith(b"T05thread:")
        assert client.request(b"p40") != b"%08x" % square
        assert client.request(b"bc") == start
        assert client.request(b"p40") == pc
        assert b"swbreak" in client.request(b"c")          # forward again, to the same hit
        assert client.request(b"p40") == b"%08x" % square


def test_without_history_reverse_is_neither_offered_nor_answered(demo_elf):
    with ServerThread(Machine(demo_elf, history_mib=0)) as server, _client(server) as client:
        assert b"Reverse" not in client.request(b"qSupported:swbreak+;hwbreak+")
        assert client.request(b"bs") == b""
        assert client.request(b"bc") == b""
        assert bytes.fromhex(client.request(b"qRcmd," + b"history".hex().encode()).decode()) == \
            b"history is off; 'monitor history start' starts it\n"


def test_ctrl_c_ends_a_long_reverse_continue_inside_history(serve, spin_elf):
    server = serve(spin_elf)
    with _client(server) as client:
        client.send(b"c")
        time.sleep(3)                                      # a history of some 10 M instructions
        client.interrupt()
        assert client.receive().startswith(b"T02")
        end = server.machine.cpu.icount
        assert client.request(b"Z1,4000,4") == b"OK"     # never reached: bc would walk all of history
        client.send(b"bc")
        time.sleep(0.2)
        client.interrupt()
        assert client.receive().startswith(b"T02")
        assert 0 < server.machine.cpu.icount < end
        answer = bytes.fromhex(client.request(b"qRcmd," + b"history".hex().encode()).decode())
        assert b"replaying" in answer, answer
        assert client.request(b"z1,4000,4") == b"OK"
        client.send(b"c")                                  # replays to the end, then runs on live
        deadline = time.monotonic() + 120                  # a loaded machine replays slowly
        while server.machine.cpu.icount <= end and time.monotonic() < deadline:
            time.sleep(0.1)
        client.interrupt()
        assert client.receive().startswith(b"T02")
        assert server.machine.cpu.icount > end
