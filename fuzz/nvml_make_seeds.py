#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the nvml_sequence seeds (fuzz/corpus/nvml_sequence/).

The byte format is described in nvml_sequence_fuzzer.cpp (header) and nvml_script_library.cpp
(script). Each seed is a scenario the backend must handle, spelled as the calls it makes, so that
the fuzzer starts from inputs that get past init, count and probe instead of having to guess them.

    fuzz/nvml_make_seeds.py [OUT_DIR=fuzz/corpus/nvml_sequence]
"""
import os
import struct
import sys

# nvml_script_library.cpp: 0xA0 + i selects CODES[i].
CODES = [1, 2, 3, 4, 6, 7, 9, 12, 13, 15, 28, 999]
NOT_SUPPORTED, NO_PERMISSION, DRIVER_NOT_LOADED = 3, 4, 9
GPU_IS_LOST, GPU_NOT_FOUND, UNKNOWN = 15, 28, 999

# Variant mask bits (nvml_script_library.hpp): a set bit leaves that entry point out.
NO_UUID, NO_NAME, NO_ENERGY, NO_POWER, NO_LIMIT, NO_UTIL = (1 << b for b in range(6))

OK = b"\x00"


def fail(code):
    if code in CODES:
        return bytes([0xA0 + CODES.index(code)])
    return b"\xff" + struct.pack("<i", code)


def header(mask=0, rounds=8, step_20ms=50):
    return bytes([mask, rounds, step_20ms])


def text(value, length=None):
    data = value.encode()
    return OK + bytes([len(data) if length is None else length]) + data


def energy_add(mj):  # success, counter += mj (u32)
    return OK + b"\x01" + struct.pack("<I", mj)


def energy_set(mj):  # success, counter = mj
    return OK + b"\x02" + struct.pack("<Q", mj)


def energy_back(mj):  # success, counter -= mj (u16)
    return OK + b"\x03" + struct.pack("<H", mj)


def watts(w):  # success, power or limit in 4-W steps
    assert w // 4 < 0xFF, "0xFF escapes to a 4-byte value: watts_exact"
    return OK + bytes([w // 4])


def watts_exact(mw):  # success, power or limit as any u32 of milliwatts
    return OK + b"\xff" + struct.pack("<I", mw)


def util(gpu, memory=0):
    assert gpu < 0xFF, "0xFF escapes to a 4-byte value: util_exact"
    return OK + bytes([gpu, memory])


def util_exact(gpu, memory=0):
    return OK + b"\xff" + struct.pack("<I", gpu) + bytes([memory])


def probe_gpu(uuid, name="NVIDIA H100 80GB HBM3", energy=True, limit_w=700, util_pct=0,
              power_w=300):
    """The calls probe_gpu makes for one GPU with every entry point exported."""
    script = OK + text(uuid) + text(name)  # handle, UUID, name
    script += energy_set(5_000_000) if energy else fail(NOT_SUPPORTED) + watts(power_w)
    return script + util(util_pct) + watts(limit_w)


def init_and_count(count):
    return OK + OK + bytes([count])


SEEDS = {}

# Two healthy Hopper GPUs read 8 times, 1 s apart, at 300 and 120 W.
s = header(rounds=8) + init_and_count(2)
s += probe_gpu("GPU-11111111-2222-3333-4444-555555555555", util_pct=50)
s += probe_gpu("GPU-66666666-7777-8888-9999-000000000000")
for _ in range(8):
    s += energy_add(300_000) + util(90, 40) + energy_add(120_000) + util(5, 1)
SEEDS["healthy_2gpus"] = s

# A pre-Volta driver: nvmlDeviceGetTotalEnergyConsumption is not exported, power is integrated.
s = header(mask=NO_ENERGY, rounds=6) + init_and_count(1)
s += OK + text("GPU-kepler") + text("Tesla K80") + watts(150) + util(30) + watts(150)
for w in (148, 152, 140, 0, 149, 151):
    s += watts(w) + util(70, 20)
SEEDS["no_energy_symbol"] = s

# The symbol is there but the GPU says NOT_SUPPORTED: the same power path, chosen at run time.
s = header(rounds=5) + init_and_count(1)
s += probe_gpu("GPU-turing", name="Tesla T4", energy=False, limit_w=70, power_w=40)
for w in (40, 44, 68, 36, 28):
    s += watts(w) + util(100, 60)
SEEDS["energy_not_supported"] = s

# Two GPUs; GPU 1 falls off the bus in round 3, GPU 0's utilisation says NOT_FOUND in round 5
# (that reading stands, the next is kLost). Neither may be asked again.
s = header(rounds=9) + init_and_count(2)
s += probe_gpu("GPU-aaaa") + probe_gpu("GPU-bbbb")
for r in range(9):
    if r < 5:
        s += energy_add(250_000) + (fail(GPU_NOT_FOUND) if r == 4 else util(80))
    if r < 2:
        s += energy_add(250_000) + util(80)
    elif r == 2:
        s += fail(GPU_IS_LOST)
SEEDS["gpu_lost_mid_run"] = s

# One GPU whose counter steps back a little (a torn value), jumps to a new base (driver reload)
# and carries on, with utilisation above 100 % and an unknown return code in between.
s = header(rounds=10, step_20ms=10) + init_and_count(1)
s += probe_gpu("GPU-cccc", util_pct=200)
s += energy_add(60_000) + util(50)
s += energy_back(30_000) + util(250, 250)
s += energy_add(60_000) + util(50)
s += energy_set(1_000) + util(50)
s += energy_add(60_000) + util(50)
s += energy_add(60_000) + fail(12345)
s += fail(UNKNOWN)
s += energy_add(120_000) + util_exact(0xFFFFFFFF)
s += energy_set(2**64 - 10_000) + util(10)
s += energy_add(70_000) + util(10)  # wraps past 2^64
SEEDS["counter_backwards"] = s

# nvmlInit_v2 refuses: permission (device nodes), driver not loaded, or a code NVML never had.
SEEDS["init_no_permission"] = header() + fail(NO_PERMISSION)
SEEDS["init_driver_not_loaded"] = header() + fail(DRIVER_NOT_LOADED)
SEEDS["init_odd_code"] = header() + fail(-7)

# Count fails, count is zero.
SEEDS["count_fails"] = header() + OK + fail(UNKNOWN)
SEEDS["count_zero"] = header() + init_and_count(0)

# Only the required entry points: no GPU can be measured, each gets an error report.
SEEDS["required_symbols_only"] = header(mask=0x3F) + init_and_count(2) + OK + OK

# No UUID getter (ids by index), a UUID that fills the whole 96-byte buffer unterminated, an
# empty UUID, a failing handle, and a name full of NULs.
s = header(mask=0, rounds=4) + init_and_count(4)
s += OK + text("GPU-" + "f" * 100, length=104) + text("\0\0\0name") + energy_set(0) + util(0)
s += watts(0)
s += OK + text("")  # empty UUID: this GPU is an error, asked nothing more
s += fail(GPU_IS_LOST)  # handle
s += OK + text("GPU-dddd") + text("H200") + energy_set(1) + util(0) + watts_exact(4_000_000_000)
for _ in range(4):
    s += energy_add(100_000) + util(20) + energy_add(100_000) + util(20)
SEEDS["odd_strings"] = s
SEEDS["no_uuid_getter"] = (header(mask=NO_UUID | NO_LIMIT, rounds=3) + init_and_count(2) +
                           OK + text("A100") + energy_set(7) + util(1) +
                           OK + text("A100") + energy_set(9) + util(1) +
                           (energy_add(200_000) + util(3) + energy_add(200_000) + util(4)) * 3)

# Found by the fuzzer: two indices answer one UUID; the second must not become a second channel
# with the same id.
SEEDS["regression-duplicate_uuid"] = (header(rounds=2) + init_and_count(2) +
                                      probe_gpu("GPU-same") + probe_gpu("GPU-same") +
                                      (energy_add(100_000) + util(10)) * 2)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus",
                                                             "nvml_sequence")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
