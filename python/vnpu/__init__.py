# SPDX-License-Identifier: MIT
"""vnpu: Python binding of libaccel (ctypes).

    import numpy as np, vnpu
    for info in vnpu.devices():
        print(info.devnode, info.pci_address)
    with vnpu.Device(0) as dev:
        bo = dev.bo(4096)
        a = bo.array(np.float32, (1024,))   # zero-copy view of the BO's mmap
        model = dev.load_model("/usr/share/vnpu/mlp.vnpu")
        out = model.run(x)                  # numpy in, numpy out

Errors are raised as vnpu.AccelError (an OSError carrying the errno and
accel_strerror()'s text). The library is found as libaccel.so.1, or at
the path in $VNPU_LIBACCEL.
"""

import ctypes
import ctypes.util
import errno as _errno
import os

__all__ = ["AccelError", "CompileError", "compile", "Device", "DeviceInfo", "Bo", "Model", "ModelIO",
           "devices", "strerror", "library",
           "BO_WC", "BO_DEVMEM", "DT_F32", "DT_BF16", "DT_I8", "DT_U8",
           "DT_I32"]

# accel.h
BO_WC = 1 << 0
BO_DEVMEM = 1 << 1
DT_F32, DT_BF16, DT_I8, DT_U8, DT_I32 = 1, 2, 3, 4, 5
PARAM_DEVICE_ID = 0
PARAM_NUM_QUEUES = 2
PARAM_DEVMEM_SIZE = 5
PARAM_DRIVER_VERSION = 14

_c = ctypes
_vp = _c.c_void_p
_pp = _c.POINTER(_c.c_void_p)


class ModelIO(_c.Structure):
    """struct accel_model_io."""
    _fields_ = [("name", _c.c_char_p), ("dtype", _c.c_uint32),
                ("rank", _c.c_uint32), ("shape", _c.c_uint32 * 4),
                ("size", _c.c_uint64)]

    @property
    def dims(self):
        return tuple(int(self.shape[i]) for i in range(self.rank))


# name: (argtypes); every function returns int (0 / -errno) unless listed.
_PROTOS = {
    "accel_strerror": ([_c.c_int], _c.c_char_p),
    "accel_device_enumerate": ([_pp], _c.c_int),
    "accel_device_list_get_count": ([_vp, _c.POINTER(_c.c_uint)], _c.c_int),
    "accel_device_list_get_devnode": ([_vp, _c.c_uint, _c.POINTER(_c.c_char_p)], _c.c_int),
    "accel_device_list_get_pci_address": ([_vp, _c.c_uint, _c.POINTER(_c.c_char_p)], _c.c_int),
    "accel_device_list_free": ([_vp], None),
    "accel_device_open": ([_c.c_char_p, _pp], _c.c_int),
    "accel_device_open_index": ([_c.c_uint, _pp], _c.c_int),
    "accel_device_open_pci": ([_c.c_char_p, _pp], _c.c_int),
    "accel_device_close": ([_vp], None),
    "accel_device_query": ([_vp, _c.c_uint32, _c.POINTER(_c.c_uint64)], _c.c_int),
    "accel_bo_new": ([_vp, _c.c_uint64, _c.c_uint32, _pp], _c.c_int),
    "accel_bo_map": ([_vp, _pp], _c.c_int),
    "accel_bo_unmap": ([_vp], _c.c_int),
    "accel_bo_free": ([_vp], None),
    "accel_bo_get_va": ([_vp, _c.POINTER(_c.c_uint64)], _c.c_int),
    "accel_bo_get_size": ([_vp, _c.POINTER(_c.c_uint64)], _c.c_int),
    "accel_cmdbuf_new": ([_vp, _pp], _c.c_int),
    "accel_cmdbuf_free": ([_vp], None),
    "accel_cmdbuf_copy": ([_vp, _c.c_uint64, _c.c_uint64, _c.c_uint64], _c.c_int),
    "accel_job_submit": ([_vp, _vp, _c.c_uint32, _vp, _pp], _c.c_int),
    "accel_job_wait": ([_vp, _c.c_int64, _c.POINTER(_c.c_int)], _c.c_int),
    "accel_job_free": ([_vp], None),
    "accel_model_load": ([_vp, _c.c_char_p, _c.c_uint32, _pp], _c.c_int),
    "accel_model_load_buffer": ([_vp, _c.c_char_p, _c.c_size_t, _c.c_uint32, _pp], _c.c_int),
    "accel_model_free": ([_vp], None),
    "accel_model_get_io_count": ([_vp, _c.POINTER(_c.c_uint), _c.POINTER(_c.c_uint)], _c.c_int),
    "accel_model_get_input": ([_vp, _c.c_uint, _c.POINTER(ModelIO)], _c.c_int),
    "accel_model_get_output": ([_vp, _c.c_uint, _c.POINTER(ModelIO)], _c.c_int),
    "accel_model_bind_input": ([_vp, _c.c_uint, _vp], _c.c_int),
    "accel_model_bind_output": ([_vp, _c.c_uint, _vp], _c.c_int),
    "accel_model_run": ([_vp], _c.c_int),
}

