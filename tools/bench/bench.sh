#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make bench driver: runs the host references (tools/bench/host-ref,
# ONNX Runtime via tools/bench/ort_bench.js), boots the guest once with
# scripts/run-guest.sh and runs vnpu-bench in it, then prints the table
# and writes $BUILD/bench/results.json, results.txt and results.png.
#
#   bench.sh [--quick] [--only GROUP[,GROUP...]] [--loop N] [--host-views]
#
# --quick: fewer iterations, for trying it out. --only: the host
# references and one guest boot running only these vnpu-bench groups (gemm,
# conv, copy, noop, pipeline, models, bo), each --loop N times; no boot,
# engine or device-scaling curves. --host-views: the vnpu-bench guest gets
# its RAM from a shared memfd and the device host-views=on (zero-copy views
# of scattered BOs, see device.rst).
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$here/build}
out=$BUILD/bench
mkdir -p "$out"
quick="" only="" loop="" views=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=--quick ;;
	--only) only=${2:?--only needs groups}; shift ;;
	--loop) loop="--loop ${2:?--loop needs a count}"; shift ;;
	--host-views)
		views=(--device-args host-views=on --qemu-args
			"-object memory-backend-memfd,id=vnpumem,size=2G,share=on -machine memory-backend=vnpumem") ;;
	*) echo "usage: bench.sh [--quick] [--only GROUP[,GROUP...]] [--loop N] [--host-views]" >&2
	   exit 2 ;;
	esac
	shift
done
raw=$out/raw.txt
: > "$raw"

threads=$(nproc)
echo "bench: host references (OpenBLAS, $threads threads; memcpy)" >&2
"$out/host-ref" >> "$raw" || echo "I host-ref failed" >> "$raw"

[ ${#views[@]} -gt 0 ] && echo "I vnpu-bench guest: memfd RAM, host-views=on" >> "$raw"
[ -n "$only" ] && echo "I only: $only $loop" >> "$raw"
if [ -z "$only" ] || [[ ,$only, == *,models,* ]]; then
echo "bench: ONNX Runtime on the host ($threads intra-op threads)" >&2
M=$BUILD/models
ORT_DIR=$BUILD/ort node "$here/tools/bench/ort_bench.js" "$threads" \
	"mlp_b1:$M/mlp.onnx:1" "mlp_b64:$M/mlp.onnx:64" "cnn_b1:$M/cnn.onnx:1" \
	"cnn_b64:$M/cnn.onnx:64" "transformer_b1:$M/transformer.onnx:1" \
	"transformer_b64:$M/transformer.onnx:1:64" "mobilenet16_b1:$M/mobilenet.onnx:1" \
	>> "$raw" || echo "I ort_bench failed" >> "$raw"
fi

if [ -z "$only" ]; then
echo "bench: guest boot alone (run-guest.sh -- true)" >&2
t0=$EPOCHREALTIME
BUILD=$BUILD bash "$here/scripts/run-guest.sh" -- true >/dev/null 2>&1 &&
	echo "R boot_true_wall $(echo "$EPOCHREALTIME - $t0" | bc -l) s" >> "$raw"
fi

echo "bench: guest (TCG) running vnpu-bench" >&2
guest_cmd=(vnpu-bench $quick)
if [ -n "$only" ]; then
	guest_cmd=("for g in ${only//,/ }; do vnpu-bench $quick --only \$g $loop; done")
fi
t0=$EPOCHREALTIME
while IFS= read -r line; do
	echo "$line" >> "$raw"
	case $line in C\ *) ;; *) echo "  guest: $line" >&2 ;; esac
done < <(BUILD=$BUILD bash "$here/scripts/run-guest.sh" --timeout 900 "${views[@]}" \
	-- "${guest_cmd[@]}" 2>&1)
echo "R guest_run_total $(echo "$EPOCHREALTIME - $t0" | bc -l) s" >> "$raw"

if [ -z "$only" ]; then

# the same GEMM and convolution cases with zero-copy host views of
# scattered BOs (memfd RAM, device host-views=on): rows prefixed hv_
if [ ${#views[@]} -eq 0 ]; then
	echo "bench: guest with host-views=on (GEMM and conv2d)" >&2
	BUILD=$BUILD bash "$here/scripts/run-guest.sh" --timeout 300 --device-args host-views=on \
		--qemu-args "-object memory-backend-memfd,id=vnpumem,size=2G,share=on -machine memory-backend=vnpumem" \
		-- "vnpu-bench $quick --only gemm; vnpu-bench $quick --only conv" 2>&1 |
		sed -n -E 's/^R ((gemm1024|conv)_[^ ]* .*)/R hv_\1/p' >> "$raw"
fi

# throughput vs number of engine threads (device property "engines")
for e in 1 2 4; do
	echo "bench: guest with engines=$e (GEMM 512^3 and no-op throughput over all queues)" >&2
	BUILD=$BUILD bash "$here/scripts/run-guest.sh" --timeout 300 --device-args "engines=$e" \
		-- vnpu-bench --only engines $quick 2>&1 | while read -r t k val _; do
		case "$t $k" in
		"R engines_gemm512_per_s") echo "C gemm512_jobs_per_s_vs_engines $e $val" ;;
		"R engines_noop_per_s") echo "C noop_jobs_per_s_vs_engines $e $val" ;;
		"I skip") echo "I engines=$e: skip $val" ;;
		esac
	done >> "$raw"
done

# data-parallel throughput on 1..3 devices (tools/bench/scaling.c)
echo "bench: guest with 3 devices (model batches on 1, 2, 3 devices)" >&2
BUILD=$BUILD bash "$here/scripts/run-guest.sh" --devices 3 --timeout 600 \
	-- vnpu-bench-scaling $quick 2>&1 | grep -E '^[RCI] ' >> "$raw"
fi

# machine description
{
	echo "M cpu $(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
	echo "M cores $(nproc)"
	echo "M kernel $(uname -sr)"
	echo "M qemu $("$BUILD/qemu/build/qemu-system-x86_64" --version | head -n1)"
	echo "M commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null)$(git -C "$here" diff --quiet HEAD 2>/dev/null || echo -dirty)"
	echo "M date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "M loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "M openblas $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null)"
	echo "M ort $(node -e "console.log(require('$BUILD/ort/node_modules/onnxruntime-node/package.json').version)" 2>/dev/null)"
} >> "$raw"

python3 "$here/tools/bench/report.py" "$raw" "$out" || exit 1

if command -v gnuplot >/dev/null; then
	rm -f "$out/results.png"
	gnuplot -e "d='$out'" "$here/tools/bench/plot.gp" >&2
	[ -s "$out/results.png" ] && echo "bench: plot $out/results.png" >&2
else
	echo "bench: gnuplot not installed (make deps installs gnuplot-nox): no plot" >&2
fi
echo "bench: $out/results.json" >&2
