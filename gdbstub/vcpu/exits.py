"""The old name of :mod:`.stops`, kept so that ``machine.py`` and its tests import unchanged."""
from .stops import Fault, Halted, RunOutcome

__all__ = ["Fault", "Halted", "RunOutcome"]
