"""The import rules of docs/architecture.md, checked on the source: each layer imports only the
layers below it. Modules not named here (machine, stub_debug, server, cli, testing,
difftest, ...) are the wiring between layers and may import any of them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gdbstub

PACKAGE = Path(gdbstub.__file__).parent

# layer -> the other layers it may import (its own modules and the standard library always)
ALLOWED = {
    "gdbstub.rsp": set(),                                  # bytes <-> packets, no PowerPC
    "gdbstub.fuzz": {"gdbstub.rsp"},
    "gdbstub.target": set(),                               # the contract
    "gdbstub.channel": set(),
    "gdbstub.agentexpr": set(),                            # gdb's condition bytecode, on any target
    "gdbstub.runcontrol": {"gdbstub.target"},
    "gdbstub.session": {"gdbstub.rsp", "gdbstub.target", "gdbstub.runcontrol", "gdbstub.channel"},
    "gdbstub.hwdebug": {"gdbstub.vcpu"},                   # the KVM model sits on the vCPU only
    "gdbstub.devices": set(),
    "gdbstub.vcpu": {"gdbstub.devices"},                   # interrupt lines; never rsp/ or hwdebug/
    "gdbstub.e500mc": {"gdbstub.target", "gdbstub.vcpu"},  # the core's register file for gdb
    "gdbstub.boards": {"gdbstub.vcpu", "gdbstub.devices", "gdbstub.e500mc"},   # a board names its register set
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The absolute names of the gdbstub modules ``path`` imports (relative imports resolved)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            if node.module is None:        # from .. import e500mc: the names are modules
                names.update(f"{source}.{alias.name}" for alias in node.names)
            else:
                names.add(source)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name == "gdbstub" or name.startswith("gdbstub.")}


def layer_of(module: str) -> str | None:
    return next((layer for layer in ALLOWED if module == layer or module.startswith(layer + ".")), None)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_the_layers_below_it(path):
    layer = layer_of(_module_name(path))
    if layer is None:
        return                                  # wiring
    for name in imported_modules(path):
        target = layer_of(name)
        assert target == layer or target in ALLOWED[layer], f"{_module_name(path)} imports {name}"


def test_the_rules_can_fail():
    """A layer breaking its rule is reported: the resolver sees relative imports for what they are."""
    assert imported_modules(PACKAGE / "session.py") >= {"gdbstub.target", "gdbstub.rsp"}
    assert "gdbstub.devices.irq" in imported_modules(PACKAGE / "vcpu" / "cpu.py")
    assert layer_of("gdbstub.vcpu.isa.table") == "gdbstub.vcpu" and layer_of("gdbstub.machine") is None
