"""The UART log file stays bounded (issue 19 item 10: 1.8 GB an hour from a guest spinning on
its UART)."""
from __future__ import annotations

from gdbstub.devices.console import FileConsole, open_console


def test_the_log_keeps_the_newest_output_in_at_most_two_files(tmp_path):
    path = tmp_path / "uart.log"
    path.write_bytes(b"from before\n")
    console = FileConsole(str(path), limit=100)
    for n in range(1000):
        console.write(b"line %03d\n" % n)                # 9 bytes a line, 9,000 in all
    console.close()
    old, new = (tmp_path / "uart.log.old").read_bytes(), path.read_bytes()
    assert len(old) <= 100 and len(new) <= 100
    assert (old + new).endswith(b"line 998\nline 999\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["uart.log", "uart.log.old"]


def test_file_specs_get_the_bounded_console(tmp_path):
    console = open_console(f"file:{tmp_path / 'x.log'}")
    assert isinstance(console, FileConsole)
    console.write(b"hello\n")
    console.close()
    assert (tmp_path / "x.log").read_bytes() == b"hello\n"
