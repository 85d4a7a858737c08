# SPDX-License-Identifier: BSD-3-Clause
"""Helpers for the jouletrace Python tests: fixture trees, the live counter writer, a parent pipe."""

from __future__ import annotations

import glob
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import jouletrace

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("JT_FIXTURE_DIR", REPO / "tests" / "fixtures"))

# The sysfs fixture's package-0 zone (intel-2s: ESU=14, see tests/fixtures/sysfs/README.md).
PKG0 = "class/powercap/intel-rapl:0/energy_uj"
PKG0_MAX_RANGE_UJ = 262143328850


def live_writer() -> Optional[str]:
    """The live_rapl_writer binary: $JT_LIVE_WRITER (set by ctest), else one in a build tree."""
    path = os.environ.get("JT_LIVE_WRITER")
    if path:
        return path if os.access(path, os.X_OK) else None
    for candidate in sorted(glob.glob(str(REPO / "build*" / "tests" / "fakes" / "live_rapl_writer"))):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class FixtureNode:
    """A private copy of a fixture sysfs tree, an empty /dev and, optionally, the live writer
    advancing package-0 at a known power."""

    def __init__(self, tree: str = "intel-2s", remove_node_meter: bool = True) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="jt-py-")
        self.root = Path(self.tmp.name)
        self.sysfs = self.root / "sys"
        self.dev = self.root / "dev"
        shutil.copytree(FIXTURES / "sysfs" / tree, self.sysfs)
        self.dev.mkdir()
        if remove_node_meter:
            # Without the ACPI power meter the total is the sum of the parts, so the 50 W of
            # package-0 is the whole node's power.
            shutil.rmtree(self.sysfs / "class" / "hwmon", ignore_errors=True)
        self.writer: Optional[subprocess.Popen] = None

    def init_kwargs(self) -> Dict[str, str]:
        return {"sysfs_root": str(self.sysfs), "dev_root": str(self.dev),
                "nvml_library": "/nonexistent"}

    def start_writer(self, binary: str, watts: float) -> None:
        ready = self.root / "writer.ready"
        self.writer_err = open(self.root / "writer.err", "wb")
        self.writer = subprocess.Popen(
            [binary, "--channel", f"{self.sysfs / PKG0}:{watts}:{PKG0_MAX_RANGE_UJ}",
             "--tick-ms", "1", "--duration-s", "0", "--ready-file", str(ready)],
            stdout=subprocess.DEVNULL, stderr=self.writer_err)
        deadline = time.monotonic() + 10
        while not ready.exists():
            if self.writer.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("live_rapl_writer did not start: "
                                   + (self.root / "writer.err").read_text(errors="replace"))
            time.sleep(0.005)

    def close(self) -> None:
        if self.writer is not None:
            if self.writer.poll() is None:
                self.writer.send_signal(signal.SIGTERM)
                try:
                    self.writer.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.writer.kill()
                    self.writer.wait()
            self.writer_err.close()
            self.writer = None
        self.tmp.cleanup()


@dataclass
class Record:
    kind: str       # B, E or N
    t_ns: int
    pid: int
    window: int
    count: Optional[int]
    name: str       # as written: percent-encoded


def parse_records(text: str) -> List[Record]:
    records = []
    for line in text.splitlines():
        fields = line.split(" ")
        if fields[0] != "JT1":
            raise AssertionError(f"not a marker record: {line!r}")
        if fields[1] in ("B", "E"):
            if len(fields) != 6:
                raise AssertionError(f"malformed record: {line!r}")
            records.append(Record(fields[1], int(fields[2]), int(fields[3]), int(fields[4]),
                                  None, fields[5]))
        elif fields[1] == "N":
            if len(fields) != 7:
                raise AssertionError(f"malformed record: {line!r}")
            records.append(Record("N", int(fields[2]), int(fields[3]), int(fields[4]),
                                  int(fields[5]), fields[6]))
        else:
            raise AssertionError(f"unknown record type: {line!r}")
    return records


@dataclass
class ChildResult:
    returncode: int
    pid: int
    stdout: str
    stderr: str
    pipe: str               # everything the child wrote on the marker channel
    started_ns: int         # CLOCK_MONOTONIC just before the child was started
    finished_ns: int        # ... and after it exited

    def json(self):
        lines = [line for line in self.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise AssertionError(f"the child printed no JSON:\n{self.stdout}\n{self.stderr}")
        return json.loads(lines[-1])

    def records(self) -> List[Record]:
        return parse_records(self.pipe)


def run_under_pipe(script: str, timeout: float = 60, env: Optional[Dict[str, str]] = None,
                   markers: bool = True) -> ChildResult:
    """Runs `python3 -c script` the way `jouletrace run` would: with a pipe's write end inherited
    and named in JOULETRACE_MARKERS (set before the child imports jouletrace)."""
    read_fd, write_fd = os.pipe()
    child_env = dict(os.environ)
    package_parent = str(Path(jouletrace.__file__).resolve().parents[1])
    child_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_parent, child_env.get("PYTHONPATH", "")) if p)
    child_env.pop("JOULETRACE_MARKERS", None)
    if markers:
        child_env["JOULETRACE_MARKERS"] = f"fd:{write_fd}"
    child_env.update(env or {})
    chunks: List[bytes] = []

    def drain() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], 0.1)
            if ready:
                data = os.read(read_fd, 65536)
                if not data:
                    return
                chunks.append(data)

    started = time.monotonic_ns()
    try:
        child = subprocess.Popen([sys.executable, "-c", script], pass_fds=(write_fd,),
                                 env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
    finally:
        os.close(write_fd)  # only the child holds the write end now: EOF when it exits
    reader = threading.Thread(target=drain)
    reader.start()
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        stdout, stderr = child.communicate()
    finished = time.monotonic_ns()
    reader.join()
    os.close(read_fd)
    return ChildResult(child.returncode, child.pid, stdout, stderr,
                       b"".join(chunks).decode("ascii"), started, finished)
