#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The multi-device tier of `make check` (TAP): boots one guest with three
# vnpu devices and runs vnpu_cdi_test (3 devices expected),
# vnpu_multi_test (3 devices expected) and vnpu_cdi_hotplug_test (last: it
# removes and rescans a device), then validates every CDI spec the hotplug
# test printed against the CDI schema with python3-jsonschema.
#
#   vnpu_3dev_test.sh RUN_GUEST_SH SCHEMA_JSON
set -uo pipefail
run_guest=${1:?usage: $0 RUN_GUEST_SH SCHEMA_JSON}
schema=${2:?}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

bash "$run_guest" --devices 3 --timeout 1200 -- \
	'rc=0; VNPU_CDI_EXPECT=3 vnpu_cdi_test || rc=1; VNPU_MULTI_EXPECT=3 vnpu_multi_test || rc=1; vnpu_cdi_hotplug_test || rc=1; exit $rc' \
	2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

/usr/bin/python3 - "$schema" "$out" <<'EOF'
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft7Validator(schema)
specs, cur, name = [], None, None
for line in open(sys.argv[2], errors="replace"):
    line = line.rstrip("\r\n")
    if line.startswith("#cdi-begin "):
        cur, name = [], line.split(" ", 1)[1]
    elif line == "#cdi-end" and cur is not None:
        specs.append((name, "\n".join(cur)))
        cur = None
    elif cur is not None and line.startswith("#cdi"):
        cur.append(line[5:])
fail = 0
if not specs:
    print("not ok 1 the hotplug test printed CDI specs")
    sys.exit(1)
for i, (name, text) in enumerate(specs, 1):
    try:
        errors = [e.message for e in validator.iter_errors(json.loads(text))]
    except ValueError as e:
        errors = ["not JSON: %s" % e]
    print("%sok %d CDI spec '%s' is valid against the schema"
          % ("not " if errors else "", i, name))
    for e in errors:
        print("# " + e)
    fail |= bool(errors)
sys.exit(fail)
EOF
vrc=$?
[ "$rc" = 0 ] && [ "$vrc" = 0 ]
