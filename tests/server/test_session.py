"""The server and session over real TCP connections, with the RSP client."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from gdbstub import runcontrol
from gdbstub import e500mc
from gdbstub.machine import THREAD, Machine
from gdbstub.rsp.client import RspClient, RspError
from gdbstub.rsp.framing import encode_packet
from gdbstub.session import MAX_MEMORY_READ
from gdbstub.testing import ServerThread

GUEST_ENTRY = 0x100000


@pytest.fixture
def spin_client(serve, spin_elf):
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        yield client


def pc_of(client: RspClient) -> int:
    return int(client.request(f"p{e500mc.PC_REGNUM:x}"), 16)


def test_qsupported_advertises_packet_size_and_echoes_stop_reasons(spin_client):
    reply = spin_client.request("qSupported:multiprocess+;swbreak+;xmlRegisters=i386").decode()
    features = reply.split(";")
    assert "PacketSize=4000" in features
    assert "qXfer:features:read+" in features
    assert "swbreak+" in features and "hwbreak+" not in features


def test_halt_reason_and_thread_queries(spin_client):
    assert spin_client.request("?") == b"T05thread:1;"
    assert spin_client.request("qC") == b"QC1"
    assert spin_client.request("qfThreadInfo") == b"m1"
    assert spin_client.request("qsThreadInfo") == b"l"
    assert spin_client.request("Hg0") == b"OK"
    assert spin_client.request("T2").startswith(b"E")


def test_unknown_packet_gets_empty_reply_and_malformed_gets_error(spin_client):
    assert spin_client.request("qNoSuchThing") == b""
    assert spin_client.request("vMustReplyEmpty") == b""
    assert spin_client.request("mzz,4").startswith(b"E")
    assert spin_client.request("qXfer:features:read:target.xml").startswith(b"E")
    assert pc_of(spin_client) == GUEST_ENTRY  # still usable


def test_an_internal_error_is_an_e_reply_with_a_logged_traceback_and_the_session_goes_on(
        spin_elf, monkeypatch, caplog):
    machine = Machine(spin_elf)

    def broken(thread, regno):
        raise RuntimeError("a bug")
    monkeypatch.setattr(machine, "read_register", broken)
    with ServerThread(machine) as server, RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("p40") == b"E05"
        assert client.request("qC") == b"QC1"
        client.request("qSupported:error-message+")
        assert client.request("p40") == b"E.internal error answering ReadRegister"
    assert "RuntimeError: a bug" in caplog.text


def test_registers_read_back(spin_client):
    block = bytes.fromhex(spin_client.request("g").decode())
    assert len(block) == sum(reg.size for reg in e500mc.REGISTERS)
    assert spin_client.request("P3=0badcafe") == b"OK"
    assert spin_client.request("p3") == b"0badcafe"
    assert spin_client.request(f"p{e500mc.BY_NAME['pvr']:x}") == b"80230020"
    assert spin_client.request("p4000").startswith(b"E")


def test_g_block_written_back_changes_only_what_differs(spin_client):
    """Regression (found by the fuzzer): G with g's own block wrote PVR and was refused half-way."""
    block = spin_client.request("g")
    assert spin_client.request(b"G" + block) == b"OK"
    assert spin_client.request("g") == block
    pvr = e500mc.BY_NAME["pvr"]
    offset = 2 * sum(reg.size for reg in e500mc.REGISTERS[:pvr])
    changed = block[:8] + b"12345678" + block[16:offset] + b"00000001" + block[offset + 8:]
    assert spin_client.request(b"G" + changed).startswith(b"E")    # r1 and PVR changed …
    assert spin_client.request("g") == block                        # … and nothing was written
    assert spin_client.request(b"G" + changed[:offset]) == b"OK"    # a short block stops before PVR
    assert spin_client.request("p1") == b"12345678"


