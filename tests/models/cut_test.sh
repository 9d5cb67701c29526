#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Host test of vnpu-compile --from/--to (pipeline stages; TAP): the stages
# of the digits MLP and CNN compiled with --to/--from are byte for byte
# the packages of the same parts cut out of the ONNX model by
# onnx.utils.extract_model() and compiled whole; every refused cut exits 1
# with its message.
#
#   cut_test.sh VNPU_COMPILE MODELS_DIR
set -uo pipefail
vc=${1:?usage: $0 VNPU_COMPILE MODELS_DIR}
models=${2:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}

/usr/bin/python3 - "$models" "$tmp" <<'PY'
import os, sys, onnx, onnx.utils
from onnx import shape_inference
models, tmp = sys.argv[1], sys.argv[2]
for name, cut in (("mlp", "a1"), ("cnn", "a2")):
    path = os.path.join(tmp, name + "_inferred.onnx")
    onnx.save(shape_inference.infer_shapes(onnx.load(os.path.join(models, name + ".onnx"))), path)
    onnx.utils.extract_model(path, os.path.join(tmp, name + "_x1.onnx"), ["input"], [cut])
    onnx.utils.extract_model(path, os.path.join(tmp, name + "_x2.onnx"), [cut], ["probs"])
PY
t "onnx.utils.extract_model cuts the models" $?

for spec in mlp:a1 cnn:a2; do
	m=${spec%%:*} cut=${spec#*:}
	"$vc" -q --batch 120 "$models/$m.onnx" --to "$cut" -o "$tmp/${m}_c1.vnpu" &&
		"$vc" -q --batch 120 "$tmp/${m}_x1.onnx" -o "$tmp/${m}_x1.vnpu" &&
		cmp -s "$tmp/${m}_c1.vnpu" "$tmp/${m}_x1.vnpu"
	t "$m --to $cut equals the extracted first part, byte for byte" $?
	"$vc" -q --batch 120 "$models/$m.onnx" --from "$cut" -o "$tmp/${m}_c2.vnpu" &&
		"$vc" -q --batch 120 "$tmp/${m}_x2.onnx" -o "$tmp/${m}_x2.vnpu" &&
		cmp -s "$tmp/${m}_c2.vnpu" "$tmp/${m}_x2.vnpu"
	t "$m --from $cut equals the extracted second part, byte for byte" $?
done
# a middle stage: both ends given
"$vc" -q --batch 4 "$models/mlp.onnx" --from a1 --to a2 -o "$tmp/mid.vnpu" &&
	"$vc" --inspect "$tmp/mid.vnpu" | grep -q "input  a1 " &&
	"$vc" --inspect "$tmp/mid.vnpu" | grep -q "output a2 "
t "--from a1 --to a2: a middle stage reading a1 and writing a2" $?

# refused cuts: status 1 and the reason
refuse() {
	local name=$1 want=$2; shift 2
	out=$("$vc" -q "$@" -o "$tmp/bad.vnpu" 2>&1)
	rc=$?
	[ $rc = 1 ] && grep -q -- "$want" <<< "$out"
	t "refused: $name" $?
	[ $rc = 1 ] || echo "# status $rc: $out"
}
refuse "unknown tensor" "is not in the graph" "$models/mlp.onnx" --from nope
refuse "a constant" "is not computed by a node" "$models/mlp.onnx" --to "$( /usr/bin/python3 -c "import onnx; print(onnx.load('$models/mlp.onnx').graph.initializer[0].name)")"
refuse "the network input" "is not computed by a node" "$models/mlp.onnx" --from input
refuse "the same tensor twice" "name the same tensor" "$models/mlp.onnx" --from a1 --to a1
refuse "--to before --from" "needs the network input" "$models/mlp.onnx" --from a2 --to a1
refuse "a path around the cut (residual)" "needs the network input" "$models/transformer.onnx" --from ln1
refuse "--int8 with --from" "not with --from" "$models/mlp.onnx" --int8 --calib "$models/calib_x.npy" --from a1
echo "1..$n"
exit $fail
