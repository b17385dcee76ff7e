"""Property tests: round trips, bounded buffers, and a parser that never raises."""

from hypothesis import given, settings, strategies as st

from gdbstub.rsp import packets as pk
from gdbstub.rsp.connection import RspLink
from gdbstub.rsp.framing import (
    Ack, Frame, FrameDecoder, HexPayload, Interrupt, Nak, checksum, encode_packet, escape, rle_decode, rle_encode,
    unescape,
)
from gdbstub.rsp.packets import parse_packet

modest = settings(max_examples=200, deadline=None)

# Payloads rich in runs and in characters that need escaping.
runs = st.lists(st.tuples(st.sampled_from(b"0aZ#$}*+-\x03\x00\xff"), st.integers(1, 120)), max_size=8)
payloads = st.one_of(st.binary(max_size=600), runs.map(lambda rs: b"".join(bytes([b]) * n for b, n in rs)))


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0] + points, points + [len(data)])]


@modest
@given(st.one_of(st.binary(max_size=2000), st.integers(0, 20000).map(lambda n: b"\xff" * n)))
def test_checksum_is_the_byte_sum_at_every_length(data):
    """The chunked Adler-32 sum agrees with ``sum()`` across chunk boundaries and for all-0xff data."""
    assert checksum(data) == sum(data) % 256


@modest
@given(st.one_of(st.binary(max_size=8200).map(bytes.hex),
                 st.tuples(st.sampled_from("0f"), st.integers(0, 16376)).map(lambda t: t[0] * t[1])))
def test_hex_payloads_are_framed_as_any_payload(digits):
    """The hex-only checksum (1 KiB chunks recovered from Adler-32's modulus) agrees with
    ``sum()``, down to all-``0`` and all-``f`` payloads, the ends of its range."""
    payload = digits.encode()
    assert encode_packet(HexPayload(payload)) == encode_packet(payload)
    assert encode_packet(HexPayload(payload)) == b"$%s#%02x" % (payload, sum(payload) % 256)


@modest
@given(payloads, st.booleans())
def test_encode_decode_roundtrip(payload, rle):
    assert FrameDecoder(max_packet=4096).feed(encode_packet(payload, rle=rle)) == [Frame(payload)]


@modest
@given(payloads)
def test_escape_and_rle_roundtrips(payload):
    assert unescape(escape(payload)) == payload
    no_marker = payload.replace(b"*", b"")
    assert rle_decode(rle_encode(no_marker)) == no_marker
    assert len(rle_encode(no_marker)) <= len(no_marker)


OOB_EVENTS = {ord("+"): Ack(), ord("-"): Nak(), 3: Interrupt()}
oob = st.sampled_from([b"+", b"-", b"\x03", b"junk", b"\r\n"])


@modest
@given(st.lists(st.one_of(payloads.map(lambda p: ("frame", p)), oob.map(lambda b: ("oob", b))), max_size=10),
       st.booleans(), st.lists(st.integers(0, 10_000), max_size=6))
def test_decoder_finds_every_frame_across_any_split(items, rle, cuts):
    stream = b"".join(encode_packet(v, rle=rle) if k == "frame" else v for k, v in items)
    expected, after_ctrl_c = [], False   # adjacent 0x03 bytes are one interrupt
    for kind, value in items:
        if kind == "frame":
            expected.append(Frame(value))
            after_ctrl_c = False
            continue
        for b in value:
            if b in OOB_EVENTS and not (b == 3 and after_ctrl_c):
                expected.append(OOB_EVENTS[b])
            after_ctrl_c = b == 3
    decoder = FrameDecoder(max_packet=4096)
    assert [e for chunk in split(stream, cuts) for e in decoder.feed(chunk)] == expected


noise = st.lists(st.one_of(st.binary(max_size=80), st.sampled_from([b"$", b"#", b"}", b"*", b"+", b"-", b"\x03"])),
                 max_size=40).map(b"".join)


@modest
@given(noise, st.lists(st.integers(0, 10_000), max_size=6))
def test_decoder_survives_any_input_with_a_bounded_buffer(stream, cuts):
    decoder = FrameDecoder(max_packet=16)
    for chunk in split(stream, cuts):
        decoder.feed(chunk)
        assert decoder.buffered <= 16 + 2


@modest
@given(noise, st.lists(st.integers(0, 10_000), max_size=6))
def test_link_survives_any_input_with_bounded_state_and_output(stream, cuts):
    link = RspLink(max_packet=16, max_resends=4)
    link.send(b"S05")
    frame = link.data_to_send()
    out = 0
    for chunk in split(stream, cuts):
        for event in link.receive(chunk):
            if isinstance(event, Frame):
                assert len(event.payload) <= 16 * 97
        assert link.buffered <= 18
        out += len(link.data_to_send())
    assert out <= len(stream) + 4 * len(frame)


@modest
@given(st.binary(max_size=200))
def test_parse_packet_never_raises(payload):
    packet = parse_packet(payload)
    if isinstance(packet, (pk.Unknown, pk.Malformed)):
        assert packet.payload == payload


prefixes = st.sampled_from([b"qSupported:", b"qXfer:", b"qXfer:features:read:", b"qRcmd,", b"qAttached:",
                            b"vCont;", b"vCont?", b"H", b"T", b"Z", b"z", b"m", b"M", b"X", b"p", b"P",
                            b"G", b"c", b"C", b"s", b"S", b"D", b"D;"])
tails = st.lists(st.sampled_from([b"0", b"1", b"f", b"-1", b"p", b".", b",", b":", b";", b"=", b"zz",
                                  b"ffffffffffffffffff", b"\xff", b"c", b"r", b"S"]), max_size=12).map(b"".join)


@modest
@given(prefixes, tails)
def test_parse_packet_never_raises_on_near_valid_input(prefix, tail):
    parse_packet(prefix + tail)


u64 = st.integers(0, 2**64 - 1)


@modest
@given(u64, u64, st.binary(max_size=64))
def test_memory_packets_roundtrip(addr, length, data):
    assert parse_packet(b"m%x,%x" % (addr, length)) == pk.ReadMemory(addr, length)
    assert parse_packet(b"M%x,%x:%s" % (addr, len(data), data.hex().encode())) == pk.WriteMemory(addr, data)
    assert parse_packet(b"X%x,%x:" % (addr, len(data)) + data) == pk.WriteMemoryBinary(addr, data)
    assert isinstance(parse_packet(b"m%x,%x" % (addr + 2**64, length)), pk.Malformed)
