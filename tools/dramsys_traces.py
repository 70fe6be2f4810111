#!/usr/bin/python3
"""Shared request traces and a DRAMSys configuration for the comparison of the JEDEC DRAM model
with DRAMSys (docs/timing-model.md#jedec-dram-dramsys). Writes into OUT (default dramsys_cmp):
traces/*.stl (DRAMSys STL format, also read by `dtqvp dram-streams --trace`), and the DRAMSys
configuration of this repository's ddr4-3200 preset: memspec, address mapping, FR-FCFS
controller with a 32-entry shared buffer, simconfig, one TRACE.json per trace. Then:
    DRAMSys OUT/TRACE.json OUT                                       # "Total Time"
    build/dtqvp dram-streams --preset ddr4-3200 --trace OUT/traces/TRACE.stl   # "end ns"
Usage: tools/dramsys_traces.py [OUT]"""
import json, os, random, sys

out = sys.argv[1] if len(sys.argv) > 1 else "dramsys_cmp"
for d in ("traces", "memspec", "addressmapping", "mcconfig", "simconfig"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
random.seed(28)


def addr(bg, ba, row, col):  # mapping ro-ra-ba-co-bg-ch: bits 6-7 group, 8-14 column, 15-16 bank, 17-32 row
    return bg << 6 | col << 8 | ba << 15 | row << 17


def trace(name, reqs):
    with open(os.path.join(out, "traces", name + ".stl"), "w") as f:
        for c, op, a in reqs:
            f.write(f"{c}:\t{op}\t0x{a:x}\n")


N = 16384
trace("seq_read", [(0, "read", i * 64) for i in range(N)])
trace("seq_write", [(0, "write", i * 64) for i in range(N)])
rows, prev = [], -1
for _ in range(2000):
    r = random.randrange(65536)
    while r == prev:
        r = random.randrange(65536)
    prev = r
    rows.append(r)
trace("rand_1bank", [(0, "read", addr(0, 0, r, random.randrange(128))) for r in rows])
trace("rand_read", [(0, "read", random.randrange(1 << 33) & ~63) for _ in range(8192)])
trace("rand_rw", [(0, "read" if random.randrange(3) else "write", random.randrange(1 << 33) & ~63) for _ in range(8192)])


def dump(path, obj):
    with open(os.path.join(out, path), "w") as f:
        json.dump(obj, f, indent=1)


# models/memory/dram_presets/ddr4-3200.yaml in DRAMSys's DDR4 memspec keys (power: the preset's currents)
dump("memspec/ddr4_3200_dtqvp.json", {"memspec": {
    "memarchitecturespec": {"burstLength": 8, "dataRate": 2, "nbrOfBankGroups": 4, "nbrOfBanks": 16, "nbrOfColumns": 1024,
                            "nbrOfRanks": 1, "nbrOfRows": 65536, "width": 8, "nbrOfDevices": 8, "nbrOfChannels": 1},
    "memoryId": "dtqvp ddr4-3200 preset", "memoryType": "DDR4",
    "mempowerspec": {"idd0": 60.75, "idd02": 4.05, "idd2n": 38.25, "idd2p0": 17.0, "idd2p1": 17.0, "idd3n": 44.0,
                     "idd3p0": 22.5, "idd3p1": 22.5, "idd4r": 184.5, "idd4w": 168.75, "idd5": 118.0, "idd6": 20.25,
                     "idd62": 2.6, "vdd": 1.2, "vdd2": 2.5},
    "memtimingspec": {"AL": 0, "CCD_L": 8, "CCD_S": 4, "CKE": 8, "CKESR": 9, "CL": 22, "DQSCK": 2, "FAW": 34, "RAS": 52,
                      "RC": 74, "RCD": 22, "REFM": 1, "REFI": 12480, "RFC": 560, "RFC2": 416, "RFC4": 256, "RL": 22,
                      "RPRE": 1, "RP": 22, "RRD_L": 8, "RRD_S": 4, "RTP": 12, "WL": 16, "WPRE": 1, "WR": 24, "WTR_L": 12,
                      "WTR_S": 4, "XP": 10, "XPDLL": 400, "XS": 576, "XSDLL": 768, "ACTPDEN": 2, "PRPDEN": 2, "REFPDEN": 2,
                      "RTRS": 2, "tCK": 625}}})
dump("addressmapping/am_dtqvp_ddr4.json", {"addressmapping": {
    "BYTE_BIT": [0, 1, 2], "COLUMN_BIT": [3, 4, 5] + list(range(8, 15)), "BANKGROUP_BIT": [6, 7], "BANK_BIT": [15, 16],
    "ROW_BIT": list(range(17, 33))}})
dump("mcconfig/fr_fcfs_32.json", {"mcconfig": {
    "PagePolicy": "Open", "Scheduler": "FrFcfs", "SchedulerBuffer": "Shared", "RequestBufferSize": 32, "CmdMux": "Oldest",
    "RespQueue": "Fifo", "RefreshPolicy": "AllBank", "RefreshMaxPostponed": 0, "RefreshMaxPulledin": 0,
    "PowerDownPolicy": "NoPowerDown", "Arbiter": "Simple", "MaxActiveTransactions": 128, "RefreshManagement": False}})
dump("simconfig/cmp.json", {"simconfig": {
    "AddressOffset": 0, "CheckTLM2Protocol": False, "DatabaseRecording": False, "Debug": False, "EnableWindowing": False,
    "PowerAnalysis": False, "SimulationName": "cmp", "SimulationProgressBar": False, "StoreMode": "NoStorage",
    "UseMalloc": False, "WindowSize": 1000}})
for t in ("seq_read", "seq_write", "rand_1bank", "rand_read", "rand_rw"):
    dump(t + ".json", {"simulation": {
        "addressmapping": "am_dtqvp_ddr4.json", "mcconfig": "fr_fcfs_32.json", "memspec": "ddr4_3200_dtqvp.json",
        "simconfig": "cmp.json", "simulationid": t, "tracesetup": [{"clkMhz": 1600, "name": t + ".stl"}]}})
print("wrote", out)
