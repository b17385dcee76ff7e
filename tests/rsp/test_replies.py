"""Reply builders."""

import pytest

from gdbstub.rsp import replies as r
from gdbstub.rsp.packets import ThreadId


def test_simple_replies():
    assert r.OK == b"OK"
    assert r.empty() == b""
    assert r.error_message("no such thread") == b"E.no such thread"
    assert r.exited(0) == b"W00"
    assert r.exited(0x2A) == b"W2a"


@pytest.mark.parametrize("build", [r.exited, lambda value: r.stop_reply(value)])
@pytest.mark.parametrize("value", [-1, 256])
def test_one_byte_values_are_checked(build, value):
    with pytest.raises(ValueError):
        build(value)


def test_hex():
    assert r.hex_encode(b"\x00\xab\xff") == b"00abff"


def test_stop_replies():
    assert r.stop_reply(5) == b"T05"
    assert r.stop_reply(5, thread=ThreadId(None, 1)) == b"T05thread:1;"
    assert r.stop_reply(5, thread=ThreadId(1, 2), reason=r.StopReason("swbreak")) == b"T05thread:p1.2;swbreak:;"
    assert r.stop_reply(5, reason=r.StopReason("hwbreak", 0x100)) == b"T05hwbreak:;"
    assert r.stop_reply(5, reason=r.StopReason("watch", 0x2000)) == b"T05watch:2000;"
    assert r.stop_reply(5, reason=r.StopReason("rwatch", 0x10)) == b"T05rwatch:10;"
    assert r.stop_reply(5, reason=r.StopReason("awatch", 0)) == b"T05awatch:0;"


@pytest.mark.parametrize("kind, addr", [("watch", None), ("rwatch", None), ("bogus", 1), ("", None)])
def test_bad_stop_reasons(kind, addr):
    with pytest.raises(ValueError):
        r.StopReason(kind, addr)


def test_thread_replies():
    assert r.current_thread(ThreadId(None, 1)) == b"QC1"
    assert r.thread_list([ThreadId(None, 1), ThreadId(None, 0x1F)]) == b"m1,1f"
    assert r.thread_list([]) == b"l"


def test_xfer_chunks_reassemble():
    document = bytes(range(256)) * 3
    chunks, offset = [], 0
    while True:
        reply = r.xfer_chunk(document, offset, 100)
        chunks.append(reply[1:])
        offset += len(reply) - 1
        if reply[:1] == b"l":
            break
        assert reply[:1] == b"m" and len(reply) == 101
    assert b"".join(chunks) == document
    assert r.xfer_chunk(b"abc", 0, 3) == b"labc"
    assert r.xfer_chunk(b"abc", 0, 2) == b"mab"
    assert r.xfer_chunk(b"abc", 3, 10) == b"l"
    assert r.xfer_chunk(b"abc", 99, 10) == b"l"
