"""``python -m gdbstub.gdb``: the path of the gdb script, for ``source $(python -m gdbstub.gdb)``."""
from . import SCRIPT

print(SCRIPT)
