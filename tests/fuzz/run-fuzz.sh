#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-fuzz.sh FUZZER SEEDGEN: run the engine fuzz target for a bounded time
# (FUZZ_SECONDS, default 25) or number of inputs (FUZZ_RUNS, which wins
# when set: make check-debug's long run) from a fresh copy of the generated seed
# corpus, and print TAP. Every seed is first run once on its own (each one
# must be accepted by the engine without a finding), then libFuzzer
# mutates. A crash, leak, sanitizer report or timeout is "not ok"; the
# reproducer is kept under $BUILD/tests/fuzz/findings.
set -uo pipefail

fuzzer=${1:?usage: run-fuzz.sh FUZZER SEEDGEN}
seedgen=${2:?usage: run-fuzz.sh FUZZER SEEDGEN}
secs=${FUZZ_SECONDS:-25}
out=$(dirname "$fuzzer")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$out/findings"

echo "TAP version 13"
echo "1..2"
if ! "$seedgen" "$work/corpus" > "$work/seed.log" 2>&1; then
	echo "not ok 1 fuzz_engine seed corpus"
	sed 's/^/# /' "$work/seed.log"
	echo "not ok 2 fuzz_engine # SKIP no corpus"
	exit 1
fi
n=$(ls "$work/corpus" | wc -l)
if "$fuzzer" -runs=0 "$work/corpus" > "$work/seeds.log" 2>&1; then
	echo "ok 1 fuzz_engine seeds ($n inputs) run clean"
else
	echo "not ok 1 fuzz_engine seeds ($n inputs) run clean"
	tail -n 40 "$work/seeds.log" | sed 's/^/# /'
fi
# -timeout: one input; the target itself aborts jobs after 50 ms.
if [ -n "${FUZZ_RUNS:-}" ]; then
	bound=(-runs="$FUZZ_RUNS")
	what="$FUZZ_RUNS inputs"
else
	bound=(-max_total_time="$secs")
	what="${secs}s"
fi
if "$fuzzer" "${bound[@]}" -timeout=20 -rss_limit_mb=4096 \
	-malloc_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$out/findings/" "$work/corpus" > "$work/fuzz.log" 2>&1; then
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/fuzz.log" | grep -o '[0-9]*$')
	echo "ok 2 fuzz_engine $what, ${runs:-?} runs, no finding"
else
	echo "not ok 2 fuzz_engine found a problem (reproducer in $out/findings)"
	grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$work/fuzz.log" | head -n 20 | sed 's/^/# /'
	tail -n 30 "$work/fuzz.log" | sed 's/^/# /'
	exit 1
fi
