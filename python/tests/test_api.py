# SPDX-License-Identifier: BSD-3-Clause
"""The package's surface, without starting the library."""

from __future__ import annotations

import pickle
import unittest

import jouletrace


class Surface(unittest.TestCase):
    def test_exports(self) -> None:
        for name in jouletrace.__all__:
            self.assertTrue(hasattr(jouletrace, name), name)
        self.assertEqual(jouletrace.API_VERSION, 2)
        self.assertRegex(jouletrace.__version__, r"^\d+\.\d+\.\d+")
        self.assertTrue(jouletrace._jt.__file__.startswith(jouletrace.__path__[0]))

    def test_error_keeps_status_through_pickle(self) -> None:
        e = jouletrace.Error("window 3 was never begun", 3, "unknown_window")
        self.assertIsInstance(e, RuntimeError)
        copy = pickle.loads(pickle.dumps(e))
        self.assertEqual((str(copy), copy.code, copy.status), (str(e), 3, "unknown_window"))

    def test_sync_hook_validation(self) -> None:
        with self.assertRaises(TypeError):
            jouletrace.set_default_sync("not callable")
        with self.assertRaises(TypeError):
            jouletrace.phase("x", sync=True)
        self.assertIsNone(jouletrace.get_default_sync())
        previous = jouletrace.set_default_sync(print)
        try:
            self.assertIsNone(previous)
            self.assertIs(jouletrace.get_default_sync(), print)
        finally:
            self.assertIs(jouletrace.set_default_sync(None), print)

    def test_measurement_helpers(self) -> None:
        c = jouletrace.ComponentEnergy("powercap/intel-rapl:0", "package", "counter", 2.0, 0.01, True,
                                     5, 0.5, "/sys/class/powercap/intel-rapl:0/energy_uj")
        m = jouletrace.Measurement("train", 1.0, 0.5, 2.0, 0.01, "counter", 4, 0.5, False, (c,))
        self.assertEqual(m.average_power_w, 4.0)
        self.assertIs(m.component("powercap/intel-rapl:0"), c)
        self.assertIsNone(m.component("nvml/GPU-0"))
        self.assertIn("4 items", str(m))
        zero = jouletrace.Measurement("z", 0.0, 0.0, 0.0, 0.0, "counter", 0, None, True, ())
        self.assertIsNone(zero.average_power_w)  # no duration: no power, not 0 W
        self.assertIn("short window", str(zero))
        unknown = jouletrace.Measurement("u", 0.0, 1.0, None, None, "none", 3, None, False, (),
                                         note="no energy sensor")
        self.assertIsNone(unknown.average_power_w)
        self.assertIn("energy unknown", str(unknown))
        self.assertIn("no energy sensor", str(unknown))

    def test_shutdown_when_not_started_is_harmless(self) -> None:
        if jouletrace._jt.mode() != jouletrace._jt.MODE_UNINITIALIZED:
            self.skipTest("another test module left the library running")
        jouletrace.shutdown()
        jouletrace.shutdown()


if __name__ == "__main__":
    unittest.main()
