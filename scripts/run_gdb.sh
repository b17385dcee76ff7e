#!/usr/bin/env bash
# Debug a guest in gdb: serve it on a free port, attach the PowerPC gdb, clean up when gdb exits.
#   scripts/run_gdb.sh GUEST.elf [gdb args...]
#   scripts/run_gdb.sh --demo [gdb args...]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 GUEST.elf|--demo [gdb args...]" >&2; exit 2; }
guest=$1; shift
gdb=$(command -v powerpc-linux-gnu-gdb || command -v gdb-multiarch || true)
[ -n "$gdb" ] || { echo "$0: no PowerPC gdb found (install gdb-multiarch)" >&2; exit 1; }
if [ "$guest" = "--demo" ]; then
    elf=$(python3 -c 'from gdbstub.guests.build import demo_guest; print(demo_guest())')
    serve_args=(--demo)
else
    elf=$guest
    serve_args=("$guest")
fi
tmp=$(mktemp -d)
python3 -m gdbstub serve "${serve_args[@]}" --port 0 --port-file "$tmp/port" --once \
    --uart-log "$tmp/uart.log" &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 300); do
    [ -s "$tmp/port" ] && break
    kill -0 "$server" 2>/dev/null || { echo "$0: the server failed to start" >&2; exit 1; }
    sleep 0.1
done
[ -s "$tmp/port" ] || { echo "$0: the server did not start listening" >&2; exit 1; }
echo "guest UART output: $tmp/uart.log (removed when gdb exits)" >&2
"$gdb" -q -ex "target remote 127.0.0.1:$(cat "$tmp/port")" "$@" "$elf"
