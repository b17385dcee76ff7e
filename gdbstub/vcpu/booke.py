"""Architected BookE / e500mc constants: SPR numbers, MSR bits, debug register bits.

Values from the Freescale e500 Core Family Reference Manual and Linux ``reg_booke.h``;
see ``docs/architecture.md`` for where each is used.
"""

# --- MSR bits (32-bit values) -------------------------------------------------
MSR_GS = 0x10000000
MSR_UCLE = 0x04000000
MSR_SPE = 0x02000000
MSR_CE = 0x00020000
MSR_EE = 0x00008000
MSR_PR = 0x00004000
MSR_FP = 0x00002000
MSR_ME = 0x00001000
MSR_FE0 = 0x00000800
MSR_DE = 0x00000200
MSR_FE1 = 0x00000100
MSR_IS = 0x00000020
MSR_DS = 0x00000010

# --- SPR numbers --------------------------------------------------------------
SPR_XER = 1
SPR_LR = 8
SPR_CTR = 9
SPR_DEC = 22
SPR_SRR0 = 26
SPR_SRR1 = 27
SPR_PID = 48
SPR_DECAR = 54
SPR_CSRR0 = 58
SPR_CSRR1 = 59
SPR_DEAR = 61
SPR_ESR = 62
SPR_IVPR = 63
SPR_TBL_R = 268
SPR_TBU_R = 269
SPR_SPRG0 = 272  # SPRG0..SPRG3 are 272..275; SPRG4..7 are 276..279 (write) / 260..263 (read)
SPR_SPRG4_R = 260
SPR_TBL_W = 284
SPR_TBU_W = 285
SPR_PIR = 286
SPR_PVR = 287
SPR_DBSR = 304
SPR_DBCR0 = 308
SPR_DBCR1 = 309
SPR_DBCR2 = 310
SPR_IAC1 = 312
SPR_IAC2 = 313
SPR_IAC3 = 314
SPR_IAC4 = 315
SPR_DAC1 = 316
SPR_DAC2 = 317
SPR_DVC1 = 318   # 440 only (data value compare)
SPR_DVC2 = 319
SPR_TSR = 336
SPR_TCR = 340
SPR_IVOR0 = 400  # IVOR0..IVOR15 are 400..415
SPR_IVOR15 = 415
SPR_DSRR0 = 574
SPR_DSRR1 = 575
SPR_SVR = 1023

PVR_E500MC = 0x80230020

# --- DBCR0 --------------------------------------------------------------------
DBCR0_EDM = 0x80000000
DBCR0_IDM = 0x40000000
DBCR0_RST = 0x30000000
DBCR0_IC = 0x08000000
DBCR0_BT = 0x04000000
DBCR0_IRPT = 0x02000000
DBCR0_TRAP = 0x01000000
DBCR0_IAC1 = 0x00800000
DBCR0_IAC2 = 0x00400000
DBCR0_IAC3 = 0x00200000
DBCR0_IAC4 = 0x00100000
DBCR0_DAC1R = 0x00080000
DBCR0_DAC1W = 0x00040000
DBCR0_DAC2R = 0x00020000
DBCR0_DAC2W = 0x00010000
DBCR0_RET = 0x00008000
DBCR0_FT = 0x00000001
DBCR0_IAC = (DBCR0_IAC1, DBCR0_IAC2, DBCR0_IAC3, DBCR0_IAC4)  # indexed by slot
DBCR0_DACR = (DBCR0_DAC1R, DBCR0_DAC2R)
DBCR0_DACW = (DBCR0_DAC1W, DBCR0_DAC2W)

# --- DBSR (write-one-to-clear) ------------------------------------------------
DBSR_IDE = 0x80000000
DBSR_UDE = 0x40000000
DBSR_MRR = 0x30000000
DBSR_IC = 0x08000000
DBSR_BT = 0x04000000
DBSR_IRPT = 0x02000000
DBSR_TIE = 0x01000000
DBSR_IAC1 = 0x00800000
DBSR_IAC2 = 0x00400000
DBSR_IAC3 = 0x00200000
DBSR_IAC4 = 0x00100000
DBSR_DAC1R = 0x00080000
DBSR_DAC1W = 0x00040000
DBSR_DAC2R = 0x00020000
DBSR_DAC2W = 0x00010000
DBSR_RET = 0x00008000
DBSR_IAC = (DBSR_IAC1, DBSR_IAC2, DBSR_IAC3, DBSR_IAC4)
DBSR_DACR = (DBSR_DAC1R, DBSR_DAC2R)
DBSR_DACW = (DBSR_DAC1W, DBSR_DAC2W)
DBSR_IAC_ANY = DBSR_IAC1 | DBSR_IAC2 | DBSR_IAC3 | DBSR_IAC4
DBSR_DAC_ANY = DBSR_DAC1R | DBSR_DAC1W | DBSR_DAC2R | DBSR_DAC2W
DBSR_EVENTS = DBSR_BT | DBSR_IRPT | DBSR_RET | DBSR_TIE   # the events with no address compare
DBCR0_EVENTS = DBCR0_BT | DBCR0_IRPT | DBCR0_RET | DBCR0_TRAP  # ... and their enables