def test_memory_write_read_and_length_cap(spin_client):
    assert spin_client.request("M2000,4:deadbeef") == b"OK"
    assert spin_client.request("m2000,4") == b"deadbeef"
    assert spin_client.request(b"X2004,2:#*") == b"OK"  # the client escapes '#' and '*'
    assert spin_client.request("m2004,2") == b"232a"
    assert len(spin_client.request("m0,100000")) == 2 * MAX_MEMORY_READ
    assert spin_client.request("mf0000000,4").startswith(b"E")


def test_a_raw_star_in_binary_data_is_written_as_is(spin_client):
    """Found in review: the stub expanded it as a run, writing 414141 for 41 2a 1f."""
    payload = b"X2008,3:A*\x1f"
    spin_client.sock.sendall(b"$%s#%02x" % (payload, sum(payload) & 0xFF))
    assert spin_client.receive() == b"OK"
    assert spin_client.request("m2008,3") == b"412a1f"
    spin_client.sock.sendall(b"$p8*}#4f")               # '}' escapes nothing: a bad frame, NAKed
    assert spin_client.sock.recv(16) == b"-"


def test_target_xml_is_served_in_chunks(spin_client):
    document = b""
    while True:
        chunk = spin_client.request(f"qXfer:features:read:target.xml:{len(document):x},200")
        document += chunk[1:]
        if chunk[:1] == b"l":
            break
        assert chunk[:1] == b"m"
    assert document.decode() == e500mc.target_xml()


def test_step_advances_pc(spin_client):
    assert spin_client.request("s").startswith(b"T05")
    assert pc_of(spin_client) == GUEST_ENTRY + 4
    assert spin_client.request("vCont;s:1").startswith(b"T05")
    assert pc_of(spin_client) == GUEST_ENTRY + 8


def test_ctrl_c_interrupts_a_running_guest(spin_client):
    spin_client.send("c")
    with pytest.raises(Exception):
        spin_client.receive(timeout=0.3)  # still running
    spin_client.interrupt()
    assert spin_client.receive(timeout=10).startswith(b"T02")
    assert int(spin_client.request("p3"), 16) > 0  # it really ran


def test_a_long_run_is_acked_at_once_in_ack_mode(serve, spin_elf):
    """gdb resends a packet it has no ``+`` for after 2 s; a resent ``c`` would run the guest
    again after the user's Ctrl-C (found in review)."""
    server = serve(spin_elf)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(encode_packet(b"c"))
        assert sock.recv(64) == b"+"                    # while the guest runs
        sock.sendall(b"\x03")
        assert sock.recv(64) == encode_packet(b"T02thread:1;")
        sock.sendall(b"+" + encode_packet(b"?"))
        assert sock.recv(64) == b"+" + encode_packet(b"T02thread:1;")


def test_resume_at_an_address_wider_than_32_bits_is_refused(spin_client):
    assert spin_client.request("s123456789").startswith(b"E")
    assert spin_client.request("c100000000").startswith(b"E")
    assert pc_of(spin_client) == GUEST_ENTRY


def test_a_running_guest_does_not_starve_other_threads_of_the_process(spin_client):
    """Regression: pausing every few milliseconds kept the GIL from the client's thread for
    seconds (CPython only forces a switch after a full switch interval without a pause)."""
    spin_client.send("c")
    started = time.monotonic()
    for _ in range(10):
        time.sleep(0.01)
    assert time.monotonic() - started < 2.0   # ~0.1 s when the GIL is handed over; was > 5 s
    spin_client.interrupt()
    assert spin_client.receive(timeout=10).startswith(b"T02")


def test_ctrl_c_in_the_same_read_as_continue(serve, spin_elf):
    server = serve(spin_elf)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(encode_packet(b"c") + b"\x03")
        reply = b""
        while b"#" not in reply:
            reply += sock.recv(4096)
        assert b"$T02" in reply


def test_software_breakpoint_stops_with_swbreak(spin_client):
    spin_client.request("qSupported:swbreak+")
    assert spin_client.request(f"Z0,{GUEST_ENTRY + 4:x},4") == b"OK"
    assert spin_client.request("m100004,4") == b"38630001"  # the original addi, not the trap
    assert spin_client.request("c") == b"T05thread:1;swbreak:;"
    assert pc_of(spin_client) == GUEST_ENTRY + 4
    assert spin_client.request(f"z0,{GUEST_ENTRY + 4:x},4") == b"OK"


