#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes agent_journal seeds (fuzz/corpus/agent_journal): history.journal files as
# src/agent/journal.cpp writes them (a text header, then per row an int64 CLOCK_MONOTONIC instant
# and one double per channel, little-endian as on the x86 nodes), and the ways one goes wrong.
# Usage: fuzz/make_journal_seeds.py fuzz/corpus/agent_journal
import math
import struct
import sys

out_dir = sys.argv[1]
S = 1_000_000_000
IDS = ["powercap/intel-rapl:0", "nvml/GPU-0", "hwmon/node"]  # the fuzzer's current channels


def header(ids, step_ns=S, boot="0f3c2e1a-5b7d-4c9e-8a6f-2d1b3c4e5f60",
           offset=1_700_000_000 * S):
    text = f"jouletrace-journal 1\nboot {boot}\nstep_ns {step_ns}\n"
    text += f"realtime_minus_monotonic_ns {offset}\nchannels {len(ids)}\n"
    return (text + "".join(i + "\n" for i in ids) + "rows\n").encode()


def rows(n_channels, count, first_t=1000 * S, step=S, watts=(120.0, 300.0, 450.0)):
    out = b""
    for r in range(count):
        out += struct.pack("<q", first_t + r * step)
        for c in range(n_channels):
            out += struct.pack("<d", watts[c % len(watts)] * r)
    return out


def write(name, data):
    with open(f"{out_dir}/{name}", "wb") as f:
        f.write(data)


write("valid", header(IDS) + rows(3, 10))
write("more_than_max_rows", header(IDS) + rows(3, 40))
write("empty_rows", header(IDS))
write("torn", header(IDS) + rows(3, 5) + rows(3, 1)[:13])
write("other_channels", header(["powercap/intel-rapl:0", "powercap/intel-rapl:1"]) + rows(2, 8))
write("other_step", header(IDS, step_ns=S // 10) + rows(3, 8, step=S // 10))
write("unknown_boot", header(IDS, boot="unknown", offset=0) + rows(3, 6))
write("jump", header(IDS) + rows(3, 4) + rows(3, 4, first_t=5000 * S))
nan_row = struct.pack("<q", 1000 * S) + struct.pack("<ddd", math.nan, 1.0, math.inf)
write("nan_and_inf", header(IDS) + nan_row)
write("bogus_header", b"jouletrace-journal 2\nboot x\nstep_ns 0\nchannels -1\nrows\n" + rows(3, 3))
write("no_channels", header([]) + rows(0, 4))
