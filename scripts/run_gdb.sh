#!/usr/bin/env bash
# Debug a guest in gdb: serve it on a free port, attach the PowerPC gdb, stop the server when gdb
# exits. The guest's UART output goes to a log file that is kept (its path is printed).
set -euo pipefail
usage="usage: $0 GUEST.elf|--demo [gdb args...]
  Serves GUEST.elf (or the bundled demo guest) with booke-gdbstub on a free 127.0.0.1 port and
  attaches gdb-multiarch (or powerpc-linux-gnu-gdb) to it; extra arguments go to gdb."
[ $# -ge 1 ] || { echo "$usage" >&2; exit 2; }
case "$1" in -h|--help) echo "$usage"; exit 0 ;; esac
guest=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
[ -x "$here/.venv/bin/python" ] && [ -z "${PYTHON:-}" ] && python=$here/.venv/bin/python
gdb=$(command -v powerpc-linux-gnu-gdb || command -v gdb-multiarch || true)
[ -n "$gdb" ] || { echo "$0: no PowerPC gdb found (install gdb-multiarch)" >&2; exit 1; }
if [ "$guest" = "--demo" ]; then
    elf=$("$python" -c 'from gdbstub.guests.build import demo_guest; print(demo_guest())')
    serve_args=(--demo)
else
    [ -f "$guest" ] || { echo "$0: no such guest file: $guest" >&2; exit 2; }
    elf=$guest
    serve_args=("$guest")
fi
tmp=$(mktemp -d)
uart_log=$(mktemp "${TMPDIR:-/tmp}/booke-gdbstub-uart.XXXXXX.log")
"$python" -m gdbstub serve "${serve_args[@]}" --port 0 --port-file "$tmp/port" --once \
    --uart-log "$uart_log" &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 300); do
    [ -s "$tmp/port" ] && break
    kill -0 "$server" 2>/dev/null || { echo "$0: the server failed to start" >&2; exit 1; }
    sleep 0.1
done
[ -s "$tmp/port" ] || { echo "$0: the server did not start listening" >&2; exit 1; }
echo "guest UART output: $uart_log (tail -f it in another terminal; kept after gdb exits)" >&2
"$gdb" -q -ex "target remote 127.0.0.1:$(cat "$tmp/port")" "$@" "$elf"
