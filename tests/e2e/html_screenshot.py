#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""`jouletrace report --html` rendered by headless Chromium (docs/REPORT.md).

Writes a run page (tests/golden/gpu_node.json) and a study page (tests/fixtures/study/study.json)
with the built binary, checks that neither names an external resource, opens each in headless
Chromium with the network made unreachable, and decodes the screenshot: it must not be blank,
and each series colour the page draws must be there. Skips (77) without Chromium unless
JOULETRACE_REQUIRE_CHROMIUM=1, which CI sets.
"""

import argparse
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

SKIP = 77
# The Okabe-Ito palette, in the order the page gives it to series (src/report/html_page.cpp).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
URL = re.compile(r"https?://[^\"' <>]*")


def rgb(colour):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, width, height, channels):
    stride = width * channels
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + paeth(left, up, corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return rows


def decode_png(path):
    """(width, height, rows of RGB(A) bytes, channels) of an 8-bit RGB or RGBA PNG."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"{path}: depth {depth}, colour type {colour_type}: not decoded here")
    channels = 3 if colour_type == 2 else 4
    return width, height, unfilter(zlib.decompress(idat), width, height, channels), channels


def colour_counts(path):
    width, height, rows, channels = decode_png(path)
    counts = {}
    for row in rows:
        for x in range(0, width * channels, channels):
            pixel = row[x:x + 3]
            counts[pixel] = counts.get(pixel, 0) + 1
    return width * height, counts


def pixels_near(counts, colour, tolerance=4):
    r, g, b = rgb(colour)
    return sum(n for p, n in counts.items()
               if abs(p[0] - r) <= tolerance and abs(p[1] - g) <= tolerance
               and abs(p[2] - b) <= tolerance)


def screenshot(chromium, page, png, work, height):
    profile = tempfile.mkdtemp(dir=work)
    argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
            # No network: every host unresolvable, every proxied request refused.
            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--screenshot={png}", f"--window-size=1200,{height}", page.as_uri()]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=90)
    if result.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium exited {result.returncode}:\n{result.stderr[-2000:]}")


def check_page(failures, label, chromium, page, work, expected_colours, height):
    html = page.read_text(encoding="utf-8")
    for url in URL.findall(html):
        if url != "http://www.w3.org/2000/svg":
            failures.append(f"{label}: names an external resource: {url}")
    for loads in ("<script", "@import", "url(", "<link", "<iframe"):
        if loads in html:
            failures.append(f"{label}: has {loads!r}")
    if re.search(r"<[^>]*\s(src|href|xlink:href)=", html):
        failures.append(f"{label}: a tag loads something (src or href)")
    png = work / f"{label}.png"
    screenshot(chromium, page, png, work, height)
    total, counts = colour_counts(png)
    white = counts.get(b"\xff\xff\xff", 0)
    if total - white < total // 50:
        failures.append(f"{label}: the screenshot is (nearly) blank: {total - white} of {total} "
                        "pixels not white")
    for colour in expected_colours:
        found = pixels_near(counts, colour)
        if found < 40:
            failures.append(f"{label}: only {found} pixels of the series colour {colour}")
    print(f"{label}: {total - white} of {total} pixels drawn; "
          + ", ".join(f"{c} {pixels_near(counts, c)}" for c in expected_colours))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jouletrace", required=True)
    parser.add_argument("--source", required=True, help="the repository root")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("skipped: no chromium (Debian: apt-get install chromium)")
        return 1 if os.environ.get("JOULETRACE_REQUIRE_CHROMIUM") == "1" else SKIP
    started = time.monotonic()
    source = pathlib.Path(args.source)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        pages = {
            # The GPU node: package, its core, two GPUs and the node meter.
            "run": ([str(source / "tests/golden/gpu_node.json")], PALETTE[:5], 2400),
            # The study: bars in the first colour; the power charts further down.
            "study": ([str(source / "tests/fixtures/study/study.json")], PALETTE[:5], 6000),
        }
        for label, (inputs, colours, height) in pages.items():
            page = work / f"{label}.html"
            result = subprocess.run([args.jouletrace, "report", *inputs, "--html", str(page)],
                                    capture_output=True, text=True, timeout=60)
            if result.returncode != 0:
                failures.append(f"{label}: report exited {result.returncode}: {result.stderr}")
                continue
            check_page(failures, label, chromium, page, work, colours, height)
    print(f"took {time.monotonic() - started:.1f} s")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
