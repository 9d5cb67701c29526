#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Device test of the vnpu Python binding (TAP). `make check-install` runs
it in the full Debian guest as a user in group render, on the installed
python3-vnpu, libaccel1 and vnpu-tools (tests/install/full-guest-checks.sh);
`make check-python-guest` runs it in the busybox guest with the host's
python3 and numpy added to the initramfs (tools/install/python-initrd.sh).
Neither is part of make check.

The digits MLP through Python must give the same outputs as the C path
(vnpu-run-model on the same package and input), and BO views are zero
copy (a write through one numpy view is seen through a second mapping).

usage: test_device.py [DATA_DIR (default /usr/share/vnpu)]"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import vnpu

data = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/vnpu"
n = 0
failed = 0


def ok(cond, name):
    global n, failed
    n += 1
    print("%sok %d %s" % ("" if cond else "not ", n, name))
    if not cond:
        failed += 1


devs = vnpu.devices()
if not devs:
    print("1..0 # SKIP no vnpu device")
    sys.exit(0)
ok(all(d.devnode.startswith("/dev/accel/accel") for d in devs),
   "devices() lists /dev/accel nodes: %r" % devs)

with vnpu.Device(0) as dev:
    ok(dev.query(vnpu.PARAM_NUM_QUEUES) >= 1, "query(NUM_QUEUES)")
    bo = dev.bo(1 << 16)
    a = bo.array(np.float32)
    b = bo.array(np.float32)
    a[:] = np.arange(a.size, dtype=np.float32)
    ok(a.ctypes.data == b.ctypes.data and np.array_equal(a, b),
       "two views of a BO share its mapping (zero copy)")
    dst = dev.bo(1 << 16)
    d = dst.array(np.float32)
    d[:] = -1
    a[:] = np.random.default_rng(1).standard_normal(a.size, dtype=np.float32)
    dev.copy(dst, bo)
    ok(np.array_equal(d, a),
       "the device reads what numpy wrote and numpy sees what the device wrote (no copies)")
    try:
        dev.copy(dst, bo, size=1 << 20)
        ok(False, "a copy beyond the BOs fails")
    except vnpu.AccelError as e:
        ok(True, "a copy beyond the BOs fails (%s)" % e)
    try:
        bo.array(np.float32, (1 << 15,))
        ok(False, "a view larger than the BO is refused")
    except ValueError:
        ok(True, "a view larger than the BO is refused")

    x = np.load(os.path.join(data, "digits_x.npy")).astype(np.float32)
    ref = np.load(os.path.join(data, "mlp_ref.npy")).astype(np.float32)
    model = dev.load_model(os.path.join(data, "mlp.vnpu"))
    batch = model.inputs[0].dims[0]
    outs = [model.run(x[s:s + batch])[0] for s in range(0, len(x) - len(x) % batch, batch)]
    y = np.concatenate(outs).reshape(len(outs) * batch, -1)
    ok(np.array_equal(y.argmax(1), ref[:len(y)].argmax(1)),
       "Python path: digits predictions match the ONNX Runtime reference")
    with tempfile.TemporaryDirectory() as tmp:
        xin = os.path.join(tmp, "x.npy")
        np.save(xin, x[:len(y)])
        out = os.path.join(tmp, "y.npy")
        r = subprocess.run(["vnpu-run-model", os.path.join(data, "mlp.vnpu"),
                            "-i", xin, "-o", out, "-q"], capture_output=True)
        yc = np.load(out).reshape(y.shape) if r.returncode == 0 else None
        ok(yc is not None and np.array_equal(y, yc),
           "Python path == C path (vnpu-run-model), bit for bit")
    try:
        model.run(np.zeros((3, 3), np.float32))
        ok(False, "an input of the wrong shape is refused")
    except ValueError:
        ok(True, "an input of the wrong shape is refused")
    model.free()
    try:
        dev.load_model(b"not a package")
        ok(False, "a bad package raises AccelError EBADMSG")
    except vnpu.AccelError as e:
        ok(e.errno == 74, "a bad package raises AccelError EBADMSG (%s)" % e)

print("1..%d" % n)
sys.exit(1 if failed else 0)
