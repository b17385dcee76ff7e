"""``python -m gdbstub.guests.linux [-j N]``: build (or find in the cache) the ppce500 kernel and
print the paths of its vmlinux and of the device tree to boot it with."""
import argparse
import sys
import time

from ..build import GuestBuildError
from . import linux_dtb, linux_kernel

parser = argparse.ArgumentParser(prog="python -m gdbstub.guests.linux", description=__doc__)
parser.add_argument("-j", "--jobs", type=int, default=2, help="parallel make jobs (default 2)")
args = parser.parse_args()
started = time.monotonic()
try:
    path = linux_kernel(jobs=args.jobs)
except GuestBuildError as exc:
    sys.exit(f"error: {exc}")
print(path)
print(linux_dtb())
print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
