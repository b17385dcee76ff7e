"""RspLink in both roles: acks, NAK and resend, no-ack mode, interrupts and packet logging."""

import logging

import pytest

from gdbstub.rsp.connection import LinkError, Role, RspLink
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


# --- the client's end ---------------------------------------------------------------------------


def client_link(**options) -> RspLink:
    return RspLink(role=Role.CLIENT, **options)


def test_client_acks_each_good_reply_and_naks_a_bad_one():
    link = client_link()
    assert link.receive(b"+" + encode_packet(b"OK") + encode_packet(b"T05thread:1;")) == [
        Frame(b"OK"), Frame(b"T05thread:1;")]
    assert link.data_to_send() == b"++"
    assert link.receive(b"$OK#00") == []
    assert link.data_to_send() == b"-"


def test_only_the_clients_decoder_expands_runs():
    """Replies may be run-length encoded; packets to a stub may carry ``*`` as data."""
    frame = encode_packet(b"0" * 64, rle=True)
    assert client_link().receive(frame) == [Frame(b"0" * 64)]
    assert RspLink().receive(frame) == [Frame(frame[1:-3])]


def test_client_resends_its_packet_on_each_nak_until_acked():
    link = client_link()
    link.send(b"m0,4")
    sent = link.data_to_send()
    assert sent == encode_packet(b"m0,4")
    link.receive(b"-")
    assert link.data_to_send() == sent
    link.receive(b"--")
    assert link.data_to_send() == sent * 2
    link.receive(b"+-")
    assert link.data_to_send() == b""   # acked: a later '-' is not for it


def test_client_gives_up_after_max_resends():
    link = client_link(max_resends=2)
    link.send(b"g")
    link.data_to_send()
    link.receive(b"--")
    assert link.data_to_send() == encode_packet(b"g") * 2
    with pytest.raises(LinkError, match=r"giving up after 2 resends of b'\$g#67'"):
        link.receive(b"-")
    assert link.data_to_send() == b""
    link.receive(b"-")   # the packet was given up: nothing outstanding any more
    link.send(b"?")      # a new packet gets a fresh budget
    link.receive(b"--")
    assert link.data_to_send() == encode_packet(b"?") * 3


def test_a_client_that_may_not_resend_ignores_naks():
    link = client_link(resend=False, max_resends=0)
    link.send(b"g")
    link.data_to_send()
    link.receive(b"-" * 10)
    assert link.data_to_send() == b""


def test_client_no_ack_mode_starts_on_the_ok_it_acked():
    link = client_link()
    link.send(b"QStartNoAckMode")
    assert link.data_to_send() == encode_packet(b"QStartNoAckMode")
    assert link.receive(encode_packet(b"OK")) == [Frame(b"OK")]   # no '+' came for our packet
    link.start_no_ack_after_reply()
    assert link.no_ack
    assert link.data_to_send() == b"+"   # the ack of the OK, and nothing more
    link.receive(b"-")                    # acks are not expected any more: no resend
    link.send(b"g")
    link.receive(b"-")
    assert link.receive(encode_packet(b"00")) == [Frame(b"00")]
    assert link.data_to_send() == encode_packet(b"g")   # no ack sent, nothing resent


def test_client_in_no_ack_mode_raises_on_a_bad_frame():
    """Nothing will resend it: the stub broke the protocol, and the client's caller must hear it."""
    link = client_link()
    link.receive(encode_packet(b"OK"))
    link.start_no_ack_after_reply()
    with pytest.raises(LinkError, match="bad frame in no-ack mode: checksum mismatch"):
        link.receive(b"$OK#00")


def test_client_sends_ctrl_c_in_order_with_its_packets():
    link = client_link()
    link.send(b"c")
    link.send_interrupt()
    assert link.data_to_send() == encode_packet(b"c") + b"\x03"
