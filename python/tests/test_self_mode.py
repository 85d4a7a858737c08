# SPDX-License-Identifier: BSD-3-Clause
"""Self mode: the library samples a fixture node in this process while the live writer advances
package-0 at a known power, so every window's energy is known: 50 W x its duration."""

from __future__ import annotations

import os
import threading
import time
import unittest
import warnings

import jouletrace

from jt_support import FixtureNode, live_writer

WATTS = 50.0
# The writer ticks every 1 ms and a loaded 2-core machine may read a boundary late by ~10 ms:
# 12 ms of energy at 50 W.
TOLERANCE_J = WATTS * 0.012
PKG0_ID = "powercap/intel-rapl:0"


class SelfModeOnLiveNode(unittest.TestCase):
    node: FixtureNode

    @classmethod
    def setUpClass(cls) -> None:
        writer = live_writer()
        if writer is None:
            raise unittest.SkipTest("live_rapl_writer not found (build it, or set JT_LIVE_WRITER)")
        os.environ.pop("JOULETRACE_MARKERS", None)  # never report to a `jouletrace run` above us
        jouletrace.shutdown()
        cls.node = FixtureNode("intel-2s")
        try:
            cls.node.start_writer(writer, WATTS)
            jouletrace.init(interval_s=0.02, **cls.node.init_kwargs())
        except BaseException:
            cls.node.close()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            jouletrace.shutdown()
        finally:
            jouletrace.set_default_sync(None)
            cls.node.close()

    def tearDown(self) -> None:
        jouletrace.set_default_sync(None)

    def assertEnergyMatches(self, m: jouletrace.Measurement, watts: float = WATTS) -> None:
        self.assertIsInstance(m, jouletrace.Measurement)
        expected = watts * m.duration_s
        self.assertAlmostEqual(m.energy_j, expected, delta=TOLERANCE_J,
                               msg=f"{m}: expected {expected:.4f} J")
        pkg = m.component(PKG0_ID)
        self.assertIsNotNone(pkg, f"no {PKG0_ID} in {m.components}")
        self.assertAlmostEqual(pkg.energy_j, expected, delta=TOLERANCE_J)
        self.assertEqual(pkg.method, "counter")
        self.assertEqual(pkg.domain, "package")
        self.assertTrue(pkg.in_total)
        # The readings behind the figure: the live writer's file, read at least at both ends.
        self.assertIn("intel-rapl:0", pkg.provenance)
        self.assertGreaterEqual(pkg.samples, 2)
        self.assertGreater(pkg.covered_s, 0.0)
        self.assertLessEqual(pkg.covered_s, m.duration_s + 1e-9)
        self.assertGreaterEqual(m.samples, pkg.samples)
        self.assertLessEqual(m.covered_s, pkg.covered_s + 1e-9)

    # -- the three ways to mark a phase ------------------------------------------------------

    def test_mode_is_self(self) -> None:
        self.assertEqual(jouletrace.mode(), "self")

    def test_context_manager_gets_power_times_duration(self) -> None:
        with jouletrace.phase("train") as p:
            self.assertIs(jouletrace.current_phase(), p)
            time.sleep(0.5)
        self.assertIsNone(jouletrace.current_phase())
        m = p.measurement
        self.assertEqual(m.name, "train")
        self.assertGreaterEqual(m.duration_s, 0.5)
        self.assertLess(m.duration_s, 1.5)
        self.assertGreaterEqual(m.start_s, 0.0)
        self.assertEnergyMatches(m)
        self.assertEqual(m.method, "counter")
        self.assertFalse(m.short_window)
        self.assertGreaterEqual(m.uncertainty_j, 0.0)
        self.assertEqual(m.items, 0)
        self.assertIsNone(m.energy_per_item_j)  # no items: unknown, never 0
        self.assertAlmostEqual(m.average_power_w, WATTS, delta=WATTS * 0.05)
        self.assertEqual(m.time, m.duration_s)
        self.assertEqual(m.total_energy, m.energy_j)
        # The other zones are static: nothing there.
        pkg1 = m.component("powercap/intel-rapl:1")
        self.assertIsNotNone(pkg1)
        self.assertAlmostEqual(pkg1.energy_j, 0.0, delta=1e-6)
        self.assertIn("train", str(m))

    def test_decorator_measures_each_call(self) -> None:
        @jouletrace.phase("infer")
        def infer(batch):
            time.sleep(0.3)
            jouletrace.current_phase().add_items(len(batch))
            return [x * 2 for x in batch]

        self.assertEqual(infer.__name__, "infer")
        self.assertEqual(infer([1, 2, 3]), [2, 4, 6])
        first = infer.phase.measurement
        self.assertEqual(first.items, 3)
        self.assertEnergyMatches(first)
        self.assertEqual(infer(list(range(10))), [x * 2 for x in range(10)])
        second = infer.phase.measurement
        self.assertEqual(second.items, 10)
        self.assertGreater(second.start_s, first.start_s)
        self.assertEnergyMatches(second)

    def test_begin_end_window(self) -> None:
        w = jouletrace.begin_window("eval")
        self.assertIsInstance(w, jouletrace.Window)
        self.assertEqual(w.name, "eval")
        self.assertGreater(w.id, 0)
        time.sleep(0.5)
        m = jouletrace.end_window(w)
        self.assertEqual(m.name, "eval")
        self.assertEnergyMatches(m)

    def test_end_window_by_name_ends_the_latest_open_one(self) -> None:
        outer = jouletrace.begin_window("step")
        inner = jouletrace.begin_window("step")
        time.sleep(0.2)
        m_inner = jouletrace.end_window("step")
        time.sleep(0.2)
        m_outer = jouletrace.end_window("step")
        self.assertLess(m_inner.duration_s, m_outer.duration_s)
        self.assertEnergyMatches(m_inner)
        self.assertEnergyMatches(m_outer)
        for w in (outer, inner):
            with self.assertRaises(jouletrace.Error):
                jouletrace.end_window(w)

    def test_items_and_energy_per_item(self) -> None:
        with jouletrace.phase("train") as p:
            for _ in range(10):
                time.sleep(0.05)
                p.add_items(32)
        m = p.measurement
        self.assertEqual(m.items, 320)
        self.assertEnergyMatches(m)
        self.assertAlmostEqual(m.energy_per_item_j, m.energy_j / 320, delta=1e-9)
        self.assertIn("320 items", str(m))

        w = jouletrace.begin_window("tokens")
        jouletrace.add_items(w, 1000)
        w.add_items(24)
        jouletrace.add_items(w.id, 1)
        self.assertEqual(jouletrace.end_window(w).items, 1025)

    def test_nested_and_overlapping_windows(self) -> None:
        a = jouletrace.begin_window("a")
        time.sleep(0.2)
        b = jouletrace.begin_window("b")
        time.sleep(0.2)
        m_a = jouletrace.end_window(a)
        time.sleep(0.2)
        m_b = jouletrace.end_window(b)
        self.assertNotEqual(a.id, b.id)
        self.assertEnergyMatches(m_a)
        self.assertEnergyMatches(m_b)
        self.assertLess(m_a.start_s, m_b.start_s)
        with jouletrace.phase("outer") as outer:
            with jouletrace.phase("inner") as inner:
                self.assertIs(jouletrace.current_phase(), inner)
                time.sleep(0.2)
            self.assertIs(jouletrace.current_phase(), outer)
            time.sleep(0.1)
        self.assertGreater(outer.measurement.duration_s, inner.measurement.duration_s)
        self.assertEnergyMatches(outer.measurement)
        self.assertEnergyMatches(inner.measurement)

    def test_phases_in_threads(self) -> None:
        results = {}

        def work(name: str, seconds: float) -> None:
            with jouletrace.phase(name) as p:
                time.sleep(seconds)
            results[name] = p.measurement

        threads = [threading.Thread(target=work, args=(f"t{i}", 0.2 + 0.1 * i)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(results), ["t0", "t1", "t2"])
        for m in results.values():
            self.assertEnergyMatches(m)  # the node's energy over each thread's window

    def test_a_very_short_window_is_flagged(self) -> None:
        m = jouletrace.end_window(jouletrace.begin_window("blink"))
        self.assertTrue(m.short_window)
        self.assertLess(m.duration_s, 0.05)
        self.assertLess(m.energy_j, WATTS * 0.05 + TOLERANCE_J)

    def test_exception_in_block_still_ends_the_window(self) -> None:
        p = jouletrace.phase("fails")
        with self.assertRaises(KeyError):
            with p:
                time.sleep(0.2)
                raise KeyError("boom")
        self.assertIsNone(p.window)
        self.assertEnergyMatches(p.measurement)
        # The phase object can be used again.
        with p:
            pass
        self.assertIsNotNone(p.measurement)

    # -- sync hooks ----------------------------------------------------------------------------

    def test_sync_hook_is_called_at_both_boundaries(self) -> None:
        calls = []

        def sync() -> None:
            calls.append(time.monotonic())

        with jouletrace.phase("train", sync=sync):
            self.assertEqual(len(calls), 1)
        self.assertEqual(len(calls), 2)

        w = jouletrace.begin_window("w", sync=sync)
        self.assertEqual(len(calls), 3)
        jouletrace.end_window(w)
        self.assertEqual(len(calls), 4)
        jouletrace.end_window(jouletrace.begin_window("w", sync=sync), sync=False)
        self.assertEqual(len(calls), 5)

        @jouletrace.phase("step", sync=sync)
        def step() -> int:
            return 7

        self.assertEqual(step(), 7)
        self.assertEqual(step(), 7)
        self.assertEqual(len(calls), 9)

    def test_boundaries_are_taken_after_the_sync_hook(self) -> None:
        # A hook that takes 0.15 s (like waiting for queued GPU work): the begin boundary comes
        # after it (its time is not in the phase), the end boundary after it too (it is).
        with jouletrace.phase("slow-sync", sync=lambda: time.sleep(0.15)) as p:
            pass
        self.assertGreaterEqual(p.measurement.duration_s, 0.15)
        self.assertLess(p.measurement.duration_s, 0.28)
        self.assertEnergyMatches(p.measurement)

    def test_default_sync_hook(self) -> None:
        calls = []
        self.assertIsNone(jouletrace.set_default_sync(lambda: calls.append(1)))
        self.assertIsNotNone(jouletrace.get_default_sync())
        with jouletrace.phase("a"):
            pass
        self.assertEqual(len(calls), 2)
        with jouletrace.phase("b", sync=False):
            pass
        self.assertEqual(len(calls), 2)
        other = []
        with jouletrace.phase("c", sync=lambda: other.append(1)):
            pass
        self.assertEqual((len(calls), len(other)), (2, 2))
        jouletrace.end_window(jouletrace.begin_window("d"))
        self.assertEqual(len(calls), 4)
        jouletrace.set_default_sync(None)
        with jouletrace.phase("e"):
            pass
        self.assertEqual(len(calls), 4)

    def test_a_failing_sync_hook(self) -> None:
        def broken() -> None:
            raise ValueError("device lost")

        with self.assertRaises(ValueError):
            jouletrace.begin_window("x", sync=broken)

        state = {"fail": False}

        def fails_at_end() -> None:
            if state["fail"]:
                raise ValueError("device lost")

        p = jouletrace.phase("y", sync=fails_at_end)
        with self.assertRaises(ValueError):
            with p:
                state["fail"] = True
        self.assertIsNone(p.window)          # ended anyway
        self.assertIsNotNone(p.measurement)
        # The block's own exception wins over the hook's.
        state["fail"] = False
        with self.assertRaises(KeyError):
            with jouletrace.phase("z", sync=fails_at_end):
                state["fail"] = True
                raise KeyError("first")

    # -- misuse ----------------------------------------------------------------------------------

    def test_misuse_raises_error(self) -> None:
        w = jouletrace.begin_window("once")
        jouletrace.end_window(w)
        with self.assertRaises(jouletrace.Error) as ctx:
            jouletrace.end_window(w)
        self.assertEqual(ctx.exception.status, "unknown_window")
        self.assertTrue(str(ctx.exception))
        with self.assertRaises(jouletrace.Error):
            jouletrace.add_items(w, 1)
        with self.assertRaises(jouletrace.Error):
            jouletrace.end_window(987654321)
        with self.assertRaises(jouletrace.Error):
            jouletrace.end_window("never begun")
        with self.assertRaises(jouletrace.Error) as ctx:
            jouletrace.begin_window("")
        self.assertEqual(ctx.exception.status, "invalid_argument")
        with self.assertRaises(jouletrace.Error):
            jouletrace.begin_window("x" * 201)
        with self.assertRaises(jouletrace.Error):
            jouletrace.begin_window("a\0b")
        open_window = jouletrace.begin_window("open")
        try:
            with self.assertRaises(jouletrace.Error):
                jouletrace.add_items(open_window, -1)
            with self.assertRaises(TypeError):
                jouletrace.add_items(open_window, 1.5)
        finally:
            jouletrace.end_window(open_window)
        with self.assertRaises(TypeError):
            jouletrace.begin_window(b"bytes")
        with self.assertRaises(TypeError):
            jouletrace.end_window(1.0)

    def test_phase_misuse(self) -> None:
        p = jouletrace.phase("p")
        with self.assertRaises(jouletrace.Error):
            p.add_items(1)
        with p:
            with self.assertRaises(jouletrace.Error):
                p.__enter__()
        with self.assertRaises(TypeError):
            jouletrace.phase("q", sync=42)
        with self.assertRaises(TypeError):
            jouletrace.phase(3)
        with self.assertRaises(TypeError):
            @jouletrace.phase("gen")
            def batches():
                yield 1

    def test_async_function_decorator(self) -> None:
        import asyncio

        @jouletrace.phase("serve")
        async def serve(n: int) -> int:
            await asyncio.sleep(0.2)
            jouletrace.current_phase().add_items(n)
            return n + 1

        self.assertEqual(asyncio.run(serve(4)), 5)
        m = serve.phase.measurement
        self.assertEqual(m.items, 4)
        self.assertGreaterEqual(m.duration_s, 0.2)
        self.assertEnergyMatches(m)

    def test_a_long_name_and_unicode_are_accepted(self) -> None:
        for name in ("x" * 200, "époque 1", "100% done"):
            m = jouletrace.end_window(jouletrace.begin_window(name))
            self.assertEqual(m.name, name)

    def test_init_again_with_options_warns(self) -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            jouletrace.init()  # no options: silent
            self.assertEqual(caught, [])
            jouletrace.init(interval_s=1.0)
        self.assertEqual(len(caught), 1)
        self.assertIs(caught[0].category, RuntimeWarning)
        self.assertEqual(jouletrace.mode(), "self")

    def test_dropped_markers(self) -> None:
        self.assertEqual(jouletrace.dropped_markers(), 0)


if __name__ == "__main__":
    unittest.main()
