"""The simulated e500mc vCPU (see ``docs/architecture.md`` for the contract).

``cpu.Cpu`` (state, ``run``/``step``, interrupts, debug comparators), ``memory.Memory`` (RAM +
UART + GUTS), ``elf.load_elf``, ``exits`` (``Halted``, ``Fault``), ``debugregs`` (``DebugRegs``,
the ``DebugHost`` protocol), ``spr`` (the modelled SPRs), ``isa`` (the instruction tables;
its docstring explains how to add an instruction family) and ``booke`` (constants).
"""
