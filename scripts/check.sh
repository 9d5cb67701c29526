#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run the three test tiers in order and total their TAP results:
#   check.sh UNIT_TEST... -- GUEST_TEST...
# 1. host unit tests, 2. qtests of the device ($QTEST_BIN against $QEMU),
# 3. the kselftest suite inside a guest. Every binary prints TAP; a
# binary that exits non-zero without reporting a failed test counts as
# one failure. Ends with "N passed, M failed"; exits non-zero on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$here/build}
unit=() guest=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do unit+=("$1"); shift; done
[ $# -gt 0 ] && shift
guest=("$@")

pass=0 fail=0 skip=0
failed=()
out=$(mktemp); trap 'rm -f "$out"' EXIT

# tally NAME RC: count the TAP lines in $out.
tally() {
	local name=$1 rc=$2 p f s
	p=$(grep -Ec '^[[:space:]]*ok ' "$out")
	s=$(grep -Ec '^[[:space:]]*ok .*# *(SKIP|skip)' "$out")
	f=$(grep -Ec '^[[:space:]]*not ok ' "$out")
	# Nested TAP (glib) repeats a summary "ok" per group; skip lines
	# within "not ok" are failures already.
	pass=$((pass + p - s)); skip=$((skip + s)); fail=$((fail + f))
	grep -E '^[[:space:]]*not ok ' "$out" | sed "s|^|  $name: |" >> "$BUILD/check-failures.txt"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		fail=$((fail + 1))
		echo "  $name: exited with status $rc" >> "$BUILD/check-failures.txt"
	fi
}

: > "$BUILD/check-failures.txt"
echo "== 1/3 host unit tests"
for t in "${unit[@]}"; do
	echo "-- $t"
	"$t" 2>&1 | tee "$out"
	tally "$(basename "$t")" "${PIPESTATUS[0]}"
done

echo "== 2/3 qtests"
if [ -z "${QTEST_BIN:-}" ] || [ ! -x "$QTEST_BIN" ]; then
	echo "not ok 1 qtest binary missing (${QTEST_BIN:-unset}); run 'make qemu'" | tee "$out"
	tally qtest 1
else
	QTEST_QEMU_BINARY=$QEMU timeout 900 "$QTEST_BIN" --tap -k 2>&1 | tee "$out"
	tally qtest "${PIPESTATUS[0]}"
fi
# The device fuzzer (tests/qtest/vnpu-fuzz-test.c), built next to it.
QFUZZ_BIN=${QFUZZ_BIN:-${QTEST_BIN:+$(dirname "$QTEST_BIN")/vnpu-fuzz-test}}
if [ -z "${QFUZZ_BIN:-}" ] || [ ! -x "$QFUZZ_BIN" ]; then
	echo "not ok 1 qtest fuzzer binary missing (${QFUZZ_BIN:-unset}); run 'make qemu'" | tee "$out"
	tally qfuzz 1
else
	QTEST_QEMU_BINARY=$QEMU timeout 600 "$QFUZZ_BIN" --tap -k 2>&1 | tee "$out"
	tally qfuzz "${PIPESTATUS[0]}"
fi

echo "== 3/3 in-guest kselftest suite"
script='rc=0; for t in '"${guest[*]}"'; do echo "-- $t"; "$t" || rc=1; done; exit $rc'
bash "$here/scripts/run-guest.sh" --timeout 1200 -- "$script" 2>&1 | tee "$out"
grc=${PIPESTATUS[0]}
tally guest "$grc"

echo
if [ -s "$BUILD/check-failures.txt" ]; then
	echo "Failures:"; cat "$BUILD/check-failures.txt"
fi
echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
