"""BookE debug commands for gdb, over the booke-gdbstub ``monitor`` commands.

Load with ``source /path/to/booke.py`` (``python -m gdbstub.gdb`` prints the path). Commands:

    booke catch branch|interrupt|return|trap [off]   stop on a taken branch, an interrupt
                                                     taken, an rfi, a trap instruction
    booke range START END [outside]   stop before instructions in [START, END) (or outside)
    booke range off
    booke dvc LVALUE VALUE            stop before a store of VALUE to the object LVALUE
    booke dvc off                     (440 profile: DAC1 + DVC1)
    booke debug                       the slots, their owners and modes (monitor debug)
    booke limits                      set gdb's hardware breakpoint/watchpoint limits to
                                      the stub's slot counts

START, END, LVALUE and VALUE are gdb expressions (``booke range func1 func2``,
``booke dvc counter 42``). The stub names the cause of each such stop on gdb's console.
This file runs inside gdb: it imports only gdb's own module.
"""
import re

import gdb


def _address(expression):
    """The value of a gdb expression as a 32-bit address (a function's is its entry)."""
    value = gdb.parse_and_eval(expression)
    if value.type.strip_typedefs().code == gdb.TYPE_CODE_FUNC:
        value = value.address
    return int(value.cast(gdb.lookup_type("unsigned long"))) & 0xFFFFFFFF


def _monitor(command):
    gdb.execute(f"monitor {command}")


class Booke(gdb.Command):
    """BookE debug facilities the stub offers beyond gdb's own (see "help booke ...")."""

    def __init__(self):
        super().__init__("booke", gdb.COMMAND_BREAKPOINTS, prefix=True)


class Catch(gdb.Command):
    """booke catch branch|interrupt|return|trap [off]: stop on that BookE debug event
    (DBCR0 BRT, IRPT, RET, TRAP); with no argument, show what is caught."""

    def __init__(self):
        super().__init__("booke catch", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, argument, from_tty):
        _monitor(f"catch {argument}".strip())


class Range(gdb.Command):
    """booke range START END [outside] | booke range off: an IAC range breakpoint (IAC1/IAC2,
    DBCR1 IAC12M): stop before each instruction in [START, END), or with "outside" before
    each one not in it. START and END are gdb expressions."""

    def __init__(self):
        super().__init__("booke range", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, argument, from_tty):
        words = gdb.string_to_argv(argument)
        if words == ["off"]:
            return _monitor("range off")
        if len(words) not in (2, 3) or words[2:] not in ([], ["outside"]):
            raise gdb.GdbError("usage: booke range START END [outside] | booke range off")
        _monitor(" ".join([f"range {_address(words[0]):#x} {_address(words[1]):#x}"] + words[2:]))


class ValueCompare(gdb.Command):
    """booke dvc LVALUE VALUE | booke dvc off: stop before a store of VALUE to the object
    LVALUE (1, 2 or 4 bytes), the 440's data value compare (DAC1 + DVC1)."""

    def __init__(self):
        super().__init__("booke dvc", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, argument, from_tty):
        words = gdb.string_to_argv(argument)
        if words == ["off"]:
            return _monitor("dvc off")
        if len(words) != 2:
            raise gdb.GdbError("usage: booke dvc LVALUE VALUE | booke dvc off")
        target = gdb.parse_and_eval(words[0])
        if target.address is None:
            raise gdb.GdbError(f"{words[0]} is not an object in memory")
        size = target.type.sizeof
        value = int(gdb.parse_and_eval(words[1])) & ((1 << 8 * size) - 1)
        _monitor(f"dvc {int(target.address) & 0xFFFFFFFF:#x} {value:#x} {size}")


class Debug(gdb.Command):
    """booke debug: the stub's debug registers, each IAC/DAC slot with its owner and mode."""

    def __init__(self):
        super().__init__("booke debug", gdb.COMMAND_STATUS)

    def invoke(self, argument, from_tty):
        _monitor("debug")


class Limits(gdb.Command):
    """booke limits: set remote hardware-breakpoint-limit and hardware-watchpoint-limit to the
    slot counts of the stub's core profile, so that gdb refuses a point the core cannot hold
    before it resumes."""

    def __init__(self):
        super().__init__("booke limits", gdb.COMMAND_SUPPORT)

    def invoke(self, argument, from_tty):
        text = gdb.execute("monitor debug", to_string=True)
        settings = re.search(r"^gdb: (.*)$", text, re.MULTILINE)
        if settings is None:
            raise gdb.GdbError("the stub did not name its limits (is this booke-gdbstub?)")
        for setting in settings.group(1).split("; "):
            gdb.execute(setting)
            print(setting)


for command in (Booke, Catch, Range, ValueCompare, Debug, Limits):
    command()
