"""parse_packet: every packet type, Unknown names and Malformed arguments."""

import pytest

from gdbstub.rsp import packets as pk
from gdbstub.rsp.packets import ThreadId, VContAction, parse_packet

A = VContAction

VALID = [
    (b"qSupported", pk.QSupported({})),
    (b"qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386;fork-events-;x?",
     pk.QSupported({"multiprocess": True, "swbreak": True, "hwbreak": True,
                    "xmlRegisters": "i386", "fork-events": False, "x": "?"})),
    (b"?", pk.QueryHaltReason()),
    (b"g", pk.ReadRegisters()),
    (b"G", pk.WriteRegisters(b"")),
    (b"G00ff10", pk.WriteRegisters(b"\x00\xff\x10")),
    (b"p1f", pk.ReadRegister(31)),
    (b"P40=DEADbeef", pk.WriteRegister(0x40, b"\xde\xad\xbe\xef")),
    (b"m1000,4", pk.ReadMemory(0x1000, 4)),
    (b"mffffffffffffffff,1", pk.ReadMemory(2**64 - 1, 1)),
    (b"M2000,2:abcd", pk.WriteMemory(0x2000, b"\xab\xcd")),
    (b"M2000,0:", pk.WriteMemory(0x2000, b"")),
    (b"X2000,0:", pk.WriteMemoryBinary(0x2000, b"")),
    (b"X2000,3:#:\x00", pk.WriteMemoryBinary(0x2000, b"#:\x00")),
    (b"c", pk.Continue(None)),
    (b"c100", pk.Continue(0x100)),
    (b"C05", pk.ContinueSignal(5, None)),
    (b"C0b;2000", pk.ContinueSignal(11, 0x2000)),
    (b"s", pk.Step(None)),
    (b"s10", pk.Step(0x10)),
    (b"S02", pk.StepSignal(2, None)),
    (b"S02;4", pk.StepSignal(2, 4)),
    (b"vCont?", pk.VContQuery()),
    (b"vCont;c", pk.VCont((A("c"),))),
    (b"vCont;s:1;c", pk.VCont((A("s", thread=ThreadId(None, 1)), A("c")))),
    (b"vCont;C05:p1.-1;S0b:-1;t:0",
     pk.VCont((A("C", 5, ThreadId(1, -1)), A("S", 11, ThreadId(None, -1)), A("t", thread=ThreadId(None, 0))))),
    (b"vCont;r1000,2000:p2.3", pk.VCont((A("r", thread=ThreadId(2, 3), range=(0x1000, 0x2000)),))),
    (b"Z0,1000,4", pk.InsertPoint(0, 0x1000, 4)),
    (b"Z4,ff,8;X3,aabbcc;cmds:0,X1,ff", pk.InsertPoint(4, 0xFF, 8, (b"\xaa\xbb\xcc",))),
    (b"Z0,1000,4;X2,2227;X1,27", pk.InsertPoint(0, 0x1000, 4, (b"\x22\x27", b"\x27"))),
    (b"z1,1000,4", pk.RemovePoint(1, 0x1000, 4)),
    (b"z2,1000,4;X1,00", pk.RemovePoint(2, 0x1000, 4)),
    (b"Hg0", pk.SetThread("g", ThreadId(None, 0))),
    (b"Hc-1", pk.SetThread("c", ThreadId(None, -1))),
    (b"Hgp1.2", pk.SetThread("g", ThreadId(1, 2))),
    (b"Hgp1", pk.SetThread("g", ThreadId(1, -1))),
    (b"Hgp-1.-1", pk.SetThread("g", ThreadId(-1, -1))),
    (b"T1a", pk.ThreadAlive(ThreadId(None, 0x1A))),
    (b"qC", pk.CurrentThread()),
    (b"qfThreadInfo", pk.ThreadInfoFirst()),
    (b"qsThreadInfo", pk.ThreadInfoNext()),
    (b"qAttached", pk.Attached(None)),
    (b"qAttached:2a", pk.Attached(0x2A)),
    (b"qXfer:features:read:target.xml:0,fff", pk.XferRead("features", "target.xml", 0, 0xFFF)),
    (b"qXfer:features:read:a:b.xml:10,20", pk.XferRead("features", "a:b.xml", 0x10, 0x20)),
    (b"qXfer:auxv:read::0,100", pk.XferRead("auxv", "", 0, 0x100)),
    (b"qRcmd,", pk.MonitorCommand("")),
    (b"qRcmd,696e666f207265677320", pk.MonitorCommand("info regs ")),
    (b"vMustReplyEmpty", pk.MustReplyEmpty()),
    (b"D", pk.Detach(None)),
    (b"D;1f", pk.Detach(0x1F)),
    (b"k", pk.Kill()),
    (b"QStartNoAckMode", pk.StartNoAckMode()),
]


@pytest.mark.parametrize("payload, expected", VALID, ids=[p.decode("latin-1") for p, _ in VALID])
def test_valid_packets(payload, expected):
    assert parse_packet(payload) == expected


UNKNOWN = [b"", b"!", b"qCRC:0,4", b"qOffsets", b"qSymbol::", b"qTStatus", b"QNonStop:1", b"vKill;1",
           b"vContX", b"vCont?x", b"qSupportedX", b"qSupportedswbreak+", b"qC1", b"qfThreadInfo1", b",4",
           b"qAttachedX", b"qXfer",
           b"qXfer:features:write:target.xml:0:aa", b"Z5,1000,4", b"z9,0,0", b"b", b"B", b"R00", b"\xff"]


