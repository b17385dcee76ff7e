"""gdb-side helpers shipped with the package: ``booke.py`` is a gdb Python script (load it in
gdb with ``source``; its path is ``SCRIPT``, printed by ``python -m gdbstub.gdb``) that names the
stub's BookE ``monitor`` commands as gdb commands taking gdb expressions. It runs inside gdb and
imports nothing of ours."""
from pathlib import Path

SCRIPT = Path(__file__).with_name("booke.py")