_lib = None


def library():
    """The loaded libaccel (ctypes.CDLL), loaded on first use."""
    global _lib
    if _lib is None:
        path = os.environ.get("VNPU_LIBACCEL") or "libaccel.so.1"
        lib = _c.CDLL(path, use_errno=True)
        for name, (args, res) in _PROTOS.items():
            fn = getattr(lib, name)
            fn.argtypes = args
            fn.restype = res
        _lib = lib
    return _lib


def strerror(err):
    """accel_strerror() of a negative (or positive) errno value."""
    s = library().accel_strerror(-abs(int(err)))
    return s.decode() if s else os.strerror(abs(int(err)))


class AccelError(OSError):
    def __init__(self, err, what):
        super().__init__(abs(err), "%s: %s" % (what, strerror(err)))


def _check(ret, what):
    if ret < 0:
        raise AccelError(ret, what)
    return ret


class CompileError(RuntimeError):
    """vnpu-compile refused the model; the message is its diagnostic."""


def compile(onnx_path, output, int8=False, calib=None, batch=None,
            devmem_size=None, compiler=None):
    """Compile an ONNX model into a .vnpu package with vnpu-compile
    ($VNPU_COMPILE or the one on PATH). calib: a float32 numpy array or a
    .npy path (with int8). Returns output; raises CompileError."""
    import subprocess
    import tempfile
    exe = compiler or os.environ.get("VNPU_COMPILE") or "vnpu-compile"
    args = [exe, "-q", os.fspath(onnx_path), "-o", os.fspath(output)]
    if batch is not None:
        args += ["--batch", str(int(batch))]
    if devmem_size is not None:
        args += ["--devmem-size", str(int(devmem_size))]
    with tempfile.TemporaryDirectory() as tmp:
        if int8:
            args.append("--int8")
            if calib is not None and not isinstance(calib, (str, bytes, os.PathLike)):
                import numpy as np
                path = os.path.join(tmp, "calib.npy")
                np.save(path, np.ascontiguousarray(calib, dtype=np.float32))
                calib = path
            if calib is not None:
                args += ["--calib", os.fspath(calib)]
        elif calib is not None:
            raise ValueError("calib needs int8=True")
        r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise CompileError((r.stderr or r.stdout).strip() or
                           "vnpu-compile failed (%d)" % r.returncode)
    return output


_NP_DTYPES = {DT_F32: "float32", DT_I8: "int8", DT_U8: "uint8",
              DT_I32: "int32", DT_BF16: "uint16"}  # bf16 as raw 16-bit words


def np_dtype(accel_dtype):
    """numpy dtype of an ACCEL_DT_* value (bf16 is exposed as uint16)."""
    import numpy as np
    try:
        return np.dtype(_NP_DTYPES[accel_dtype])
    except KeyError:
        raise ValueError("unknown accel dtype %r" % (accel_dtype,)) from None


