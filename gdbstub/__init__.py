"""booke-gdbstub: a GDB RSP server for a simulated PowerPC BookE (e500mc) vCPU."""
