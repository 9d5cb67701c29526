#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host test of vnpu-cdi: builds fake sysfs trees, runs `vnpu-cdi generate`
and validates the spec against tests/unit/cdi-schema.json (a subset of the
CDI schema written from the CDI spec) with python3-jsonschema. TAP output.

usage: test_vnpu_cdi.py VNPU_CDI SCHEMA"""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

cdi, schema_path = sys.argv[1], sys.argv[2]
schema = json.load(open(schema_path))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
n = 0
failed = 0


def ok(cond, name):
    global n, failed
    n += 1
    print("%sok %d %s" % ("" if cond else "not ", n, name))
    if not cond:
        failed += 1


def fake_sysfs(root, devs):
    """devs: list of (index, pci, driver, "major:minor")."""
    drv = os.path.join(root, "bus/pci/drivers")
    for idx, pci, driver, dev in devs:
        pcidir = os.path.join(root, "devices/pci0000:00", pci)
        os.makedirs(pcidir, exist_ok=True)
        os.makedirs(os.path.join(drv, driver), exist_ok=True)
        if not os.path.lexists(os.path.join(pcidir, "driver")):
            os.symlink(os.path.join(drv, driver), os.path.join(pcidir, "driver"))
        adir = os.path.join(pcidir, "accel", "accel%d" % idx)
        os.makedirs(adir)
        with open(os.path.join(adir, "dev"), "w") as f:
            f.write(dev + "\n")
        os.symlink(pcidir, os.path.join(adir, "device"))
        cls = os.path.join(root, "class/accel")
        os.makedirs(cls, exist_ok=True)
        os.symlink(adir, os.path.join(cls, "accel%d" % idx))


def run(*args):
    return subprocess.run([cdi] + list(args), capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    # two vnpu devices and an accel node of another driver (ignored)
    root = os.path.join(tmp, "sys2")
    fake_sysfs(root, [(1, "0000:00:04.0", "vnpu", "261:1"),
                      (0, "0000:00:03.0", "vnpu", "261:0"),
                      (2, "0000:00:05.0", "ivpu", "261:2")])
    r = run("generate", "--sysfs", root)
    ok(r.returncode == 0, "generate exits 0 with two devices")
    try:
        spec = json.loads(r.stdout)
    except ValueError:
        spec = {}
    ok(spec != {}, "output is JSON")
    errs = list(validator.iter_errors(spec))
    ok(not errs, "spec validates against the CDI schema subset" +
       ("" if not errs else " (%s)" % errs[0].message))
    ok(spec.get("cdiVersion") == "0.6.0" and spec.get("kind") == "vnpu.dev/npu",
       "cdiVersion 0.6.0, kind vnpu.dev/npu")
    names = [d["name"] for d in spec.get("devices", [])]
    ok(names == ["0", "0000:00:03.0", "1", "0000:00:04.0"],
       "devices by index and PCI address, in index order: %s" % names)
    nodes = {d["name"]: d["containerEdits"]["deviceNodes"][0]
             for d in spec.get("devices", [])}
    ok(nodes.get("1", {}).get("path") == "/dev/accel/accel1" and
       nodes["1"].get("major") == 261 and nodes["1"].get("minor") == 1 and
       nodes["1"].get("type") == "c", "device node path, type and major:minor")
    ok(nodes.get("0000:00:03.0", {}).get("path") == "/dev/accel/accel0",
       "PCI-address name maps to its own node")
    ok(not any("accel2" in json.dumps(v) for v in nodes.values()),
       "an accel node of another driver is not listed")

    # --output writes the same spec atomically; --kind
    out = os.path.join(tmp, "vnpu.json")
    r = run("generate", "--sysfs", root, "--kind", "example.com/npu", "-o", out)
    spec2 = json.load(open(out)) if os.path.exists(out) else {}
    ok(r.returncode == 0 and spec2.get("kind") == "example.com/npu" and
       not os.path.exists(out + ".tmp") and validator.is_valid(spec2),
       "--output and --kind")

    # no devices (no class/accel at all): a valid spec with none
    r = run("generate", "--sysfs", os.path.join(tmp, "empty"))
    spec = json.loads(r.stdout) if r.returncode == 0 else {}
    ok(r.returncode == 0 and spec.get("devices") == [] and validator.is_valid(spec),
       "no devices: a valid spec listing none")

    # bad input
    for kind in ("nokind", "/npu", "vnpu.dev/", "a/b/c", "vnpu.dev/n.pu", "-x.dev/npu"):
        r = run("generate", "--sysfs", root, "--kind", kind)
        ok(r.returncode == 2 and "invalid kind" in r.stderr, "bad kind %r refused" % kind)
    r = run("list")
    ok(r.returncode == 2, "unknown command refused (exit 2)")
    r = run()
    ok(r.returncode == 2, "missing command refused (exit 2)")
    r = run("generate", "--sysfs", root, "-o", os.path.join(tmp, "nodir/x.json"))
    ok(r.returncode == 1 and r.stderr, "unwritable output fails (exit 1)")
    # a malformed dev file is skipped, not emitted
    bad = os.path.join(tmp, "sysbad")
    fake_sysfs(bad, [(0, "0000:00:03.0", "vnpu", "garbage")])
    r = run("generate", "--sysfs", bad)
    spec = json.loads(r.stdout) if r.returncode == 0 else {}
    ok(r.returncode == 0 and spec.get("devices") == [] and "major:minor" in r.stderr,
       "a device without major:minor is skipped with a message")

    # the schema itself rejects what it must (the test can fail)
    ok(not validator.is_valid({"cdiVersion": "0.6.0", "kind": "vnpu.dev/npu",
                               "devices": [{"name": "bad name",
                                            "containerEdits": {}}]}),
       "schema rejects a device name with a space")
    ok(not validator.is_valid({"cdiVersion": "0.6.0", "kind": "vnpu.dev/npu",
                               "devices": [{"name": "0", "containerEdits":
                                            {"deviceNodes": [{"type": "c"}]}}]}),
       "schema rejects a device node without a path")

print("1..%d" % n)
sys.exit(1 if failed else 0)
