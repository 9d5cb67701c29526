#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host test of the vnpu Python binding, no device needed (TAP): the
library's prototypes resolve, errors carry errno and accel_strerror()'s
text, enumeration on a machine without vnpu devices is empty, opening
what does not exist fails with the documented errno, dtype mapping.
The device paths (BOs as numpy views, models) are tested in the full
guest only: the busybox guest has no python3.

usage: VNPU_LIBACCEL=build/lib/libaccel.so.1 test_host.py PYTHON_DIR"""
import errno
import os
import sys

sys.path.insert(0, sys.argv[1])
import numpy as np  # noqa: E402
import vnpu  # noqa: E402

n = 0
failed = 0


def ok(cond, name):
    global n, failed
    n += 1
    print("%sok %d %s" % ("" if cond else "not ", n, name))
    if not cond:
        failed += 1


def raises(fn, eno):
    try:
        fn()
    except vnpu.AccelError as e:
        return e.errno == eno, e
    except Exception as e:  # noqa: BLE001
        return False, e
    return False, None


lib = vnpu.library()
ok(all(getattr(lib, name).argtypes is not None for name in vnpu._PROTOS),
   "every prototype resolves in libaccel")
s = vnpu.strerror(-errno.ENOENT)
ok(isinstance(s, str) and s != "", "strerror(-ENOENT) = %r" % s)
ok(vnpu.strerror(errno.ENOENT) == s, "strerror takes positive errno values too")

have_dev = os.path.isdir("/sys/class/accel") and os.listdir("/sys/class/accel")
try:
    devs = vnpu.devices()
    ok(isinstance(devs, list) and (have_dev or devs == []),
       "devices() without vnpu devices is empty (%r)" % devs)
except vnpu.AccelError as e:
    ok(False, "devices() raised %s" % e)

r, e = raises(lambda: vnpu.Device("/nonexistent/accel0"), errno.ENOENT)
ok(r, "Device(missing path) raises AccelError ENOENT (%s)" % e)
ok(isinstance(e, OSError) and "open" in str(e), "AccelError is an OSError naming the call")
if not have_dev:
    r, e = raises(lambda: vnpu.Device(0), errno.ENODEV)
    ok(r, "Device(0) without devices raises AccelError ENODEV (%s)" % e)
    r, e = raises(lambda: vnpu.Device(pci="0000:99:00.0"), errno.ENODEV)
    ok(r, "Device(pci=absent) raises AccelError ENODEV (%s)" % e)
else:
    print("ok %d # SKIP host has accel devices" % (n + 1)); n += 1
    print("ok %d # SKIP host has accel devices" % (n + 1)); n += 1

ok(vnpu.np_dtype(vnpu.DT_F32) == np.float32 and vnpu.np_dtype(vnpu.DT_I8) == np.int8
   and vnpu.np_dtype(vnpu.DT_U8) == np.uint8 and vnpu.np_dtype(vnpu.DT_I32) == np.int32
   and vnpu.np_dtype(vnpu.DT_BF16) == np.uint16, "accel dtypes map to numpy dtypes")
try:
    vnpu.np_dtype(99)
    ok(False, "unknown dtype refused")
except ValueError:
    ok(True, "unknown dtype refused")

io = vnpu.ModelIO()
io.rank = 2
io.shape[0], io.shape[1] = 1, 64
ok(io.dims == (1, 64), "ModelIO.dims follows rank")
ok(vnpu.ModelIO.size.offset == 32 and vnpu._c.sizeof(vnpu.ModelIO) == 40,
   "ModelIO matches struct accel_model_io's layout")

# compile(): through vnpu-compile (VNPU_COMPILE), on the build's models
models = os.environ.get("VNPU_MODELS", "")
mlp = os.path.join(models, "mlp.onnx")
if os.environ.get("VNPU_COMPILE") and os.path.exists(mlp):
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mlp.vnpu")
        vnpu.compile(mlp, out, batch=4)
        ok(open(out, "rb").read(8) == b"VNPUPKG\0", "compile() writes a package")
        calib = np.load(os.path.join(models, "calib_x.npy"))
        vnpu.compile(mlp, out, int8=True, calib=calib[:16])
        ok(open(out, "rb").read(8) == b"VNPUPKG\0", "compile(int8, numpy calib)")
        try:
            vnpu.compile(os.path.join(models, "bad_opset.onnx"), out)
            ok(False, "an unsupported model raises CompileError")
        except vnpu.CompileError as e:
            ok(str(e) != "", "an unsupported model raises CompileError (%s)" % str(e)[:60])
        try:
            vnpu.compile(mlp, out, calib=calib)
            ok(False, "calib without int8 is refused")
        except ValueError:
            ok(True, "calib without int8 is refused")
else:
    for i in range(4):
        n += 1
        print("ok %d # SKIP no VNPU_COMPILE/VNPU_MODELS" % n)

print("1..%d" % n)
sys.exit(1 if failed else 0)
