#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Host test of the vnpu-compile command line (TAP):
#   cli_test.sh VNPU_COMPILE MODELS_DIR
set -uo pipefail
vc=${1:?usage: $0 VNPU_COMPILE MODELS_DIR}
md=${2:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
t() {	# t NAME CONDITION-EXIT-STATUS
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}
echo "1..10"

"$vc" "$md/cnn.onnx" --batch 4 -o "$tmp/cnn.vnpu" > "$tmp/out" 2> "$tmp/err"
rc=$?
t "compile prints a per-layer summary" $([ $rc = 0 ] &&
	grep -q 'shapes (in->out)' "$tmp/out" &&
	grep -q 'Conv+BatchNormalization+Relu' "$tmp/out" &&
	grep -q 'MACs' "$tmp/out" && grep -qE '(devmem|host) *$' "$tmp/out" &&
	[ -s "$tmp/cnn.vnpu" ]; echo $?)

"$vc" -q "$md/mlp.onnx" --int8 --calib "$md/calib_x.npy" -o "$tmp/q.vnpu" > "$tmp/out" 2>&1
t "int8 with calibration, quiet" $([ $? = 0 ] && [ ! -s "$tmp/out" ] && [ -s "$tmp/q.vnpu" ]; echo $?)

"$vc" "$md/bad_unsupported.onnx" -o "$tmp/x.vnpu" > /dev/null 2> "$tmp/err"
t "unsupported operator: exit 1 naming node and op" $([ $? = 1 ] &&
	grep -q "node 'mystery_node': unsupported operator 'Cos'" "$tmp/err"; echo $?)

"$vc" "$md/mlp.onnx" > /dev/null 2>&1
t "missing -o: usage, exit 2" $([ $? = 2 ]; echo $?)

"$vc" "$md/mlp.onnx" -o "$tmp/x.vnpu" --calib "$md/calib_x.npy" > /dev/null 2>&1
t "--calib without --int8: exit 2" $([ $? = 2 ]; echo $?)

"$vc" "$md/mlp.onnx" -o "$tmp/x.vnpu" --devmem-size 12Q > /dev/null 2>&1
t "bad --devmem-size: exit 2" $([ $? = 2 ]; echo $?)

"$vc" "$md/mlp.onnx" -o "$tmp/x.vnpu" --batch 0 > /dev/null 2>&1
t "bad --batch: exit 2" $([ $? = 2 ]; echo $?)

"$vc" "$md/mlp.onnx" -o "$tmp/nodir/x.vnpu" > /dev/null 2> "$tmp/err"
t "unwritable output: exit 1 with the reason" $([ $? = 1 ] &&
	grep -q 'No such file' "$tmp/err"; echo $?)
"$vc" --inspect "$tmp/cnn.vnpu" > "$tmp/out" 2>&1
t "inspect lists regions, signature, plan and layers" $([ $? = 0 ] &&
	grep -q '^regions:' "$tmp/out" && grep -qE '^  input +input +f32 \[4,1,8,8\]' "$tmp/out" &&
	grep -q '^allocation plan' "$tmp/out" && grep -qE 'nhwc' "$tmp/out" &&
	grep -q 'Conv+BatchNormalization+Relu' "$tmp/out"; echo $?)

cp "$tmp/cnn.vnpu" "$tmp/bad.vnpu"
printf 'X' | dd of="$tmp/bad.vnpu" bs=1 seek=200 conv=notrunc 2> /dev/null
"$vc" --inspect "$tmp/bad.vnpu" > /dev/null 2> "$tmp/err"
t "inspect refuses a corrupted package" $([ $? = 1 ] && grep -q 'checksum' "$tmp/err"; echo $?)
exit $fail
