"""The e500mc MMU (Freescale MMU architecture 1.0): TLB0, TLB1, the TLB instructions, lookup.

TLB0 holds 512 entries of 4 KiB, 4-way set associative: the set is EA bits 45:51
(``(ea >> 12) & 0x7f``) and MAS0[ESEL] picks the way. TLB1 holds 64 fully associative entries of
4^TSIZE KiB (TSIZE 1..12 as TLB1CFG states) that IPROT can protect from invalidation.

The MAS registers belong to the SPR file, not to this model: each operation takes the MAS values
it reads and returns the ones it sets as ``{spr_number: value}``. The state here is the two TLB
arrays and TLB0's next-victim counter, nothing else, so ``translate`` and ``debug_translate`` are
pure. A translation failure comes back as a ``TlbFault`` naming the interrupt, the ESR/DEAR
values and, for a TLB miss, the MAS values the hardware preloads; the vCPU delivers it.

tlbre, tlbsx and TLB misses always write MAS7, as on QEMU, whatever HID0[EN_MAS7_UPDATE]
says: Linux on the e500mc never sets that bit (U-Boot does) and, booted by QEMU's ``-kernel``
with HID0 = 0, builds its AS1 mapping from a tlbsx whose MAS7 must be the entry's.

Field widths are the e500 core manual's (8-bit TID and SPID, 4-bit MAS7 for 36-bit real
addresses, TSIZE in MAS1[52:55]); reserved bits are dropped on tlbwe. Lookup order and the
invalidation rules are QEMU 7.2's booke206 model (the differential oracle): TLB0's set first,
then TLB1 in index order, the first entry whose V, TID, EPN and TS match decides (its permissions
are final, no later entry is tried); tlbivax ignores TID and TS; tlbilx T=3 matches as a lookup
does (TID 0 included) and ignores TS. Where QEMU departs from the manual this model follows the
manual:
- QEMU keeps every bit software writes into an entry; here reserved bits read back as 0.
- QEMU advances its TLB0 victim counter on every miss; here, as the manual's round robin, a miss
  or tlbsx only proposes it (ESEL = counter, NV = counter + 1) and tlbwe to TLB0 loads it from
  MAS0[NV].
- QEMU leaves MAS2[EPN] 0 on a tlbsx miss; here it holds the searched page, as on a TLB miss.
- QEMU also writes DEAR and ESR on an instruction TLB miss; the hardware leaves both alone.
- QEMU gives the e500mc PID1/PID2 (read as 0 unless written); the e500mc has PID0 only (and no
  MAS5). MMUCFG is QEMU's 0 (MAV 1.0, no other field filled in).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from . import booke
from .interrupts import illegal

# --- SPR numbers ---------------------------------------------------------------------------
SPR_PID = 48
SPR_MAS0 = 624
SPR_MAS1 = 625
SPR_MAS2 = 626
SPR_MAS3 = 627
SPR_MAS4 = 628
SPR_MAS6 = 630
SPR_TLB0CFG = 688
SPR_TLB1CFG = 689
SPR_MAS7 = 944
SPR_MMUCSR0 = 1012
SPR_MMUCFG = 1015

# --- read-only configuration, as QEMU 7.2 reports it for the e500mc --------------------------
MMUCFG = 0  # MAVN 0: MMU architecture 1.0
TLB0CFG = 0x04110200  # 4-way, page sizes 4 KiB only, 512 entries
TLB1CFG = 0x401CC040  # fully associative (64), 4^1..4^12 KiB, IPROT, size in MAS1, 64 entries
CONFIGURATION = {SPR_MMUCFG: MMUCFG, SPR_TLB0CFG: TLB0CFG, SPR_TLB1CFG: TLB1CFG}  # read-only SPRs
MMUCSR0_TLB1_FI = 0x00000002  # flash-invalidate TLB1 (IPROT entries survive)
MMUCSR0_TLB0_FI = 0x00000004  # flash-invalidate TLB0

# --- MAS fields ------------------------------------------------------------------------------
MAS0_TLBSEL_SHIFT = 28
MAS0_TLBSEL = 0x30000000
MAS0_ESEL_SHIFT = 16
MAS0_ESEL = 0x003F0000  # 6 bits: a TLB1 index, or a TLB0 way in its low 2 bits
MAS0_NV = 0x00000003
MAS1_V = 0x80000000
MAS1_IPROT = 0x40000000
MAS1_TID_SHIFT = 16
MAS1_TID = 0x00FF0000
MAS1_TS = 0x00001000
MAS1_TSIZE_SHIFT = 8
MAS1_TSIZE = 0x00000F00  # page size 4^TSIZE KiB
MAS2_EPN = 0xFFFFF000
MAS2_ATTRIBUTES = 0x0000007F  # X0 X1 W I M G E
MAS3_RPN = 0xFFFFF000
MAS3_U0_U3 = 0x000003C0
MAS3_UX = 0x20
MAS3_SX = 0x10
MAS3_UW = 0x08
MAS3_SW = 0x04
MAS3_UR = 0x02
MAS3_SR = 0x01
MAS3_PERMS = 0x3F  # UX SX UW SW UR SR
MAS4_TLBSELD = 0x30000000
MAS4_TIDSELD = 0x00030000  # 0: PID0; others name PID1/PID2/zero, which read as 0 on an e500mc
MAS4_TSIZED = 0x00000F00
MAS4_ATTRIBUTES_D = 0x0000007F  # X0D X1D WD ID MD GD ED
MAS6_SPID_SHIFT = 16
MAS6_SPID = 0x00FF0000
MAS6_SAS = 0x00000001
MAS7_RPN = 0x0000000F  # real address bits 32:35 (the top of a 36-bit real address)
PID_MASK = 0xFF

# What mtspr keeps of each MAS register (the rest is reserved and reads as 0).
MAS_WRITABLE = {
    SPR_MAS0: MAS0_TLBSEL | MAS0_ESEL | MAS0_NV,
    SPR_MAS1: MAS1_V | MAS1_IPROT | MAS1_TID | MAS1_TS | MAS1_TSIZE,
    SPR_MAS2: MAS2_EPN | MAS2_ATTRIBUTES,
    SPR_MAS3: MAS3_RPN | MAS3_U0_U3 | MAS3_PERMS,
    SPR_MAS4: MAS4_TLBSELD | MAS4_TIDSELD | MAS4_TSIZED | MAS4_ATTRIBUTES_D,
    SPR_MAS6: MAS6_SPID | MAS6_SAS,
    SPR_MAS7: MAS7_RPN,
}

TLB0_WAYS = 4
TLB0_SETS = 128
TLB1_ENTRIES = 64
TLB1_MIN_TSIZE = TLB1CFG >> 20 & 0xF
TLB1_MAX_TSIZE = TLB1CFG >> 16 & 0xF
TSIZE_4K = 1
REAL_ADDRESS_MASK = (1 << 36) - 1
EA_MASK = 0xFFFFFFFF

# Permission bits in Translation.perms
PERM_R = 1
PERM_W = 2
PERM_X = 4


class Access:
    """Kinds of access (plain ints: an IntEnum member costs a microsecond on a lookup's path)."""
    FETCH = 0
    LOAD = 1
    STORE = 2
    NAMES = ("fetch", "load", "store")


_NEEDED = (PERM_X, PERM_R, PERM_W)  # indexed by access kind


def page_size(tsize: int) -> int:
    """Bytes in a page of MAV 1.0 size code ``tsize`` (4^tsize KiB)."""
    return 1 << (10 + 2 * tsize)


class TlbEntry:
    """One TLB entry as the MAS registers describe it, with the fields lookup needs unpacked."""

    __slots__ = ("mas1", "mas2", "mas3", "mas7", "valid", "iprot", "tid", "ts", "size", "mask", "epn",
                 "rpn", "user_perms", "super_perms")

    def __init__(self, mas1: int = 0, mas2: int = 0, mas3: int = 0, mas7: int = 0) -> None:
        self.load(mas1, mas2, mas3, mas7)

    def load(self, mas1: int, mas2: int, mas3: int, mas7: int) -> None:
        self.mas1, self.mas2, self.mas3, self.mas7 = mas1, mas2, mas3, mas7
        self.valid = bool(mas1 & MAS1_V)
        self.iprot = bool(mas1 & MAS1_IPROT)
        self.tid = (mas1 & MAS1_TID) >> MAS1_TID_SHIFT
        self.ts = int(bool(mas1 & MAS1_TS))
        self.size = page_size((mas1 & MAS1_TSIZE) >> MAS1_TSIZE_SHIFT)
        self.mask = -self.size & EA_MASK  # the EA bits that select the page
        self.epn = mas2 & MAS2_EPN & self.mask
        self.rpn = (mas7 << 32 | mas3 & MAS3_RPN) & ~(self.size - 1) & REAL_ADDRESS_MASK
        self.user_perms = ((PERM_R if mas3 & MAS3_UR else 0) | (PERM_W if mas3 & MAS3_UW else 0)
                           | (PERM_X if mas3 & MAS3_UX else 0))
        self.super_perms = ((PERM_R if mas3 & MAS3_SR else 0) | (PERM_W if mas3 & MAS3_SW else 0)
                            | (PERM_X if mas3 & MAS3_SX else 0))

    def matches(self, ea: int, pid: int, address_space: int) -> bool:
        """Whether this entry translates ``ea`` for ``pid`` in address space ``address_space``."""
        return (self.valid and ea & self.mask == self.epn and self.ts == address_space
                and (self.tid == 0 or self.tid == pid))

    def span(self) -> tuple[int, int]:
        """(first EA, bytes) of the page, cut at the top of the 32-bit effective address space."""
        return self.epn, min(self.size, EA_MASK + 1 - self.epn)

    def invalidate(self) -> None:
        self.load(self.mas1 & ~MAS1_V, self.mas2, self.mas3, self.mas7)

    def state(self) -> tuple[int, int, int, int]:
        return self.mas1, self.mas2, self.mas3, self.mas7


class Translation(NamedTuple):
    """A successful lookup: ``real`` is the 36-bit real address of ``ea``."""
    real: int
    page_ea: int  # effective address of the page's first byte
    page_real: int  # real address of the page's first byte
    page_size: int
    perms: int  # PERM_R | PERM_W | PERM_X allowed in the current privilege level
    attributes: int  # MAS2 X0 X1 W I M G E
    tlb: int
    index: int  # entry number within its TLB (TLB0: set * 4 + way)


class TlbFault(NamedTuple):
    """A failed lookup and the interrupt it raises.

    ``esr``/``dear`` are the values to load (None: left unchanged); ``mas`` the MAS registers a
    TLB miss preloads (``{spr: value}``, empty for storage interrupts); ``reason`` says why.
    """
    ivor: int
    esr: int | None
    dear: int | None
    mas: dict[int, int]
    reason: str


def _perm_text(perms: int) -> str:
    return "".join(letter if perms & bit else "-" for letter, bit in zip("rwx", (PERM_R, PERM_W, PERM_X)))


def _size_text(size: int) -> str:
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if size >= 1 << shift:
            return f"{size >> shift}{unit}"
    return f"{size}B"


class Mmu:
    """The two TLBs and TLB0's next-victim counter of one e500mc core.

    ``on_change(spans)`` (if set) is called after any operation that may have changed what an
    address translates to, with the ``(first EA, bytes)`` ranges affected, or None for "any
    address"; ``generation`` counts those operations. Owners of per-page caches flush on it.
    """

    def __init__(self, on_change: Callable[[list[tuple[int, int]] | None], None] | None = None) -> None:
        self.tlb0 = [TlbEntry() for _ in range(TLB0_WAYS * TLB0_SETS)]
        self.tlb1 = [TlbEntry() for _ in range(TLB1_ENTRIES)]
        self.victim = 0  # TLB0[NV]: the way the next TLB0 refill is proposed to replace
        self.generation = 0
        self.on_change = on_change
        self._tlb1_valid: list[tuple[int, TlbEntry]] = []  # what lookups scan of TLB1, in order

    def _changed(self, spans: list[tuple[int, int]] | None) -> None:
        self._tlb1_valid = [(index, entry) for index, entry in enumerate(self.tlb1) if entry.valid]
        self.generation += 1
        if self.on_change is not None:
            self.on_change(spans)

    # --- reset ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Every entry invalid, the victim counter 0 (the core's reset state)."""
        for entry in (*self.tlb0, *self.tlb1):
            entry.load(0, 0, 0, 0)
        self.victim = 0
        self._changed(None)

    def install_boot_mapping(self, size: int = 64 << 20) -> None:
        """QEMU's ppce500 ``-kernel`` start: TLB1[0] maps EA 0 -> real 0, ``size`` bytes, TS 0,
        TID 0, SR/SW/SX/UR/UW/UX, no IPROT."""
        tsize = self._tsize_of(size)
        self.tlb1[0].load(MAS1_V | tsize << MAS1_TSIZE_SHIFT, 0, MAS3_PERMS, 0)
        self._changed(None)

    @staticmethod
    def _tsize_of(size: int) -> int:
        for tsize in range(TLB1_MIN_TSIZE, TLB1_MAX_TSIZE + 1):
            if page_size(tsize) == size:
                return tsize
        raise ValueError(f"{size:#x} bytes is not a TLB1 page size (4^n KiB, 4 KiB..16 GiB)")

    # --- selecting an entry through MAS0/MAS2 ------------------------------------------------

    @staticmethod
    def _set_of(ea: int) -> int:
        return ea >> 12 & (TLB0_SETS - 1)

    def _selected(self, mas0: int, mas2: int) -> tuple[int, int] | None:
        """(tlb, index) that MAS0[TLBSEL, ESEL] and MAS2[EPN] name, None for TLB2/TLB3."""
        tlb = (mas0 & MAS0_TLBSEL) >> MAS0_TLBSEL_SHIFT
        esel = (mas0 & MAS0_ESEL) >> MAS0_ESEL_SHIFT
        if tlb == 0:
            return 0, self._set_of(mas2) * TLB0_WAYS + (esel & (TLB0_WAYS - 1))
        if tlb == 1:
            return 1, esel & (TLB1_ENTRIES - 1)
        return None

    def _entry(self, tlb: int, index: int) -> TlbEntry:
        return (self.tlb0 if tlb == 0 else self.tlb1)[index]

    def _mas_of(self, tlb: int, index: int) -> dict[int, int]:
        """The MAS values tlbre and a tlbsx hit load from an entry."""
        entry = self._entry(tlb, index)
        way = index % TLB0_WAYS if tlb == 0 else index
        return {SPR_MAS0: tlb << MAS0_TLBSEL_SHIFT | way << MAS0_ESEL_SHIFT | self.victim,
                SPR_MAS1: entry.mas1, SPR_MAS2: entry.mas2, SPR_MAS3: entry.mas3, SPR_MAS7: entry.mas7}

    def _refill(self, ea: int, tid: int, address_space: int, valid: bool, mas4: int) -> dict[int, int]:
        """The MAS values a miss (of a lookup, or of tlbsx) loads: MAS4's defaults (TLBSELD,
        TSIZED, attributes), the victim way in ESEL and the one after it in NV, the missed page."""
        mas = {SPR_MAS0: (mas4 & MAS4_TLBSELD) | self.victim << MAS0_ESEL_SHIFT
               | (self.victim + 1) & MAS0_NV,
               SPR_MAS1: (MAS1_V if valid else 0) | tid << MAS1_TID_SHIFT
               | (MAS1_TS if address_space else 0) | (mas4 & MAS4_TSIZED),
               SPR_MAS2: ea & MAS2_EPN | mas4 & MAS4_ATTRIBUTES_D, SPR_MAS3: 0, SPR_MAS7: 0}
        return mas

    # --- the TLB instructions -------------------------------------------------------------

    def tlbwe(self, mas0: int, mas1: int, mas2: int, mas3: int, mas7: int) -> None:
        """Write the entry MAS0 (and, for TLB0, MAS2[EPN]) selects.

        Raises the Program interrupt (illegal) for TLBSEL 2/3 and, for a valid TLB1 entry, for a
        TSIZE outside TLB1CFG's range, as QEMU does. TLB0 entries are always 4 KiB, never IPROT.
        """
        selected = self._selected(mas0, mas2)
        if selected is None:
            raise illegal()
        tlb, index = selected
        mas1 &= MAS_WRITABLE[SPR_MAS1]
        if tlb == 0:
            mas1 = mas1 & ~(MAS1_TSIZE | MAS1_IPROT) | TSIZE_4K << MAS1_TSIZE_SHIFT
            self.victim = mas0 & MAS0_NV
        elif mas1 & MAS1_V and not (TLB1_MIN_TSIZE <= (mas1 & MAS1_TSIZE) >> MAS1_TSIZE_SHIFT
                                    <= TLB1_MAX_TSIZE):
            raise illegal()
        size = page_size((mas1 & MAS1_TSIZE) >> MAS1_TSIZE_SHIFT)
        mas2 &= (MAS2_EPN & -size | MAS2_ATTRIBUTES) & EA_MASK
        target = self._entry(tlb, index)
        spans = [target.span()] if target.valid else []
        target.load(mas1, mas2, mas3 & MAS_WRITABLE[SPR_MAS3], mas7 & MAS7_RPN)
        self._changed(spans + [target.span()] if target.valid else spans)

    def tlbre(self, mas0: int, mas2: int) -> dict[int, int]:
        """Read the entry MAS0 (and, for TLB0, MAS2[EPN]) selects into MAS0-3 and MAS7.

        TLBSEL 2/3 name no TLB: MAS1 reads back 0.
        """
        selected = self._selected(mas0, mas2)
        if selected is None:
            return {SPR_MAS1: 0}
        return self._mas_of(*selected)

    def _search(self, ea: int, pid: int, address_space: int) -> tuple[int, int, TlbEntry] | None:
        """(tlb, index, entry) of the first entry translating ``ea``: TLB0's set, then TLB1.

        The test of ``TlbEntry.matches``, inlined: this runs on every per-page cache miss.
        """
        base = self._set_of(ea) * TLB0_WAYS
        tlb0 = self.tlb0
        for index in range(base, base + TLB0_WAYS):
            entry = tlb0[index]
            if (entry.valid and ea & entry.mask == entry.epn and entry.ts == address_space
                    and (entry.tid == 0 or entry.tid == pid)):
                return 0, index, entry
        for index, entry in self._tlb1_valid:
            if ea & entry.mask == entry.epn and entry.ts == address_space and (entry.tid == 0 or entry.tid == pid):
                return 1, index, entry
        return None

    def tlbsx(self, ea: int, mas4: int, mas6: int) -> dict[int, int]:
        """Search for ``ea`` with MAS6[SPID, SAS].

        A hit loads MAS0-3 (and MAS7) from the entry. A miss loads MAS1 with V = 0, TID = SPID,
        TS = SAS and MAS4's TSIZED, MAS2 with the page and MAS4's attributes, MAS3 = 0 (and
        MAS7 = 0), and proposes the TLB0 victim in MAS0.
        """
        ea &= EA_MASK
        spid = (mas6 & MAS6_SPID) >> MAS6_SPID_SHIFT
        sas = mas6 & MAS6_SAS
        found = self._search(ea, spid, sas)
        if found is not None:
            return self._mas_of(found[0], found[1])
        return self._refill(ea, spid, sas, False, mas4)

    def _invalidate(self, entries, keep: Callable[[TlbEntry], bool]) -> None:
        """Clear V in every valid entry of ``entries`` that is not IPROT and not kept."""
        spans = []
        for entry in entries:
            if entry.valid and not entry.iprot and not keep(entry):
                spans.append(entry.span())
                entry.invalidate()
        if spans:
            self._changed(spans)

    def tlbivax(self, ea: int) -> None:
        """Invalidate by EA: bit 0x8 selects TLB1 (else TLB0), bit 0x4 means every entry of it.

        TID and TS are not compared; IPROT entries survive.
        """
        if ea & 0x8:
            entries = self.tlb1
        else:
            base = self._set_of(ea) * TLB0_WAYS
            entries = self.tlb0 if ea & 0x4 else self.tlb0[base:base + TLB0_WAYS]
        if ea & 0x4:
            self._invalidate(entries, lambda entry: False)
        else:
            self._invalidate(entries, lambda entry: ea & entry.mask != entry.epn)

    def tlbsync(self) -> None:
        """Nothing to wait for: there is one core and invalidations complete at once."""

    def tlbilx(self, t: int, ea: int, mas6: int) -> None:
        """Invalidate locally: T=0 every entry, T=1 those whose TID is MAS6[SPID], T=3 those
        translating ``ea`` for MAS6[SPID] (TID 0 included, TS ignored). IPROT entries survive;
        T=2 is an illegal instruction form."""
        spid = (mas6 & MAS6_SPID) >> MAS6_SPID_SHIFT
        ea &= EA_MASK
        if t == 0:
            keep = lambda entry: False  # noqa: E731
        elif t == 1:
            keep = lambda entry: entry.tid != spid  # noqa: E731
        elif t == 3:
            keep = lambda entry: not entry.matches(ea, spid, entry.ts)  # noqa: E731
        else:
            raise illegal()
        self._invalidate((*self.tlb0, *self.tlb1), keep)

    def write_mmucsr0(self, value: int) -> None:
        """Flash-invalidate TLB0 and/or TLB1 (sparing IPROT). The bits clear themselves at once,
        so MMUCSR0 always reads 0."""
        entries = [*(self.tlb0 if value & MMUCSR0_TLB0_FI else ()),
                   *(self.tlb1 if value & MMUCSR0_TLB1_FI else ())]
        self._invalidate(entries, lambda entry: False)

    # --- lookup --------------------------------------------------------------------------------

    def alone(self, first: int, end: int, found: Translation, address_space: int, pid: int) -> bool:
        """True if no valid entry but the one of ``found`` maps any address of ``[first, end)``
        for ``pid`` in ``address_space``: that entry then translates every one of them."""
        for tlb, entries in ((0, self.tlb0), (1, self.tlb1)):
            for index, entry in enumerate(entries):
                if (entry.valid and entry.epn < end and first < entry.epn + entry.size and entry.ts == address_space
                        and (entry.tid == 0 or entry.tid == pid) and (tlb, index) != (found.tlb, found.index)):
                    return False
        return True

    def _lookup(self, ea: int, address_space: int, pid: int, privileged: bool) -> Translation | None:
        """The translation of ``ea`` by the first matching entry, whatever the access; None on a miss."""
        found = self._search(ea, pid, address_space)
        if found is None:
            return None
        tlb, index, entry = found
        offset = ea & (entry.size - 1)
        return Translation(entry.rpn | offset, ea - offset, entry.rpn, entry.size,
                           entry.super_perms if privileged else entry.user_perms,
                           entry.mas2 & MAS2_ATTRIBUTES, tlb, index)

    def translate(self, ea: int, access: int, address_space: int, pid: int, privileged: bool,
                  mas4: int = 0) -> Translation | TlbFault:
        """Translate ``ea`` for ``access`` (an ``Access`` kind) in ``address_space`` (MSR[IS] for fetches, MSR[DS] for
        data) with PID ``pid``, as supervisor (``privileged``, MSR[PR] = 0) or user.

        Never changes any state. On a TLB miss the fault's ``mas`` holds what the hardware
        preloads from ``mas4``: MAS0 = TLBSELD | victim way | next victim; MAS1 = V | TID=PID |
        TS | TSIZED; MAS2 = EPN | MAS4's attribute defaults; MAS3 = 0; MAS6 = SPID=PID | SAS;
        and MAS7 = 0.
        """
        ea &= EA_MASK
        found = self._lookup(ea, address_space, pid, privileged)
        fetch = access == Access.FETCH
        if found is None:
            tid = pid if mas4 & MAS4_TIDSELD == 0 else 0
            mas = self._refill(ea, tid, address_space, True, mas4)
            mas[SPR_MAS6] = pid << MAS6_SPID_SHIFT | (MAS6_SAS if address_space else 0)
            reason = f"no TLB entry maps {ea:#010x} for PID {pid} in address space {address_space}"
            if fetch:
                return TlbFault(booke.IVOR_ITLB_MISS, None, None, mas, reason)
            return TlbFault(booke.IVOR_DTLB_MISS, booke.ESR_ST if access == Access.STORE else 0, ea,
                            mas, reason)
        if found.perms & _NEEDED[access]:
            return found
        mode = "supervisor" if privileged else "user"
        reason = (f"TLB{found.tlb}[{found.index}] maps {ea:#010x} {_perm_text(found.perms)} for the "
                  f"{mode}, which may not {Access.NAMES[access]} it")
        if fetch:
            return TlbFault(booke.IVOR_INSN_STORAGE, 0, None, {}, reason)
        return TlbFault(booke.IVOR_DATA_STORAGE, booke.ESR_ST if access == Access.STORE else 0, ea, {},
                        reason)

    def debug_translate(self, ea: int, data_space: int, fetch_space: int, pid: int,
                        privileged: bool) -> Translation | None:
        """What a debugger's access to ``ea`` reaches, as QEMU's debug path: the page if it is
        readable in the data address space, else if it is executable in the fetch address space;
        None if neither. Side-effect free like ``translate``; writes need no write permission."""
        ea &= EA_MASK
        for space, needed in ((data_space, PERM_R), (fetch_space, PERM_X)):
            found = self._lookup(ea, space, pid, privileged)
            if found is not None and found.perms & needed:
                return found
        return None

    # --- monitor texts ---------------------------------------------------------------------

    @staticmethod
    def _entry_text(tlb: int, index: int, entry: TlbEntry) -> str:
        name = f"TLB{tlb}[{index}]" if tlb == 1 else \
            f"TLB0[{index}] set {index // TLB0_WAYS} way {index % TLB0_WAYS}"
        attributes = "".join(letter for letter, bit in zip("WIMGE", (16, 8, 4, 2, 1))
                             if entry.mas2 & bit) or "-"
        return (f"{name}: EA {entry.epn:#010x} -> RA {entry.rpn:#011x} {_size_text(entry.size)} "
                f"TID {entry.tid} TS {entry.ts} S:{_perm_text(entry.super_perms)} "
                f"U:{_perm_text(entry.user_perms)} {attributes}{' IPROT' if entry.iprot else ''}")

    def describe(self) -> str:
        """The valid entries, one a line (for ``monitor tlb``)."""
        lines = [self._entry_text(tlb, index, entry)
                 for tlb, entries in ((1, self.tlb1), (0, self.tlb0))
                 for index, entry in enumerate(entries) if entry.valid]
        return "\n".join(lines) if lines else "no valid TLB entries"

    def describe_address(self, ea: int, data_space: int, fetch_space: int, pid: int,
                         privileged: bool) -> str:
        """What ``ea`` maps to for data and for fetches, and why not (for ``monitor mmu EA``)."""
        ea &= EA_MASK
        lines = []
        for what, space in (("data", data_space), ("fetch", fetch_space)):
            found = self._lookup(ea, space, pid, privileged)
            if found is None:
                lines.append(f"{what} (AS {space}): {ea:#010x} not mapped for PID {pid} in address space "
                             f"{space}")
            else:
                entry = self._entry(found.tlb, found.index)
                lines.append(f"{what} (AS {space}): {ea:#010x} -> RA {found.real:#011x} "
                             f"{_perm_text(found.perms)} via {self._entry_text(found.tlb, found.index, entry)}")
        return "\n".join(lines)

    # --- snapshots -----------------------------------------------------------------------------

    def save(self) -> tuple:
        """The whole state, exactly, as an immutable value."""
        return (tuple(entry.state() for entry in self.tlb0), tuple(entry.state() for entry in self.tlb1),
                self.victim)

    def restore(self, state: tuple) -> None:
        """Return to a state ``save`` produced."""
        tlb0, tlb1, victim = state
        if len(tlb0) != len(self.tlb0) or len(tlb1) != len(self.tlb1):
            raise ValueError("not an MMU state this model saved")
        for entry, values in zip((*self.tlb0, *self.tlb1), (*tlb0, *tlb1)):
            entry.load(*values)
        self.victim = victim
        self._changed(None)
