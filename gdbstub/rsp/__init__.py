"""The GDB Remote Serial Protocol layer: bytes ⇄ typed packets, with no target knowledge."""
