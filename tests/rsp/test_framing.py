"""Framing: checksums, escapes, run-length encoding and the incremental frame decoder."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdbstub.rsp.framing import (
    Ack, BadFrame, DecodeError, Frame, FrameDecoder, Interrupt, Nak, checksum, decode_payload,
    encode_packet, escape, rle_decode, rle_encode, unescape,
)


def test_checksum_is_byte_sum_mod_256():
    assert checksum(b"") == 0
    assert checksum(b"OK") == 0x9A
    assert checksum(b"\xff\x02") == 0x01


def test_encode_known_packets():
    assert encode_packet(b"OK") == b"$OK#9a"
    assert encode_packet(b"") == b"$#00"


@pytest.mark.parametrize("raw, escaped", [
    (b"#", b"}\x03"), (b"$", b"}\x04"), (b"}", b"}]"), (b"*", b"}\x0a"), (b"a+b-\x03", b"a+b-\x03"),
])
def test_escape_and_unescape(raw, escaped):
    assert escape(raw) == escaped
    assert unescape(escaped) == raw


def test_checksum_covers_escaped_bytes():
    frame = encode_packet(b"a#")
    assert frame == b"$a}\x03#%02x" % checksum(b"a}\x03")
    assert FrameDecoder().feed(frame) == [Frame(b"a#")]


def test_a_stubs_decoder_keeps_a_star_as_data_and_a_clients_expands_runs():
    wire = b"X0,3:A*\x1f"                  # a raw '*': escaping it is gdb's habit, not the protocol's rule
    frame = b"$%s#%02x" % (wire, checksum(wire))
    assert FrameDecoder(runs=False).feed(frame) == [Frame(wire)]
    assert FrameDecoder().feed(frame) == [Frame(b"X0,3:" + b"A" * 3)]   # a reply's run: 2 more copies


def test_dangling_escape_is_an_error():
    with pytest.raises(DecodeError):
        unescape(b"ab}")


def test_rle_decode_from_gdb_manual():
    # "0* " is a run of four zeros: ' ' is 32, 32 - 29 = 3 more copies.
    assert rle_decode(b"0* ") == b"0000"
    assert rle_decode(b"x*\"y") == b"xxxxxxy"


@pytest.mark.parametrize("bad", [b"*!", b"a*", b"a*\x10"])
def test_rle_decode_errors(bad):
    with pytest.raises(DecodeError):
        rle_decode(bad)


def test_run_after_escape_repeats_the_decoded_byte():
    assert decode_payload(b"}]*\"") == b"}" * 6


def run_counts(encoded: bytes) -> list[int]:
    """The count characters of the ``*c`` runs in ``encoded``."""
    counts, i = [], 0
    while i < len(encoded):
        if encoded[i] == ord("*"):
            counts.append(encoded[i + 1])
            i += 1
        i += 1
    return counts


def test_rle_encode_pays_off_and_avoids_forbidden_count_chars():
    assert rle_encode(b"abc") == b"abc"
    assert rle_encode(b"aaa") == b"aaa"  # a run of 2 more copies would need an unprintable count
    assert rle_encode(b"aaaa") == b"a* "
    for n in range(1, 400):
        encoded = rle_encode(b"z" * n)
        assert rle_decode(encoded) == b"z" * n
        assert len(encoded) <= n
        assert not set(run_counts(encoded)) & set(b"#$+-*}")
    assert len(rle_encode(b"z" * 399)) < 20


def test_rle_encode_leaves_escapable_runs_alone():
    assert rle_encode(b"####") == b"####"
    assert encode_packet(b"}}}}", rle=True) == b"$}]}]}]}]#%02x" % checksum(b"}]" * 4)


def test_rle_packet_roundtrip_and_size():
    frame = encode_packet(b"0" * 1000, rle=True)
    assert len(frame) < 60
    assert FrameDecoder().feed(frame) == [Frame(b"0" * 1000)]


def test_acks_interrupts_and_junk_outside_frames():
    assert FrameDecoder().feed(b"+junk-\x03\n+") == [Ack(), Nak(), Interrupt(), Ack()]


def test_control_bytes_inside_a_frame_are_data():
    frame = b"$+-\x03#%02x" % checksum(b"+-\x03")
    assert FrameDecoder().feed(frame) == [Frame(b"+-\x03")]


def test_bytes_after_a_packet_in_the_same_read_are_kept():
    d = FrameDecoder()
    assert d.feed(b"$g#67$m0,4#") == [Frame(b"g")]
    assert d.feed(b"fd+") == [Frame(b"m0,4"), Ack()]


@pytest.mark.parametrize("stream", [encode_packet(b"qSupported:swbreak+") + b"\x03" + encode_packet(b"c")])
def test_any_split_gives_the_same_events(stream):
    expected = [Frame(b"qSupported:swbreak+"), Interrupt(), Frame(b"c")]
    for cut in range(len(stream) + 1):
        d = FrameDecoder()
        assert d.feed(stream[:cut]) + d.feed(stream[cut:]) == expected
    d = FrameDecoder()
    assert [e for b in stream for e in d.feed(bytes([b]))] == expected


_PIECES = [b"$", b"#", b"+", b"-", b"\x03", b"}", b"*", b"a", b"0", b"7", b"67",
           encode_packet(b"g"), encode_packet(b"m0,4"), encode_packet(b"abcdef")]


def _assert_decodes_as_byte_by_byte(stream: bytes, max_packet: int) -> None:
    whole, bytewise = FrameDecoder(max_packet), FrameDecoder(max_packet)
    assert whole.feed(stream) == [e for b in stream for e in bytewise.feed(bytes([b]))]
    assert whole.buffered == bytewise.buffered


@settings(max_examples=400)
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=20), max_packet=st.sampled_from([4, 4096]))
def test_whole_reads_decode_as_byte_by_byte_reads(pieces, max_packet):
    """A read holding whole frames takes a shortcut; one byte at a time never can."""
    _assert_decodes_as_byte_by_byte(b"".join(pieces), max_packet)


_TRICKY = b"a0F$#+}*\x03"


@settings(max_examples=400)
@given(ack=st.booleans(), payload=st.lists(st.sampled_from(_TRICKY), max_size=6).map(bytes),
       digits=st.lists(st.sampled_from(_TRICKY), min_size=2, max_size=2).map(bytes),
       max_packet=st.sampled_from([2, 4096]))
def test_a_read_shaped_like_an_ack_and_a_frame_decodes_as_byte_by_byte(ack, payload, digits, max_packet):
    """The usual read (gdb's ack and one short frame) has a shortcut of its own."""
    _assert_decodes_as_byte_by_byte(b"+" * ack + b"$" + payload + b"#" + digits, max_packet)


def test_any_bytes_like_input_decodes():
    for kind in (bytes, bytearray, memoryview):
        assert FrameDecoder().feed(kind(b"+$g#67")) == [Ack(), Frame(b"g")]


def test_bad_checksum_and_bad_digits():
    d = FrameDecoder()
    (bad,) = d.feed(b"$OK#00")
    assert isinstance(bad, BadFrame) and "checksum" in bad.reason
    (bad,) = d.feed(b"$OK#zz")
    assert isinstance(bad, BadFrame)
    assert d.feed(b"$OK#9A") == [Frame(b"OK")]  # upper-case digits are fine


def test_bad_encoding_with_good_checksum_is_a_bad_frame():
    wire = b"*x"
    (bad,) = FrameDecoder().feed(b"$%s#%02x" % (wire, checksum(wire)))
    assert isinstance(bad, BadFrame)


def test_dollar_inside_a_frame_restarts_it():
    assert FrameDecoder().feed(b"$abc$OK#9a") == [Frame(b"OK")]
    assert FrameDecoder().feed(b"$abc#9$OK#9a") == [Frame(b"OK")]
    d = FrameDecoder()
    assert d.feed(b"+$abc#$O") == [Ack()]     # even where a read looks like one whole frame
    assert d.feed(b"K#9a") == [Frame(b"OK")]


def test_overlong_frame_is_reported_once_and_not_stored():
    d = FrameDecoder(max_packet=16)
    assert d.feed(b"$" + b"a" * 16 + b"#") == []
    d.feed(b"00")
    events = d.feed(b"$" + b"a" * 10)
    events += d.feed(b"a" * 10_000)
    assert d.buffered == 0
    events += d.feed(b"a" * 10_000 + b"#00" + encode_packet(b"g"))
    assert len(events) == 2 and isinstance(events[0], BadFrame) and "longer" in events[0].reason
    assert events[1] == Frame(b"g")


def test_frame_at_exactly_the_limit_is_accepted():
    d = FrameDecoder(max_packet=4)
    assert d.feed(encode_packet(b"abcd")) == [Frame(b"abcd")]
    assert isinstance(d.feed(encode_packet(b"abcde"))[0], BadFrame)


def test_a_run_of_ctrl_c_bytes_is_one_interrupt_however_it_is_read():
    """Issue 19 item 10: a MiB of 0x03 was a million events (and with -v a million log lines)."""
    flood = b"\x03" * (1 << 20)
    assert FrameDecoder().feed(flood) == [Interrupt()]
    d = FrameDecoder()
    assert d.feed(flood[:1000]) + d.feed(flood[1000:]) == [Interrupt()]
    assert FrameDecoder().feed(b"\x03\x03+\x03x\x03$g#67\x03") == [Interrupt(), Ack(), Interrupt(), Interrupt(),
                                                                  Frame(b"g"), Interrupt()]
