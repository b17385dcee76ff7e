"""Core profiles: how many IAC/DAC slots a core has, its KVM flavour, its breakpoint word."""
from __future__ import annotations

from dataclasses import dataclass

from ..vcpu import booke


@dataclass(frozen=True)
class CoreProfile:
    """``hv``: e500mc-style BookE-HV KVM (DBCR1/2 left 0); otherwise PR KVM (e500v2), which
    sets the user-only bits so the stub's points match only guest code. ``dac_range``: DBCR2
    has the DAC12M range mode (DAC1 <= address < DAC2), the one way to watch more than a byte
    (an exact DAC matches only accesses that include its address). ``iac_range``: DBCR1 has
    IAC12M (IAC1/IAC2 as an inclusive or exclusive range; every BookE core here has it);
    ``dvc``: the data value comparators DVC1/DVC2 beside the DACs (the 440's, not the e500's)."""
    name: str
    iac_slots: int
    dac_slots: int
    hv: bool
    debug_instruction: int = booke.EHPRIV_DEBUG
    dac_range: bool = True
    iac_range: bool = True
    dvc: bool = False


E500MC = CoreProfile("e500mc", iac_slots=2, dac_slots=2, hv=True)
E500MC_ILLEGAL_WORD = CoreProfile("e500mc-illegal", iac_slots=2, dac_slots=2, hv=True,
                                  debug_instruction=booke.ILLEGAL_DEBUG_WORD)
E500V2 = CoreProfile("e500v2", iac_slots=2, dac_slots=2, hv=False)
PPC440 = CoreProfile("440", iac_slots=4, dac_slots=2, hv=False, dvc=True)

PROFILES = {profile.name: profile for profile in (E500MC, E500MC_ILLEGAL_WORD, E500V2, PPC440)}
