"""GDB agent expressions: the bytecode gdb sends with a breakpoint's condition (``Z0``/``Z1``
``...;X len,bytes``), evaluated by the stub at each hit so that a false condition costs no
round trip.

``compile_condition(code)`` checks a whole expression before it is accepted: every opcode known
and evaluable here, every operand and jump target inside the code. What a condition may not do
here (tracing, trace state variables, floating point, ``printf``) raises ``Unsupported``; the
stub then keeps the breakpoint unconditional, and gdb, which evaluates the condition again
whenever the target reports a hit, still gets the stops it asked for.

Evaluation follows gdb's "Agent Expressions" appendix: a stack of 64-bit integers; ``ref*``
read target memory (big-endian, zero-extended) through the same side-effect-free path as gdb's
``m``; ``reg`` reads a register by its number in the target description. An evaluation error (a
division by zero, memory that cannot be read, a stack over- or underflow, a runaway loop) makes
the condition true, as gdbserver does: the stop is reported and gdb decides.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

MASK64 = (1 << 64) - 1
MAX_STACK = 100          # gdbserver's bound too
MAX_STEPS = 10_000       # bytecodes one evaluation may execute (gdb emits no loops, but a packet may)


class Unsupported(ValueError):
    """The expression cannot be evaluated by this stub (the reason is the message)."""


class EvaluationError(Exception):
    """Evaluation failed at run time (the condition counts as true)."""


class Access(NamedTuple):
    """What an expression may read: ``register(number)`` and ``memory(address, size)`` (an
    int, big-endian). Either raises for what does not exist."""
    register: Callable[[int], int]
    memory: Callable[[int, int], int]


def _signed(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


def _truncating_div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def _binary(function: Callable[[int, int], int]) -> Callable[[list[int]], None]:
    def apply(stack: list[int]) -> None:
        b = stack.pop()
        stack[-1] = function(stack[-1], b) & MASK64
    return apply


def _divide(function: Callable[[int, int], int], signed: bool) -> Callable[[int, int], int]:
    def checked(a: int, b: int) -> int:
        if b == 0:
            raise EvaluationError("division by zero")
        return function(_signed(a), _signed(b)) if signed else function(a, b)
    return checked


# opcode -> (name, what it does to the stack): the binary operators
_ARITHMETIC: dict[int, tuple[str, Callable[[list[int]], None]]] = {
    0x02: ("add", _binary(lambda a, b: a + b)),
    0x03: ("sub", _binary(lambda a, b: a - b)),
    0x04: ("mul", _binary(lambda a, b: a * b)),
    0x05: ("div_signed", _binary(_divide(_truncating_div, True))),
    0x06: ("div_unsigned", _binary(_divide(lambda a, b: a // b, False))),
    0x07: ("rem_signed", _binary(_divide(lambda a, b: a - b * _truncating_div(a, b), True))),
    0x08: ("rem_unsigned", _binary(_divide(lambda a, b: a % b, False))),
    0x09: ("lsh", _binary(lambda a, b: a << b if b < 64 else 0)),
    0x0A: ("rsh_signed", _binary(lambda a, b: _signed(a) >> min(b, 63))),
    0x0B: ("rsh_unsigned", _binary(lambda a, b: a >> b if b < 64 else 0)),
    0x0F: ("bit_and", _binary(lambda a, b: a & b)),
    0x10: ("bit_or", _binary(lambda a, b: a | b)),
    0x11: ("bit_xor", _binary(lambda a, b: a ^ b)),
    0x13: ("equal", _binary(lambda a, b: int(a == b))),
    0x14: ("less_signed", _binary(lambda a, b: int(_signed(a) < _signed(b)))),
    0x15: ("less_unsigned", _binary(lambda a, b: int(a < b))),
}
_REFERENCES = {0x17: 1, 0x18: 2, 0x19: 4, 0x1A: 8}   # ref8 .. ref64: bytes read
_CONSTANTS = {0x22: 1, 0x23: 2, 0x24: 4, 0x25: 8}    # const8 .. const64: operand bytes
_REFUSED = {
    0x01: "floating point", 0x1B: "floating point", 0x1C: "floating point", 0x1D: "floating point",
    0x1E: "floating point", 0x1F: "floating point",
    0x0C: "tracing", 0x0D: "tracing", 0x2E: "tracing", 0x2F: "tracing", 0x30: "tracing",
    0x2C: "trace state variables", 0x2D: "trace state variables", 0x34: "printf", 0x31: "an invalid opcode",
}
_OPERAND_BYTES = {0x16: 1, 0x2A: 1, 0x32: 1, 0x20: 2, 0x21: 2, 0x26: 2, **_CONSTANTS}
_SIMPLE = {0x0E, 0x12, 0x27, 0x28, 0x29, 0x2B, 0x33, *_ARITHMETIC, *_REFERENCES}


class Condition:
    """A checked agent expression; ``holds(access)`` evaluates it."""

    def __init__(self, code: bytes):
        self.code = bytes(code)
        _check(self.code)

    def __repr__(self) -> str:
        return f"Condition({self.code.hex()})"

    def holds(self, access: Access) -> bool:
        """True when the expression is nonzero, or when evaluating it fails."""
        try:
            return self.value(access) != 0
        except (EvaluationError, IndexError, ArithmeticError, LookupError, OSError, ValueError):
            return True

    def value(self, access: Access) -> int:
        """The expression's value (EvaluationError, or what ``access`` raises, if it fails)."""
        code, stack, pc = self.code, [], 0
        for _ in range(MAX_STEPS):
            op = code[pc]
            pc += 1
            if op == 0x27:                                    # end
                if not stack:
                    raise EvaluationError("the stack is empty at end")
                return stack[-1]
            if op in _ARITHMETIC:
                if len(stack) < 2:
                    raise EvaluationError("stack underflow")
                _ARITHMETIC[op][1](stack)
                continue
            width = _OPERAND_BYTES.get(op, 0)
            operand = int.from_bytes(code[pc:pc + width], "big")
            pc += width
            if op in _CONSTANTS:
                stack.append(operand)
            elif op == 0x26:                                  # reg
                stack.append(access.register(operand) & MASK64)
            elif op in _REFERENCES:
                stack.append(access.memory(stack.pop(), _REFERENCES[op]) & MASK64)
            elif op == 0x16:                                  # ext n: sign-extend from n bits
                sign = 1 << (operand - 1)
                stack[-1] = ((stack[-1] & ((1 << operand) - 1)) ^ sign) - sign & MASK64
            elif op == 0x2A:                                  # zero_ext n
                stack[-1] &= (1 << operand) - 1
            elif op == 0x0E:                                  # log_not
                stack[-1] = int(stack[-1] == 0)
            elif op == 0x12:                                  # bit_not
                stack[-1] ^= MASK64
            elif op == 0x20:                                  # if_goto
                if stack.pop():
                    pc = operand
            elif op == 0x21:                                  # goto
                pc = operand
            elif op == 0x28:                                  # dup
                stack.append(stack[-1])
            elif op == 0x29:                                  # pop
                stack.pop()
            elif op == 0x2B:                                  # swap
                stack[-1], stack[-2] = stack[-2], stack[-1]
            elif op == 0x32:                                  # pick n: copy the nth below the top
                stack.append(stack[-1 - operand])
            elif op == 0x33:                                  # rot: a b c -> c a b
                stack[-3:] = [stack[-1], stack[-3], stack[-2]]
            if len(stack) > MAX_STACK:
                raise EvaluationError("stack overflow")
        raise EvaluationError(f"more than {MAX_STEPS} bytecodes executed")


