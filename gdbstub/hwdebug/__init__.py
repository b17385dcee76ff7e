"""KVM's booke guest debug, modelled: the kernel's side only.

``abi.py`` (the ioctl structures), ``guest_debug.py`` (``KVM_SET_GUEST_DEBUG``), ``exit.py``
(DBSR to ``DebugExit``), ``controller.py`` (the per-vCPU facility: shadow registers, the guest's
comparators merged, re-injection, the vCPU's debug hooks) and ``profiles.py`` (the cores). It
knows nothing of gdb: the VMM's side (gdb's points as ``bp[]`` entries, software breakpoints,
naming stops) is :mod:`gdbstub.stub_debug`.
"""
