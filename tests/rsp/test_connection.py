"""RspLink: acks, NAK and resend, no-ack mode, interrupts and packet logging."""

import logging

from gdbstub.rsp.connection import RspLink
from gdbstub.rsp.framing import Frame, Interrupt, encode_packet


def test_good_frame_is_acked_and_delivered():
    link = RspLink()
    assert link.receive(encode_packet(b"g")) == [Frame(b"g")]
    assert link.data_to_send() == b"+"
    assert link.data_to_send() == b""


def test_bad_checksum_is_naked_and_not_delivered(caplog):
    link = RspLink()
    with caplog.at_level(logging.WARNING, logger="gdbstub.rsp"):
        assert link.receive(b"$g#00") == []
    assert link.data_to_send() == b"-"
    assert "checksum" in caplog.text


def test_nak_resends_the_last_packet_until_acked():
    link = RspLink()
    link.send(b"OK")
    assert link.data_to_send() == b"$OK#9a"
    link.receive(b"-")
    assert link.data_to_send() == b"$OK#9a"
    link.receive(b"+-")
    assert link.data_to_send() == b""  # acked: nothing left to resend


def test_nak_storm_is_bounded(caplog):
    link = RspLink(max_resends=3)
    link.send(b"S05")
    link.data_to_send()
    with caplog.at_level(logging.ERROR, logger="gdbstub.rsp"):
        link.receive(b"-" * 100_000)
    assert link.data_to_send() == encode_packet(b"S05") * 3
    assert "giving up" in caplog.text
    link.send(b"OK")  # a new packet gets a fresh resend budget
    link.receive(b"-")
    assert link.data_to_send() == b"$OK#9a" * 2


def test_interrupt_between_and_after_packets():
    link = RspLink()
    events = link.receive(b"\x03" + encode_packet(b"c") + b"\x03")
    assert events == [Interrupt(), Frame(b"c"), Interrupt()]
    assert link.data_to_send() == b"+"


def test_coalesced_and_split_packets():
    link = RspLink()
    stream = encode_packet(b"m0,4") + encode_packet(b"g")
    assert link.receive(stream[:3]) == []
    assert link.receive(stream[3:]) == [Frame(b"m0,4"), Frame(b"g")]
    assert link.data_to_send() == b"++"


def negotiate_no_ack(link: RspLink) -> None:
    assert link.receive(encode_packet(b"QStartNoAckMode")) == [Frame(b"QStartNoAckMode")]
    link.send(b"OK")
    link.start_no_ack_after_reply()
    assert link.data_to_send() == b"+$OK#9a"


def test_no_ack_starts_only_after_the_ok_is_acked():
    link = RspLink()
    negotiate_no_ack(link)
    assert not link.no_ack
    link.receive(encode_packet(b"g"))  # still in ack mode: the OK was not acked yet
    assert link.data_to_send() == b"+"
    link.receive(b"-")  # the client missed the OK
    assert link.data_to_send() == b"$OK#9a"
    link.receive(b"+")
    assert link.no_ack


def test_no_ack_mode_sends_no_acks_and_ignores_client_acks(caplog):
    link = RspLink()
    negotiate_no_ack(link)
    link.receive(b"+")
    assert link.receive(encode_packet(b"g")) == [Frame(b"g")]
    link.send(b"00")
    assert link.data_to_send() == b"$00#60"
    link.receive(b"---+")
    with caplog.at_level(logging.WARNING, logger="gdbstub.rsp"):
        assert link.receive(b"$g#00") == []
    assert link.data_to_send() == b""
    assert "checksum" in caplog.text


def test_a_new_link_starts_in_ack_mode():
    old = RspLink()
    negotiate_no_ack(old)
    old.receive(b"+")
    assert old.no_ack
    new = RspLink()
    assert not new.no_ack
    new.receive(encode_packet(b"?"))
    assert new.data_to_send() == b"+"


def test_overlong_frame_is_naked_and_input_stays_bounded():
    link = RspLink(max_packet=32)
    link.receive(b"$" + b"x" * 100_000)
    assert link.buffered <= 32
    assert link.receive(b"#00" + encode_packet(b"g")) == [Frame(b"g")]
    assert link.data_to_send() == b"-+"


def test_log_packets(caplog):
    link = RspLink(log_packets=True)
    with caplog.at_level(logging.INFO, logger="gdbstub.rsp"):
        link.receive(encode_packet(b"m0,4"))
        link.send(b"E\x01")
    assert "<- $m0,4" in caplog.text
    assert "-> $E\\x01" in caplog.text


def test_rle_replies():
    link = RspLink(rle=True)
    link.send(b"0" * 64)
    assert len(link.data_to_send()) < 20
