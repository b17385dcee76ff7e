"""Agent expressions (gdb's condition bytecode): every opcode a C condition compiles to, the
checks that refuse what the stub cannot evaluate, and errors that count as true."""
from __future__ import annotations

import pytest

from gdbstub.agentexpr import Access, Condition, Unsupported, parse_conditions

MEMORY = {0x1000: bytes.fromhex("80 01 02 03 04 05 06 07")}
REGISTERS = {1: 0x1000, 3: 0xFFFFFFFF, 64: 0x1234}


def _memory(address: int, size: int) -> int:
    for base, data in MEMORY.items():
        if base <= address and address + size <= base + len(data):
            return int.from_bytes(data[address - base:address - base + size], "big")
    raise OSError(f"nothing at {address:#x}")


ACCESS = Access(register=REGISTERS.__getitem__, memory=_memory)


def value(hex_code: str) -> int:
    return Condition(bytes.fromhex(hex_code)).value(ACCESS)


@pytest.mark.parametrize("code, expected", [
    ("2205 2203 02 27", 8),                        # const8 5, const8 3, add
    ("2203 2205 03 27", (1 << 64) - 2),            # 3 - 5 wraps to 64 bits
    ("230006 2207 04 27", 42),                       # const16, mul
    ("22f9 1608 2202 05 27", (1 << 64) - 3),       # -7 / 2 truncates toward zero: -3
    ("22f9 1608 2202 07 27", (1 << 64) - 1),       # -7 % 2 = -1
    ("2207 2202 06 27", 3), ("2207 2202 08 27", 1),
    ("2201 2204 09 27", 16), ("22f0 1608 2202 0a 27", (1 << 64) - 4), ("22f0 2202 0b 27", 0x3C),
    ("220c 220a 0f 27", 8), ("220c 220a 10 27", 14), ("220c 220a 11 27", 6), ("2200 12 27", (1 << 64) - 1),
    ("2205 2205 13 27", 1), ("22ff 1608 2201 14 27", 1), ("22ff 1608 2201 15 27", 0),
    ("2200 0e 27", 1), ("2209 0e 27", 0),
    ("260001 19 27", 0x80010203), ("260001 17 27", 0x80), ("260001 18 1610 27", (1 << 64) - 0x7FFF),
    ("260001 1a 27", 0x8001020304050607), ("260003 2a08 27", 0xFF), ("260040 27", 0x1234),
    ("24 12345678 27", 0x12345678), ("25 0102030405060708 27", 0x0102030405060708),
    ("2201 2202 2b 03 27", 1), ("2205 28 02 27", 10), ("2201 2209 29 27", 1),
    ("2201 2202 2203 3201 27", 2), ("2201 2202 2203 33 27", 2),     # rot: 1 2 3 -> 3 1 2
    ("2201 20 0008 2207 27 2209 27", 9),           # if_goto taken (to offset 8)
    ("2200 20 0008 2207 27 2209 27", 7),
    ("21 0004 27 2208 27", 8),                     # goto over an end
])
def test_each_opcode(code, expected):
    assert value(code) == expected


def test_a_condition_holds_when_nonzero_and_when_evaluation_fails():
    assert Condition(bytes.fromhex("2201 27")).holds(ACCESS)
    assert not Condition(bytes.fromhex("2200 27")).holds(ACCESS)
    for failing in ("2201 2200 05 27",             # division by zero
                    "24 00009000 19 27",           # memory that is not there
                    "260099 27",                     # a register that is not there
                    "02 27",                       # stack underflow
                    "2200 21 0000 27",            # a loop that never ends (the stack overflows)
                    "2201 20 0000 27"):          # ... and one that does not grow it
        assert Condition(bytes.fromhex(failing)).holds(ACCESS), failing


@pytest.mark.parametrize("code, reason", [
    ("", "empty"), ("2205", "end"), ("22", "past the end"), ("ff 27", "unknown opcode"),
    ("0c 27", "tracing"), ("2c0001 27", "trace state"), ("01 27", "floating point"), ("34 27", "printf"),
    ("21 0001 27", "not an opcode"), ("2227", "end"), ("1600 27", "bits"),
])
def test_what_cannot_be_evaluated_here_is_refused(code, reason):
    with pytest.raises(Unsupported, match=reason):
        Condition(bytes.fromhex(code))


def test_a_z_packets_condition_list():
    assert parse_conditions(b";X3,220127;X2,2227") == [bytes.fromhex("220127"), bytes.fromhex("2227")]
    assert parse_conditions(b"X2,2227X1,27") == [bytes.fromhex("2227"), b"\x27"]
    for bad in (b";Y2,2227", b";X,27", b";X4,2227", b";X2,zz27"):
        with pytest.raises(ValueError):
            parse_conditions(bad)