class DeviceInfo:
    def __init__(self, index, devnode, pci_address):
        self.index, self.devnode, self.pci_address = index, devnode, pci_address

    def __repr__(self):
        return "DeviceInfo(%d, %r, %r)" % (self.index, self.devnode,
                                           self.pci_address)


def devices():
    """The vnpu devices present (libudev enumeration), as DeviceInfo."""
    lib = library()
    lst = _c.c_void_p()
    _check(lib.accel_device_enumerate(_c.byref(lst)), "accel_device_enumerate")
    try:
        n = _c.c_uint()
        _check(lib.accel_device_list_get_count(lst, _c.byref(n)), "list_get_count")
        out = []
        for i in range(n.value):
            node, pci = _c.c_char_p(), _c.c_char_p()
            _check(lib.accel_device_list_get_devnode(lst, i, _c.byref(node)), "get_devnode")
            _check(lib.accel_device_list_get_pci_address(lst, i, _c.byref(pci)), "get_pci_address")
            out.append(DeviceInfo(i, node.value.decode(),
                                  pci.value.decode() if pci.value else None))
        return out
    finally:
        lib.accel_device_list_free(lst)


class Device:
    """An open vnpu device: Device(0), Device("/dev/accel/accel1") or
    Device(pci="0000:00:03.0")."""

    def __init__(self, which=0, pci=None):
        lib = library()
        h = _c.c_void_p()
        if pci is not None:
            _check(lib.accel_device_open_pci(pci.encode(), _c.byref(h)), "open " + pci)
        elif isinstance(which, int):
            _check(lib.accel_device_open_index(which, _c.byref(h)), "open %d" % which)
        else:
            _check(lib.accel_device_open(os.fsencode(which), _c.byref(h)), "open " + str(which))
        self._h = h

    @property
    def handle(self):
        if not self._h:
            raise ValueError("device is closed")
        return self._h

    def query(self, param):
        v = _c.c_uint64()
        _check(library().accel_device_query(self.handle, param, _c.byref(v)), "query")
        return v.value

    def bo(self, size, flags=0):
        return Bo(self, size, flags)

    def copy(self, dst, src, size=None, queue=0, timeout_ns=-1):
        """Copy size bytes (default: all of src) from BO src to BO dst on
        the device (one job with a DMA copy), and wait for it."""
        lib = library()
        if size is None:
            size = src.size
        cb, job, status = _c.c_void_p(), _c.c_void_p(), _c.c_int()
        _check(lib.accel_cmdbuf_new(self.handle, _c.byref(cb)), "accel_cmdbuf_new")
        try:
            _check(lib.accel_cmdbuf_copy(cb, dst.va, src.va, size), "accel_cmdbuf_copy")
            _check(lib.accel_job_submit(self.handle, cb, queue, None, _c.byref(job)),
                   "accel_job_submit")
            try:
                _check(lib.accel_job_wait(job, timeout_ns, _c.byref(status)), "accel_job_wait")
            finally:
                lib.accel_job_free(job)
        finally:
            lib.accel_cmdbuf_free(cb)
        _check(status.value, "job")

    def load_model(self, path_or_bytes, flags=0):
        return Model(self, path_or_bytes, flags)

    def close(self):
        if self._h:
            library().accel_device_close(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Bo:
    """A buffer object. array() returns a numpy view of its CPU mapping:
    no copy is made, writes go straight to the BO's pages."""

    def __init__(self, dev, size, flags=0):
        h = _c.c_void_p()
        _check(library().accel_bo_new(dev.handle, size, flags, _c.byref(h)), "accel_bo_new")
        self._dev, self._h, self._ptr = dev, h, None

    @property
    def handle(self):
        if not self._h:
            raise ValueError("BO is freed")
        return self._h

    @property
    def va(self):
        v = _c.c_uint64()
        _check(library().accel_bo_get_va(self.handle, _c.byref(v)), "get_va")
        return v.value

    @property
    def size(self):
        v = _c.c_uint64()
        _check(library().accel_bo_get_size(self.handle, _c.byref(v)), "get_size")
        return v.value

    def array(self, dtype="uint8", shape=None, offset=0):
        import numpy as np
        if self._ptr is None:
            p = _c.c_void_p()
            _check(library().accel_bo_map(self.handle, _c.byref(p)), "accel_bo_map")
            self._ptr = p.value
        dt = np.dtype(dtype)
        size = self.size
        if shape is None:
            shape = ((size - offset) // dt.itemsize,)
        nbytes = int(np.prod(shape)) * dt.itemsize
        if offset < 0 or offset + nbytes > size:
            raise ValueError("view of %d bytes at %d exceeds the BO (%d bytes)"
                             % (nbytes, offset, size))
        buf = (_c.c_char * nbytes).from_address(self._ptr + offset)
        buf._vnpu_bo = self  # the view (its base) keeps the BO alive
        return np.frombuffer(buf, dtype=dt).reshape(shape)

    def free(self):
        """Free now; views from array() must not be used afterwards."""
        if self._h:
            if self._ptr is not None:
                library().accel_bo_unmap(self._h)
                self._ptr = None
            library().accel_bo_free(self._h)
            self._h = None

    def __del__(self):
        try:
            self.free()
        except Exception:
            pass


class Model:
    """A loaded model package (.vnpu). run() takes numpy arrays (one per
    input, converted to the input's dtype and shape) and returns a list of
    numpy arrays, one per output."""

    def __init__(self, dev, path_or_bytes, flags=0):
        lib = library()
        h = _c.c_void_p()
        if isinstance(path_or_bytes, (bytes, bytearray)):
            data = bytes(path_or_bytes)
            _check(lib.accel_model_load_buffer(dev.handle, data, len(data),
                                               flags, _c.byref(h)), "accel_model_load_buffer")
        else:
            _check(lib.accel_model_load(dev.handle, os.fsencode(path_or_bytes),
                                        flags, _c.byref(h)), "accel_model_load")
        self._dev, self._h = dev, h
        ni, no = _c.c_uint(), _c.c_uint()
        _check(lib.accel_model_get_io_count(h, _c.byref(ni), _c.byref(no)), "io_count")
        self.inputs, self.outputs = [], []
        for i in range(ni.value):
            io = ModelIO()
            _check(lib.accel_model_get_input(h, i, _c.byref(io)), "get_input")
            self.inputs.append(io)
        for i in range(no.value):
            io = ModelIO()
            _check(lib.accel_model_get_output(h, i, _c.byref(io)), "get_output")
            self.outputs.append(io)

    def run(self, *arrays):
        import numpy as np
        lib = library()
        if len(arrays) != len(self.inputs):
            raise ValueError("model takes %d inputs, got %d"
                             % (len(self.inputs), len(arrays)))
        ins = []
        for i, (a, io) in enumerate(zip(arrays, self.inputs)):
            a = np.ascontiguousarray(a, dtype=np_dtype(io.dtype))
            try:
                a = a.reshape(io.dims)
            except ValueError:
                raise ValueError("input %d: shape %s does not fit %s"
                                 % (i, a.shape, io.dims)) from None
            if a.nbytes != io.size:
                raise ValueError("input %d: %d bytes, the model wants %d"
                                 % (i, a.nbytes, io.size))
            ins.append(a)
            _check(lib.accel_model_bind_input(self._h, i, a.ctypes.data), "bind_input")
        outs = [np.empty(io.dims, dtype=np_dtype(io.dtype)) for io in self.outputs]
        for i, o in enumerate(outs):
            _check(lib.accel_model_bind_output(self._h, i, o.ctypes.data), "bind_output")
        try:
            _check(lib.accel_model_run(self._h), "accel_model_run")
        finally:
            for i in range(len(ins)):
                lib.accel_model_bind_input(self._h, i, None)
            for i in range(len(outs)):
                lib.accel_model_bind_output(self._h, i, None)
        return outs

    def free(self):
        if self._h:
            library().accel_model_free(self._h)
            self._h = None

    def __del__(self):
        try:
            self.free()
        except Exception:
            pass
