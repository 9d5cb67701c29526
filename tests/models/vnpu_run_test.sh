#!/bin/sh
# SPDX-License-Identifier: MIT
#
# In-guest test of vnpu-run-model (TAP). Data in /usr/share/vnpu
# (VNPU_DATA overrides). SKIP without a vnpu device.
d=${VNPU_DATA:-/usr/share/vnpu}
tmp=/tmp/vnpu_run_test.$$
mkdir -p "$tmp"
n=0 fail=0
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}
echo "1..7"
if ! ls /dev/accel/accel* > /dev/null 2>&1; then
	i=1
	while [ $i -le 7 ]; do echo "ok $i # SKIP no vnpu device"; i=$((i + 1)); done
	exit 0
fi

vnpu-run-model "$d/mlp.vnpu" --input "$d/digits_x.npy" --output "$tmp/y.npy" \
	--labels "$d/digits_y.npy" --repeat 2 --jobs 2 > "$tmp/out" 2>&1
rc=$?
cat "$tmp/out" | sed 's/^/# /'
acc=$(sed -n 's/^top-1 accuracy: \([0-9]*\)\..*/\1/p' "$tmp/out")
t "mlp on the digits test split: accuracy >= 95%" $([ $rc = 0 ] && [ -n "$acc" ] &&
	[ "$acc" -ge 95 ]; echo $?)
t "latency percentiles printed" $(grep -q '^latency per batch (us): p50 .* p90 .* p99 .* max ' \
	"$tmp/out"; echo $?)
# 360 x 10 float32 after a 128-byte header
t "output .npy has 360x10 float32" $([ "$(wc -c < "$tmp/y.npy")" = $((128 + 360 * 10 * 4)) ] &&
	head -c 128 "$tmp/y.npy" | grep -q "'shape': (360, 10,)"; echo $?)

vnpu-run-model "$d/mlp.vnpu" --input "$d/transformer_x.npy" > "$tmp/out" 2>&1
t "input of the wrong shape: exit 1 naming the input" $([ $? = 1 ] &&
	grep -q "values per sample (input 'input')" "$tmp/out"; echo $?)

vnpu-run-model "$d/digits_y.npy" --input "$d/digits_x.npy" > "$tmp/out" 2>&1
t "not a package: exit 1" $([ $? = 1 ] && grep -q 'digits_y.npy' "$tmp/out"; echo $?)

vnpu-run-model "$d/mlp.vnpu" --input "$d/digits_x.npy" --jobs 0 > /dev/null 2>&1
t "bad --jobs: exit 2" $([ $? = 2 ]; echo $?)
vnpu-run-model "$d/mlp.vnpu" --input "$d/digits_x.npy" --labels "$d/digits_x.npy" > "$tmp/out" 2>&1
t "labels that are not int64 [samples]: exit 1" $([ $? = 1 ] &&
	grep -q 'need int64 \[360\] labels' "$tmp/out"; echo $?)
rm -rf "$tmp"
exit $fail
