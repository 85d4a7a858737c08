# SPDX-License-Identifier: BSD-3-Clause
"""Parent mode: a child process started the way `jouletrace run` starts a command (a pipe's write
end inherited and named in JOULETRACE_MARKERS before jouletrace is imported) sends its markers as
B/E/N records; its end_window returns None because the energy is in the parent's report."""

from __future__ import annotations

import textwrap
import unittest
from typing import List

from jt_support import FixtureNode, Record, run_under_pipe

PRELUDE = textwrap.dedent("""
    import json, os, sys, time
    import jouletrace
    sync_ns = []
    def sync():
        sync_ns.append(time.monotonic_ns())
""")


def child(body: str) -> str:
    return PRELUDE + textwrap.dedent(body)


class ParentMode(unittest.TestCase):
    def run_child(self, body: str, **kwargs):
        result = run_under_pipe(child(body), **kwargs)
        self.assertEqual(result.returncode, 0, f"child failed:\n{result.stdout}\n{result.stderr}")
        return result

    def assertWellFormed(self, result, records: List[Record]) -> None:
        for r in records:
            self.assertEqual(r.pid, result.pid, r)
            self.assertGreater(r.window, 0, r)
            self.assertGreaterEqual(r.t_ns, result.started_ns, r)
            self.assertLessEqual(r.t_ns, result.finished_ns, r)

    def test_phase_sends_begin_items_end(self) -> None:
        result = self.run_child("""
            with jouletrace.phase("train", sync=sync) as p:
                p.add_items(64)
                p.add_items(36)
                time.sleep(0.05)
            print(json.dumps({"mode": jouletrace.mode(), "measurement": p.measurement,
                              "sync_ns": sync_ns, "window": None}))
            jouletrace.shutdown()
        """)
        out = result.json()
        self.assertEqual(out["mode"], "parent")
        self.assertIsNone(out["measurement"])
        records = result.records()
        self.assertWellFormed(result, records)
        self.assertEqual([r.kind for r in records], ["B", "N", "N", "E"])
        self.assertEqual({r.name for r in records}, {"train"})
        self.assertEqual(len({r.window for r in records}), 1)
        self.assertEqual([r.count for r in records if r.kind == "N"], [64, 36])
        times = [r.t_ns for r in records]
        self.assertEqual(times, sorted(times))
        begin, end = records[0], records[-1]
        self.assertGreaterEqual(end.t_ns - begin.t_ns, 50_000_000)
        # The hook ran just before each boundary was taken.
        self.assertEqual(len(out["sync_ns"]), 2)
        self.assertLessEqual(out["sync_ns"][0], begin.t_ns)
        self.assertLessEqual(out["sync_ns"][1], end.t_ns)
        self.assertGreater(out["sync_ns"][1], begin.t_ns)

    def test_init_is_implicit_and_markers_flush_at_exit(self) -> None:
        # No init(), no shutdown(): the first marker initialises, atexit flushes.
        result = self.run_child("""
            w = jouletrace.begin_window("eval")
            m = jouletrace.end_window(w)
            print(json.dumps({"m": m, "mode": jouletrace.mode(), "id": w.id}))
        """)
        out = result.json()
        self.assertIsNone(out["m"])
        self.assertEqual(out["mode"], "parent")
        records = result.records()
        self.assertWellFormed(result, records)
        self.assertEqual([(r.kind, r.name, r.window) for r in records],
                         [("B", "eval", out["id"]), ("E", "eval", out["id"])])

    def test_decorator_nested_and_overlapping_windows(self) -> None:
        result = self.run_child("""
            @jouletrace.phase("infer")
            def infer(n):
                jouletrace.current_phase().add_items(n)
                return n

            a = jouletrace.begin_window("a")
            with jouletrace.phase("outer"):
                infer(3)
                infer(5)
            b = jouletrace.begin_window("b")
            jouletrace.end_window(a)
            jouletrace.end_window("b")
            print(json.dumps({"measurement": infer.phase.measurement}))
        """)
        self.assertIsNone(result.json()["measurement"])
        records = result.records()
        self.assertWellFormed(result, records)
        self.assertEqual([(r.kind, r.name) for r in records],
                         [("B", "a"), ("B", "outer"),
                          ("B", "infer"), ("N", "infer"), ("E", "infer"),
                          ("B", "infer"), ("N", "infer"), ("E", "infer"),
                          ("E", "outer"), ("B", "b"), ("E", "a"), ("E", "b")])
        begins = [r for r in records if r.kind == "B"]
        self.assertEqual(len({r.window for r in begins}), len(begins), "window ids must differ")
        by_id = {r.window: r.name for r in begins}
        for r in records:
            self.assertEqual(by_id[r.window], r.name, r)
        self.assertEqual([r.count for r in records if r.kind == "N"], [3, 5])

    def test_names_are_percent_encoded(self) -> None:
        result = self.run_child("""
            for name in ["my phase", "100%", "époque", "tab\\there"]:
                jouletrace.end_window(jouletrace.begin_window(name))
            jouletrace.shutdown()
        """)
        records = result.records()
        self.assertEqual([r.name for r in records if r.kind == "B"],
                         ["my%20phase", "100%25", "%C3%A9poque", "tab%09here"])

    def test_misuse_raises_error_in_parent_mode(self) -> None:
        result = self.run_child("""
            errors = []
            try:
                jouletrace.init(interval_s=-1.0)
                errors.append(None)
            except jouletrace.Error as e:
                errors.append(e.status)
            w = jouletrace.begin_window("x")
            jouletrace.end_window(w)
            for call in (lambda: jouletrace.end_window(w), lambda: jouletrace.add_items(w, 1),
                         lambda: jouletrace.begin_window("")):
                try:
                    call()
                    errors.append(None)
                except jouletrace.Error as e:
                    errors.append(e.status)
            print(json.dumps({"errors": errors}))
        """)
        self.assertEqual(result.json()["errors"],
                         ["invalid_argument", "unknown_window", "unknown_window",
                          "invalid_argument"])
        self.assertEqual([r.kind for r in result.records()], ["B", "E"])

    def test_measure_in_process_under_a_parent(self) -> None:
        node = FixtureNode("intel-2s")
        try:
            result = self.run_child(f"""
                jouletrace.init(interval_s=0.02, measure_in_process=True,
                                sysfs_root={str(node.sysfs)!r}, dev_root={str(node.dev)!r},
                                nvml_library="/nonexistent")
                with jouletrace.phase("train") as p:
                    p.add_items(10)
                    time.sleep(0.1)
                m = p.measurement
                print(json.dumps({{"mode": jouletrace.mode(), "items": m.items,
                                   "duration_s": m.duration_s,
                                   "ids": [c.id for c in m.components]}}))
                jouletrace.shutdown()
            """)
        finally:
            node.close()
        out = result.json()
        self.assertEqual(out["mode"], "self")  # it measures, and still reports to the parent
        self.assertEqual(out["items"], 10)
        self.assertGreaterEqual(out["duration_s"], 0.1)
        self.assertIn("powercap/intel-rapl:0", out["ids"])
        self.assertEqual([r.kind for r in result.records()], ["B", "N", "E"])

    def test_a_forked_child_reports_with_its_own_pid(self) -> None:
        result = self.run_child("""
            with jouletrace.phase("before-fork"):
                pass
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                with jouletrace.phase("in-fork") as p:  # implicit init in the child
                    p.add_items(2)
                os.write(w, json.dumps({"mode": jouletrace.mode()}).encode())
                jouletrace.shutdown()
                os._exit(0)
            os.close(w)
            child_out = json.loads(os.read(r, 4096).decode())
            os.waitpid(pid, 0)
            with jouletrace.phase("after-fork"):
                pass
            print(json.dumps({"fork_pid": pid, "fork_mode": child_out["mode"]}))
        """)
        out = result.json()
        self.assertEqual(out["fork_mode"], "parent")
        records = result.records()
        pids = {r.name: r.pid for r in records}
        self.assertEqual(pids, {"before-fork": result.pid, "in-fork": out["fork_pid"],
                                "after-fork": result.pid})
        self.assertEqual([r.kind for r in records if r.name == "in-fork"], ["B", "N", "E"])

    def test_self_mode_without_any_sensor_never_breaks_the_program(self) -> None:
        # Every laptop, VM, CI runner and non-root cluster node: the phase ends normally after
        # the work, with its energy None and why; one warning per process, at init.
        node = FixtureNode("no-sensors")
        try:
            result = run_under_pipe(child(f"""
                import warnings
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    jouletrace.init(sysfs_root={str(node.sysfs)!r}, dev_root={str(node.dev)!r},
                                    nvml_library="/nonexistent")
                    at_init = len(caught)
                    with jouletrace.phase("train") as p:
                        p.add_items(8)
                    with jouletrace.phase("infer") as q:
                        pass
                m = p.measurement
                print(json.dumps({{"mode": jouletrace.mode(), "at_init": at_init,
                                   "warnings": [str(w.message) for w in caught],
                                   "energy": m.energy_j, "method": m.method, "items": m.items,
                                   "per_item": m.energy_per_item_j, "note": m.note,
                                   "second": q.measurement.energy_j}}))
            """), markers=False)
        finally:
            node.close()
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.json()
        self.assertEqual(out["mode"], "self")
        self.assertEqual(out["at_init"], 1)
        self.assertEqual(len(out["warnings"]), 1, out["warnings"])
        self.assertIn("no energy sensor", out["warnings"][0])
        self.assertIsNone(out["energy"])
        self.assertIsNone(out["second"])
        self.assertIsNone(out["per_item"])
        self.assertEqual(out["method"], "none")
        self.assertEqual(out["items"], 8)
        self.assertIn("sensor", out["note"])
        self.assertNotIn("jouletrace:", result.stderr)  # no second copy from the C library

    def test_strict_keeps_the_error_for_those_who_want_it(self) -> None:
        node = FixtureNode("no-sensors")
        try:
            result = run_under_pipe(child(f"""
                import warnings
                warnings.simplefilter("ignore")
                jouletrace.init(sysfs_root={str(node.sysfs)!r}, dev_root={str(node.dev)!r},
                                nvml_library="/nonexistent", strict=True)
                try:
                    with jouletrace.phase("train"):
                        pass
                    status, text = None, ""
                except jouletrace.Error as e:
                    status, text = e.status, str(e)
                print(json.dumps({{"status": status, "text": text}}))
            """), markers=False)
        finally:
            node.close()
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.json()
        self.assertEqual(out["status"], "not_available")
        self.assertIn("sensor", out["text"])

    def test_without_markers_variable_nothing_is_written(self) -> None:
        node = FixtureNode("intel-2s")
        try:
            result = run_under_pipe(child(f"""
                jouletrace.init(sysfs_root={str(node.sysfs)!r}, dev_root={str(node.dev)!r},
                                nvml_library="/nonexistent")
                m = jouletrace.end_window(jouletrace.begin_window("solo"))
                print(json.dumps({{"mode": jouletrace.mode(), "measured": m is not None}}))
            """), markers=False)
        finally:
            node.close()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.json(), {"mode": "self", "measured": True})
        self.assertEqual(result.pipe, "")


if __name__ == "__main__":
    unittest.main()