# --- DBCR1 / DBCR2 --------------------------------------------------------------
DBCR1_IAC1US = 0xC0000000
DBCR1_IAC2US = 0x0C000000
DBCR1_IAC3US = 0x0000C000
DBCR1_IAC4US = 0x00000C00
DBCR1_IAC12M = 0x00800000     # IAC12M mode field = 0b10: IAC1 <= address < IAC2 (inclusive range)
DBCR1_IAC12MX = 0x00C00000    # 0b11: address < IAC1 or address >= IAC2 (exclusive range)
DBCR1_IAC12MODE = 0x00C00000  # the whole IAC12M mode field
DBCR1_IACUS = (DBCR1_IAC1US, DBCR1_IAC2US, DBCR1_IAC3US, DBCR1_IAC4US)
DBCR2_DAC1US = 0xC0000000
DBCR2_DAC2US = 0x0C000000
DBCR2_DAC1ER = 0x30000000
DBCR2_DAC2ER = 0x03000000
DBCR2_DAC12M = 0x00800000     # DAC12M mode field = 0b10: DAC1 <= address < DAC2 (inclusive range)
DBCR2_DAC12MODE = 0x00C00000  # the whole DAC12M mode field
DBCR2_DACUS = (DBCR2_DAC1US, DBCR2_DAC2US)
# 440 data value compare: DVCnM 0b01 AND (every enabled byte lane matches), 0b10 OR, 0b11 AND-OR
DBCR2_DVC1M = 0x000C0000
DBCR2_DVC2M = 0x00030000
DBCR2_DVC1BE = 0x00000F00     # byte lanes 0-3 of DVC1, lane 0 (the most significant byte) = 0x800
DBCR2_DVC2BE = 0x0000000F
DBCR2_DVCM = (DBCR2_DVC1M, DBCR2_DVC2M)
DBCR2_DVCBE = (DBCR2_DVC1BE, DBCR2_DVC2BE)
DVC_AND, DVC_OR, DVC_AND_OR = 1, 2, 3

# --- ESR bits used by Program / DSI interrupts ------------------------------------
ESR_PIL = 0x08000000  # illegal instruction
ESR_PPR = 0x04000000  # privileged instruction
ESR_PTR = 0x02000000  # trap
ESR_FP = 0x01000000
ESR_ST = 0x00800000   # store access
ESR_PUO = 0x00040000  # unimplemented operation

# --- Interrupt vector offsets (IVOR numbers) ----------------------------------------
IVOR_CRITICAL = 0
IVOR_MACHINE_CHECK = 1
IVOR_DATA_STORAGE = 2
IVOR_INSN_STORAGE = 3
IVOR_EXTERNAL = 4
IVOR_ALIGNMENT = 5
IVOR_PROGRAM = 6
IVOR_FP_UNAVAILABLE = 7
IVOR_SYSCALL = 8
IVOR_AP_UNAVAILABLE = 9
IVOR_DECREMENTER = 10
IVOR_FIT = 11
IVOR_WATCHDOG = 12
IVOR_DTLB_MISS = 13
IVOR_ITLB_MISS = 14
IVOR_DEBUG = 15

# --- Instruction words ------------------------------------------------------------
EHPRIV_DEBUG = 0x7C000A1C      # ehpriv 1: KVM's software-breakpoint instruction
ILLEGAL_DEBUG_WORD = 0x00DDDD00  # later kernels' software-breakpoint word (an illegal opcode)

# --- Added by the vCPU: e500mc registers and vectors beyond the debug facility ---------
SPR_USPRG0 = 256
SPR_SPRG3_R = 259
SPR_MCSRR0 = 570
SPR_MCSRR1 = 571
SPR_SPRG8 = 604  # SPRG8/SPRG9: the scratch registers of the machine check and debug levels
SPR_SPRG9 = 605
SPR_L1CSR2 = 606
SPR_HID0 = 1008
SPR_HID1 = 1009
SPR_L1CSR0 = 1010
SPR_L1CSR1 = 1011
SPR_BUCSR = 1013
SPR_IVOR32 = 528  # IVOR32..35 are 528..531 (SPE/embedded FP, performance monitor)
# IVOR36/37 are 532/533 (processor doorbell, doorbell critical); IVOR38..42 are 432..436
SPR_IVOR38 = 432
SPR_L1CFG0 = 515
SPR_L1CFG1 = 516
SPR_MCSR = 572   # write-one-to-clear
SPR_MCAR = 573
SPR_EPR = 702    # external proxy: the vector the interrupt controller gave on acknowledge
SPR_L2CSR0 = 1017
L1CFG_E500MC = 0x01003820   # L1CFG0 and L1CFG1 as QEMU's e500mc reports them
L1CSR_CFI = 0x00000002      # L1CSR0[CFI] / L1CSR1[ICFI]: flash invalidate
L1CSR_CLFC = 0x00000100     # L1CSR0[CLFC] / L1CSR1[ICLFR]: lock flash clear
L2CSR0_L2FI = 0x00200000    # flash invalidate
L2CSR0_L2LFC = 0x00000400   # lock flash clear
SVR_E500MC = 0  # SVR as QEMU's e500mc model reports it (no system-on-chip version)

MSR_PMM = 0x00000004
MSR_RI = 0x00000002
# MSR bits an e500mc keeps on mtmsr/rfi (the others read as 0)
MSR_WRITABLE = (MSR_GS | MSR_UCLE | MSR_CE | MSR_EE | MSR_PR | MSR_FP | MSR_ME | MSR_FE0 | MSR_DE
                | MSR_FE1 | MSR_IS | MSR_DS | MSR_PMM | MSR_RI)

E500MC_CACHE_LINE = 64  # bytes zeroed by dcbz, invalidated by icbi

IVOR_SPE_UNAVAILABLE = 32
IVOR_HV_PRIVILEGE = 41
IVOR_LRAT_ERROR = 42
