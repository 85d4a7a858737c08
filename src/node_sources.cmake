# Node profile, calibration and the runtime estimate (issue 4).