@pytest.mark.parametrize("payload", UNKNOWN, ids=[p.decode("latin-1") for p in UNKNOWN])
def test_unknown_packets(payload):
    assert parse_packet(payload) == pk.Unknown(payload)


MALFORMED = [
    b"?x", b"gg", b"kk", b"G0", b"G0g", b"p", b"p-1", b"p 1", b"p0x1", b"p+1", b"P1", b"P1=0", b"P=00",
    b"m", b"m1000", b"m1000,", b"m-1,4", b"m1_000,4", b"m10000000000000000,1",
    b"m0,10000000000000000", b"m00000000000000000000000000001,1" + b"0" * 20,
    b"M1000,2", b"M1000,2:ab", b"M1000,1:abcd", b"M1000,1:zz",
    b"X1000,2:a", b"X1000:", b"X1000,1",
    b"c1,2", b"cz", b"C", b"Cxx", b"C100", b"C05;", b"C05;zz", b"S", b"s-1",
    b"vCont", b"vCont;", b"vCont;x", b"vCont;c;", b"vCont;C", b"vCont;c5", b"vCont;r1000", b"vCont;s:",
    b"vCont;c:p", b"vCont;c:-2",
    b"Z0,1000", b"Z0,1000,4,5", b"Z,1000,4", b"Zx,1,1", b"z0,zz,4", b"Z0,1000,",
    b"Z0,1000,4;Y2,2227", b"Z0,1000,4;X,27", b"Z0,1000,4;X4,2227", b"Z0,1000,4;X2,zz27", b"Z0,1000,4;X2",
    b"H", b"Hx0", b"Hg", b"Hgzz", b"Hg-2", b"Hgp.1", b"T", b"Tp1.x",
    b"qAttached:", b"qAttached:zz",
    b"qXfer:features", b"qXfer:features:read:target.xml", b"qXfer:features:read:target.xml:0",
    b"qXfer:features:read:target.xml:0,", b"qXfer:features:read:x:,4", b"qXfer:\xff:read:a:0,1",
    b"qRcmd,0", b"qRcmd,zz", b"qRcmd,ff",
    b"qSupported:swbreak", b"qSupported:\xff+",
    b"D1", b"D;", b"D;x",
]


@pytest.mark.parametrize("payload", MALFORMED, ids=[p.decode("latin-1") for p in MALFORMED])
def test_malformed_packets(payload):
    packet = parse_packet(payload)
    assert isinstance(packet, pk.Malformed), packet
    assert packet.payload == payload and packet.reason


def test_malformed_reasons_are_specific():
    assert "length" in parse_packet(b"M1000,1:abcd").reason
    assert "out of range" in parse_packet(b"m10000000000000000,1").reason
    assert "','" in parse_packet(b"m1000").reason


def test_thread_id_encode_roundtrip():
    for thread in [ThreadId(None, 1), ThreadId(None, -1), ThreadId(None, 0), ThreadId(3, 0x1F), ThreadId(-1, -1)]:
        assert parse_packet(b"T" + thread.encode()) == pk.ThreadAlive(thread)
    assert ThreadId(1, 2).encode() == b"p1.2"


def test_packets_are_frozen():
    with pytest.raises(AttributeError):
        parse_packet(b"m0,4").addr = 1


def test_named_packets_all_start_with_q_Q_or_v():
    """The parser looks for a named packet only after one of these letters."""
    assert all(name[:1] in pk._NAMED_FIRST for name, _, _ in pk._NAMED)


def test_each_letter_belongs_to_one_family():
    """The families' tables are merged into one; a letter claimed twice would silently lose one parser."""
    letters = [letter for family in pk._FAMILIES for letter in family.LETTERS]
    assert len(letters) == len(set(letters)) == len(pk._LETTERS)


def test_no_named_packet_is_shadowed_by_an_earlier_prefix():
    """Names are tried in order and the first prefix decides: ``vCont`` before ``vCont?``
    would turn every ``vCont?`` into an unknown packet."""
    names = [name for name, _, _ in pk._NAMED]
    assert not [(a, b) for i, b in enumerate(names) for a in names[:i] if b.startswith(a)]


def test_shared_packets_cannot_be_changed():
    features = parse_packet(b"qSupported:swbreak+").features
    with pytest.raises(TypeError):
        features["swbreak"] = False
    assert parse_packet(b"qSupported:swbreak+").features == {"swbreak": True}


def test_parse_cache_is_bounded_and_keeps_only_short_payloads():
    pk._parsed.clear()
    assert parse_packet(b"p40") is parse_packet(b"p40") == pk.ReadRegister(0x40)
    for n in range(3 * pk._CACHE_ENTRIES):
        assert parse_packet(b"m%x,4" % n) == pk.ReadMemory(n, 4)
    assert 0 < len(pk._parsed) <= pk._CACHE_ENTRIES
    long_write = b"M0,20:" + b"00" * 0x20
    assert parse_packet(long_write) == pk.WriteMemory(0, bytes(0x20))
    assert long_write not in pk._parsed