def _check(code: bytes) -> None:
    """Unsupported unless every opcode is known and evaluable here, every operand lies inside
    the code, every jump lands on an opcode, and the code ends with ``end``."""
    if not code:
        raise Unsupported("an empty expression")
    starts, targets, pc = set(), [], 0
    while pc < len(code):
        op = code[pc]
        starts.add(pc)
        if op in _REFUSED:
            raise Unsupported(f"{_REFUSED[op]} (opcode {op:#04x}) is not evaluated here")
        if op not in _SIMPLE and op not in _OPERAND_BYTES:
            raise Unsupported(f"unknown opcode {op:#04x} at {pc}")
        width = _OPERAND_BYTES.get(op, 0)
        if pc + 1 + width > len(code):
            raise Unsupported(f"opcode {op:#04x} at {pc} runs past the end")
        operand = int.from_bytes(code[pc + 1:pc + 1 + width], "big")
        if op in (0x20, 0x21):
            targets.append(operand)
        elif op in (0x16, 0x2A) and not 1 <= operand <= 64:
            raise Unsupported(f"extension to {operand} bits at {pc}")
        pc += 1 + width
    if code[-1] != 0x27 or max(starts) != len(code) - 1:
        raise Unsupported("the expression does not end with end")
    for target in targets:
        if target not in starts:
            raise Unsupported(f"a jump to {target}, which is not an opcode")


def parse_conditions(text: bytes) -> list[bytes]:
    """The bytecodes of a Z packet's condition list (``X len,hex`` items, each after a ``;`` or
    concatenated): ValueError if malformed."""
    items, rest = [], text
    while rest:
        if rest[:1] == b";":
            rest = rest[1:]
            continue
        if rest[:1] != b"X":
            raise ValueError(f"expected X len,bytes, got {rest[:16]!r}")
        length_text, comma, rest = rest[1:].partition(b",")
        if not comma or not length_text or len(length_text) > 4:
            raise ValueError("a condition without its length")
        length = int(length_text, 16)
        hex_bytes, rest = rest[:2 * length], rest[2 * length:]
        if len(hex_bytes) != 2 * length:
            raise ValueError("a condition shorter than its length")
        items.append(bytes.fromhex(hex_bytes.decode("ascii")))
    return items