def test_guest_halt_is_reported_as_exit(serve, demo_elf):
    server = serve(demo_elf)
    with RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("c") == b"W00"
    assert b"sum of squares = 140" in bytes(server.uart)


def test_second_client_is_refused_while_first_stays_intact(serve, spin_elf):
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as first:
        assert first.request("M2000,4:01020304") == b"OK"
        with RspClient.connect("127.0.0.1", server.port) as second:
            assert second.request("qSupported").startswith(b"E.another gdb session")
        assert first.request("m2000,4") == b"01020304"


def test_next_client_attaches_after_disconnect_with_no_ack_reset(serve, spin_elf):
    server = serve(spin_elf)
    with RspClient.connect("127.0.0.1", server.port) as first:
        first.start_no_ack_mode()
        assert first.request("M2000,4:0a0b0c0d") == b"OK"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(encode_packet(b"m2000,4"))
        reply = b""
        deadline = time.monotonic() + 10
        while not reply.endswith(encode_packet(b"0a0b0c0d")) and time.monotonic() < deadline:
            reply += sock.recv(4096)
        assert reply == b"+" + encode_packet(b"0a0b0c0d")  # acked: no-ack mode did not leak


def test_monitor_help_and_unknown_command(spin_client):
    help_text = bytes.fromhex(spin_client.request("qRcmd," + b"help".hex()).decode()).decode()
    assert "monitor debug" in help_text
    assert ("the stub's debug registers (info registers dbcr0, iac1, dac1... show the guest's own)"
            in " ".join(help_text.split()))
    unknown = bytes.fromhex(spin_client.request("qRcmd," + b"frobnicate".hex()).decode()).decode()
    assert "unknown monitor command" in unknown


@pytest.mark.parametrize("leave", ["D", None])
def test_the_next_client_is_not_told_a_stop_reason_of_the_last_ones_points(serve, spin_elf, leave):
    """Found in review: after a detach (the guest ran on) or a disconnect (the points are
    gone), ``?`` still answered with the old ``hwbreak``/``watch`` reason."""
    server = serve(spin_elf)
    loop = GUEST_ENTRY + 4
    with RspClient.connect("127.0.0.1", server.port) as first:
        first.request("qSupported:hwbreak+")
        assert first.request(f"Z1,{loop:x},4") == b"OK"
        assert first.request("c") == b"T05thread:1;hwbreak:;"
        if leave:
            assert first.request(leave) == b"OK"
    time.sleep(0.1)
    with RspClient.connect("127.0.0.1", server.port) as second:
        second.request("qSupported:hwbreak+")
        assert second.request("?") == b"T05thread:1;"


def test_a_reset_that_cannot_load_the_guest_changes_nothing(spin_elf, tmp_path):
    elf = tmp_path / "guest.elf"
    elf.write_bytes(spin_elf.read_bytes())
    machine = Machine(elf)
    with ServerThread(machine) as server, RspClient.connect("127.0.0.1", server.port) as client:
        assert client.request("P3=0000002a") == b"OK"
        elf.write_bytes(b"\x7fELF")                     # being rebuilt
        answer = bytes.fromhex(client.request("qRcmd," + b"reset".hex()).decode()).decode()
        assert answer.startswith("reset failed, the guest is unchanged")
        assert client.request("p3") == b"0000002a"
        assert client.request("m100000,4") == b"38600000"
        assert client.request("s") == b"T05thread:1;"
        assert machine.debug.cpu is machine.cpu


