"""The simulated e500mc vCPU (see ``docs/architecture.md`` for the contract).

``cpu.Cpu`` (the facade and the run loop) over ``state`` (architected registers), ``booke_timers``,
``debug`` (the debug facility), ``codecache`` and ``addressing`` (address translation);
``memory.Memory`` (the physical bus: RAM + the device windows a board maps), ``elf.load_elf``,
``stops`` (``Halted``, ``Fault``), ``debugregs`` (``DebugRegs``, the ``DebugHost`` protocol),
``spr`` (the modelled SPRs), ``isa`` (the instruction tables; its docstring explains how to add
an instruction family) and ``booke`` (constants). Boards (``gdbstub.boards``) put devices
(``gdbstub.devices``) on the bus.
"""
