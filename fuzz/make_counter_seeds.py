#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes counter_sequence seeds (fuzz/corpus/counter_sequence) in the byte layout the fuzzer's
# FuzzedDataProvider reads: integers are taken from the end of the input, most significant byte
# first. Usage: fuzz/make_counter_seeds.py fuzz/corpus/counter_sequence in the byte layout FuzzedDataProvider reads: integers are taken
# from the end of the input, most significant byte first.
import sys
out_dir = sys.argv[1]

class Seed:
    def __init__(self): self.chunks = []
    def integral(self, value, lo, hi):
        rng = hi - lo
        v = value - lo
        nbytes = 0
        while nbytes < 8 and (rng >> (8 * nbytes)) > 0: nbytes += 1
        bs = [(v >> (8 * (nbytes - 1 - i))) & 0xff for i in range(nbytes)]
        self.chunks.append(bytes(bs))  # consumed in this order from the end
    def u8(self, v): self.integral(v, 0, 0xff)
    def u16(self, v): self.integral(v, 0, 0xffff)
    def u32(self, v): self.integral(v, 0, 0xffffffff)
    def u64(self, v): self.integral(v, 0, 2**64 - 1)
    def data(self):
        flat = b''.join(self.chunks)
        return flat[::-1]

def channel(s, quantity, scale_index, modulus_choice, period_mode, power_mode, power=None):
    s.integral(quantity, 0, 7)
    s.integral(scale_index, 0, 5)        # PickValueInArray over 6 scales
    s.integral(modulus_choice, 0, 5)
    s.integral(period_mode, 0, 3)
    s.integral(power_mode, 0, 2)
    if power_mode == 1: s.integral(power, 1, 2000)
    s.u8(0)                              # default options

def reading(s, op, step, raw_arg=0):
    """op as the fuzzer reads it: bits 0-1 status choice, 2-4 raw change, 6 and 5 status
    modifiers, 7 microsecond steps. The raw change says how many bytes raw_arg takes."""
    s.u8(op); s.u32(step)
    kind = (op >> 2) & 7
    if kind <= 2: s.u16(raw_arg)                 # small advance
    elif kind == 3: s.u32(raw_arg)               # larger advance
    elif kind == 4: s.u64(raw_arg)               # any value
    elif kind == 5: s.integral(raw_arg, 0, 10**9)  # torn: raw / (1 + raw_arg)
    elif kind == 6: s.u16(raw_arg)               # small decrease
    else: s.u16(raw_arg)                         # kind 7: small advance, then % modulus

# RAPL package: uJ, 262143328851 modulus, 1 ms period, 100 W; steady, then a wrap, a torn read.
s = Seed()
channel(s, 0, 0, 1, 1, 1, 100)
s.integral(1_000_000_000, 0, 2**50)
s.u64(262_143_000_000)  # 0.33 J below the top
for _ in range(6): reading(s, 0x80, 10_000, 50_000)                    # 5 W
reading(s, 0x80 | (3 << 2), 10_000, 20_000)                            # 2 W, just below the top
reading(s, 0x80 | (7 << 2), 10_000, 50_000)                            # 5 W through the wrap
reading(s, 0x80, 10_000, 50_000)
reading(s, 0x80 | (5 << 2), 10_000, 1000)                              # torn: leading digits
reading(s, 0x80 | (4 << 2), 10_000, 400_000)                           # any value
reading(s, 0x81 | 0x40, 10_000, 1)                                     # skipped
reading(s, 0x82 | 0x40, 10_000, 1)                                     # unavailable
open(f'{out_dir}/rapl_wrap_torn', 'wb').write(s.data())

# hwmon averaged power in uW, 1 s interval, readings every 100 ms, then a long gap and a loss.
s = Seed()
channel(s, 7, 0, 0, 2, 0)
s.integral(1000, 0, 10_000)  # update period 1 s (mode 2)
s.integral(0, 0, 2**50)
s.u64(50_000_000)
for _ in range(5): reading(s, 0x80, 100_000, 1000)
reading(s, 0x80, 0xffffffff, 1000)                                     # a 71 min gap
reading(s, 0x83 | 0x60, 1000, 0)                                       # lost
reading(s, 0x80, 1000, 1000)
open(f'{out_dir}/hwmon_power_gap_lost', 'wb').write(s.data())

# A 32-bit counter in 2^-14 J with a reset to a small value.
s = Seed()
channel(s, 0, 2, 3, 1, 1, 300)
s.integral(5, 0, 2**50)
s.u64(4_000_000_000)
for _ in range(3): reading(s, 0x80, 1000, 500)
reading(s, 0x80 | (4 << 2), 1000, 20)                                  # reset
for _ in range(3): reading(s, 0x80, 1000, 500)
open(f'{out_dir}/msr_reset', 'wb').write(s.data())