def test_a_kill_that_cannot_reload_the_guest_is_logged_and_changes_nothing(spin_elf, tmp_path, caplog):
    """Found in review: it was answered E05 as an internal error, though k gets no reply."""
    elf = tmp_path / "guest.elf"
    elf.write_bytes(spin_elf.read_bytes())
    machine = Machine(elf)
    with ServerThread(machine) as server:
        with RspClient.connect("127.0.0.1", server.port) as client:
            assert client.request("P3=0000002a") == b"OK"
            elf.unlink()
            client.send("k")
            with pytest.raises(RspError, match="closed"):   # no reply, then the session ends
                client.receive(timeout=5)
        with RspClient.connect("127.0.0.1", server.port) as client:
            assert client.request("p3") == b"0000002a"
    assert "k: the guest could not be reloaded and is unchanged" in caplog.text
    assert "internal error" not in caplog.text


def test_reset_frees_the_old_guest_at_once(spin_elf):
    """Regression (found by a long fuzz campaign): vCPU and debug controller refer to each other,
    so each ``k``/``monitor reset`` left a whole guest RAM for the cycle collector (RSS > 1.9 GB)."""
    machine = Machine(spin_elf, ram_size=4 << 20)
    old = machine.memory
    machine.resume(THREAD, step=False)
    assert machine.run(1000) is None
    machine.reset()
    assert old.ram.closed and not machine.memory.ram.closed


def test_slices_follow_the_guest_speed_to_about_a_millisecond(spin_elf, monkeypatch):
    """A slice is as many instructions as the last one ran per ``SLICE_SECONDS``, within
    ``SLICE_STEPS_RANGE``: short on a slow guest (a Ctrl-C is seen soon), long on a fast one."""
    machine = Machine(spin_elf)
    run_control = runcontrol.RunControl(machine)
    machine.resume(THREAD, step=False)
    fewest, most = runcontrol.SLICE_STEPS_RANGE
    clock = iter([0.0, 0.01, 0.0, 0.0001, 0.0, 1e-9, 0.0, 100.0])   # (start, end) of each slice
    monkeypatch.setattr(runcontrol.time, "perf_counter", lambda: next(clock))
    done = []
    for _ in range(4):
        count = machine.cpu.icount
        assert run_control._run_slice() is None
        done.append(machine.cpu.icount - count)
    monkeypatch.undo()
    assert done[0] == runcontrol.FIRST_SLICE_STEPS
    # 4,000 in 10 ms -> 400 next; 400 in 0.1 ms -> 4,000; then capped at both ends
    assert done[1:] == [400, 4000, most]
    assert run_control._slice_steps == fewest


@pytest.mark.parametrize("running", [False, True])
def test_server_stops_at_once_with_a_client_attached(serve, spin_elf, running):
    """The session thread waits in a blocking read (or runs the guest); stopping the server
    wakes it, the client sees the connection close, and the server thread ends."""
    server = serve(spin_elf)
    client = RspClient.connect("127.0.0.1", server.port, timeout=5)
    assert client.request("?") == b"T05thread:1;"
    if running:
        client.send("c")
        time.sleep(0.1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    try:   # the ack of c may come first; a reset instead of a close is an end too
        assert client.sock.recv(100) in (b"", b"+") and client.sock.recv(100) == b""
    except ConnectionResetError:
        pass
    client.close()


def test_stdio_serves_one_session_over_stdin_and_stdout(spin_elf):
    """``gdbstub serve --stdio`` (gdb: ``target remote | gdbstub serve --stdio GUEST``)."""
    child = subprocess.Popen([sys.executable, "-m", "gdbstub", "serve", "--stdio", str(spin_elf)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out = b""
        for payload, reply in [(b"?", b"T05thread:1;"), (b"m100000,4", b"%08x" % int.from_bytes(
                Machine(spin_elf).read_memory(THREAD, GUEST_ENTRY, 4), "big")), (b"D", b"OK")]:
            child.stdin.write(encode_packet(payload))
            child.stdin.flush()
            expected = b"+" + encode_packet(reply)
            while len(out) < len(expected):
                out += os.read(child.stdout.fileno(), 4096)
            assert out[:len(expected)] == expected
            out = out[len(expected):]
        child.stdin.close()
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
