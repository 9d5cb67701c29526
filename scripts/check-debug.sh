#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make check-debug: the long reliability run on a debug kernel (KASAN,
# lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, fault injection):
#   check-debug.sh TESTS... -- GUEST_FILES... [--data DATA...]
# (TESTS: the kselftest binaries' names, in order, vnpu_module_test last;
# GUEST_FILES: what make guest puts in the initramfs)
# 1. builds (or reuses, see debug-kernel.sh) the debug kernel;
# 2. builds vnpu.ko against it (build/debug-module) and an initramfs with
#    its modules, the guest files, trinity and stress-ng;
# 3. boots it and runs, in the guest (this script with --in-guest):
#    every kselftest binary with the long knobs, the ioctl fuzzer in
#    chunks until VNPU_DEBUG_IOCTLS ioctls (default 1000000), 100 hangs,
#    VNPU_DEBUG_UNPLUGS (100) PCI remove/rescan and VNPU_DEBUG_RELOADS
#    (1000) module reload cycles, trinity on /dev/accel/accel0 as an
#    unprivileged user, stress-ng memory pressure (zram swap) under
#    verified jobs, and a final kmemleak scan;
# 4. on the host, niced beside the guest: the device fuzzers (libFuzzer on
#    the engine's decoder, the qtest fuzzer), VNPU_DEBUG_DEVICE_INPUTS
#    (1000000) inputs each.
# Knobs: VNPU_DEBUG_ENV (in-guest variables), VNPU_DEBUG_APPEND (kernel
# command line), VNPU_DEBUG_QEMU_ARGS, VNPU_DEBUG_ACCEL (default
# tcg,thread=single), VNPU_DEBUG_TIMEOUT.
# Any KASAN report, lockdep splat, BUG:, WARNING: or kmemleak report
# fails the run (run-guest.sh prints the log). Ends with the figures and
# "N passed, M failed"; exits non-zero on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# ---------------------------------------------------------------- guest
if [ "${1:-}" = --in-guest ]; then
	shift
	n=0
	tap() {	# tap OK|FAIL NAME
		n=$((n + 1))
		if [ "$1" = OK ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
	}
	export VNPU_STRESS_HANGS=${VNPU_STRESS_HANGS:-100}
	export VNPU_FUZZ_RACE_ITERS=${VNPU_FUZZ_RACE_ITERS:-6000}
	ioctl_goal=${VNPU_DEBUG_IOCTLS:-1000000}
	unplug_goal=${VNPU_DEBUG_UNPLUGS:-100}
	reload_goal=${VNPU_DEBUG_RELOADS:-1000}
	fuzz_chunk=${VNPU_DEBUG_FUZZ_CHUNK:-50000}
	unplug_chunk=${VNPU_DEBUG_UNPLUG_CHUNK:-25}
	reload_chunk=${VNPU_DEBUG_RELOAD_CHUNK:-100}
	kml=/sys/kernel/debug/kmemleak
	t0=$(date +%s)
	# chunked loops stop when the budget is spent (the goal is then
	# reported as missed)
	budget=${VNPU_DEBUG_BUDGET_SECS:-9000}
	in_budget() { [ $(( $(date +%s) - t0 )) -lt "$budget" ]; }
	goal() {	# goal NAME DONE WANTED
		if [ "$2" -ge "$3" ]; then tap OK "$1: $2 (goal $3)"
		elif in_budget; then tap FAIL "$1: $2 of $3 (stopped by a failure above)"
		else tap FAIL "$1: $2 of $3 (time budget ${budget}s spent)"; fi
	}
	stamp() { echo "# check-debug: $1 at +$(( $(date +%s) - t0 )) s"; }

	echo "# check-debug: $(uname -r), $(nproc) CPUs, kernel.timer_migration=$(cat /proc/sys/kernel/timer_migration 2>/dev/null || echo -)"
	# boot-time objects are not ours: forget them
	if [ -w $kml ]; then echo scan > $kml; echo clear > $kml; fi
	grep -q '^nobody:' /etc/passwd || echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' >> /etc/passwd
	grep -q '^nogroup:' /etc/group || echo 'nogroup:x:65534:' >> /etc/group
	rc=0
	log=/tmp/check-debug.out
	for t in "$@"; do
		name=${t##*/}
		stamp "$name"
		case $name in
		vnpu_fuzz_test)
			# the whole suite once, then random_ioctls chunks
			VNPU_FUZZ_ITERS=$fuzz_chunk "$t" 2>&1 | tee $log || rc=1
			total=$(sed -n 's/.*fuzz: \([0-9]*\) ioctls.*/\1/p; s/.*completed, \([0-9]*\) ioctls/\1/p; s/.*vs close(fd): \([0-9]*\) ioctls/\1/p' $log |
				awk '{ s += $1 } END { print s + 0 }')
			seed=100
			while [ "$total" -lt "$ioctl_goal" ] && in_budget; do
				seed=$((seed + 1))
				VNPU_FUZZ_SEED=$seed VNPU_FUZZ_ITERS=$fuzz_chunk "$t" -r fuzz.random_ioctls 2>&1 | tee $log || { rc=1; break; }
				c=$(sed -n 's/.*fuzz: \([0-9]*\) ioctls.*/\1/p' $log | head -n1)
				[ -n "$c" ] && [ "$c" -gt 0 ] || { rc=1; break; }
				total=$((total + c))
			done
			echo "# check-debug: ioctls fuzzed: $total"
			goal "ioctls fuzzed" "$total" "$ioctl_goal"
			;;
		vnpu_stress_test)
			VNPU_STRESS_UNPLUGS=$unplug_chunk VNPU_STRESS_RELOADS=$reload_chunk "$t" 2>&1 | tee $log || rc=1
			for what in unplug reload; do
				if [ $what = unplug ]; then want=$unplug_goal chunk=$unplug_chunk
				else want=$reload_goal chunk=$reload_chunk; fi
				done_=$chunk
				while [ "$done_" -lt "$want" ] && in_budget; do
					VNPU_STRESS_UNPLUGS=$chunk VNPU_STRESS_RELOADS=$chunk \
						"$t" -r stress.${what}_cycles 2>&1 | tee $log || { rc=1; break; }
					done_=$((done_ + chunk))
				done
				echo "# check-debug: $what cycles: $done_"
				goal "$what cycles" "$done_" "$want"
			done
			;;
		*)
			"$t" || rc=1
			;;
		esac
	done

	# trinity: the ioctl syscall on the device node, unprivileged
	stamp trinity
	if command -v trinity >/dev/null; then
		# the victim: a node of accel0 that nobody may open
		chmod 0755 /
		mkdir -p /tmp/trinity/victims
		mknod -m 0666 /tmp/trinity/victims/accel0 c \
			"$(cut -d: -f1 /sys/class/accel/accel0/dev)" \
			"$(cut -d: -f2 /sys/class/accel/accel0/dev)"
		chown -R nobody /tmp/trinity
		# trinity forks a child per few calls: under TCG that is slow, so
		# the run is bounded in time; nobody's processes are killed after
		secs=${VNPU_DEBUG_TRINITY_SECS:-300}
		su -s /bin/sh nobody -c "cd /tmp/trinity && exec timeout -s KILL $secs trinity -l off -N 100000000 -C 2 -c ioctl -V /tmp/trinity/victims --disable-fds=sockets,pipes,perf,epoll,eventfd,pseudo,timerfd,testfile,memfd,drm -s 7" \
			> /tmp/trinity.out 2>&1
		su -s /bin/sh nobody -c "kill -9 -1" 2>/dev/null
		sleep 1
		calls=$(grep -c 'ioctl(fd=' /tmp/trinity.out)
		echo "# check-debug: trinity: $secs s on /dev/accel/accel0 (victim: the device node), $calls ioctls logged"
		if grep -q 'Enabled .* fd providers' /tmp/trinity.out && [ "$calls" -gt 0 ] &&
			/usr/bin/vnpu_job_test -r job.fill_copy > /tmp/after.out 2>&1; then
			tap OK trinity
		else
			grep -v 'start: 0x' /tmp/trinity.out | tail -n 30 | sed 's/^/# trinity: /'
			sed 's/^/# after trinity: /' /tmp/after.out 2>/dev/null
			tap FAIL trinity
		fi
		chmod 0700 /
		rm -rf /tmp/trinity
	else
		echo "ok $((n += 1)) trinity # SKIP trinity not in the guest"
	fi

	# stress-ng memory pressure (swap on zram) while verified jobs run
	# and idle BOs are swapped out and back
	stamp stress-ng
	if command -v stress-ng >/dev/null; then
		# swap on zram where the kernel has it built in (the debug
		# kernel); Debian's has it as a module the guest lacks
		zram=0
		if [ -e /sys/block/zram0 ] && ! grep -q '^/dev/zram0 ' /proc/swaps; then
			[ "$(cat /sys/block/zram0/disksize)" = 0 ] || echo 1 > /sys/block/zram0/reset
			echo 1G > /sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null &&
				swapon /dev/zram0 && zram=1
		fi
		secs=${VNPU_DEBUG_PRESSURE_SECS:-120}
		p0=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
		# stress-ng holds half the free memory for the whole step
		stress-ng --vm 1 --vm-bytes 50% --vm-keep --timeout "${secs}s" -q &
		sp=$!
		# the tests must not be the OOM killer's victims (stress-ng
		# restarts a killed worker)
		echo -1000 > /proc/self/oom_score_adj
		ok=1
		# beside it, the swap test's own allocations push past the rest:
		# the shrinker swaps idle BOs out while verified jobs run, and
		# every BO is checked after, by job and by CPU; meanwhile another
		# process runs the job suite in a loop while stress-ng runs
		sleep 5
		(
			runs=0
			while kill -0 $sp 2>/dev/null; do
				/usr/bin/vnpu_job_test -f job >/tmp/jobs.out 2>&1 ||
					{ cat /tmp/jobs.out; echo "$runs fail" > /tmp/jobs.runs; exit 1; }
				runs=$((runs + 1))
			done
			echo "$runs" > /tmp/jobs.runs
		) &
		jl=$!
		/usr/bin/vnpu_swap_test -r swap.memory_pressure_with_jobs >/tmp/swap.out 2>&1 ||
			{ ok=0; cat /tmp/swap.out; }
		swapline=$(sed -n 's/.*memory_pressure_with_jobs:\(.*under pressure.*\)/\1/p' /tmp/swap.out)
		# exit 0 with no result line: -r matched no test
		grep -q '^ok 1 ' /tmp/swap.out || ok=0
		wait $jl || ok=0
		runs=$(cat /tmp/jobs.runs)
		wait $sp || ok=0
		p1=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
		[ $zram = 1 ] && swapoff /dev/zram0 && echo 1 > /sys/block/zram0/reset
		echo "# check-debug: memory pressure: stress-ng ${secs} s; swap test: ${swapline:-no result}; $runs job-suite runs beside it; $((p1 - p0)) pages swapped out in all"
		[ $ok = 1 ] && tap OK memory_pressure || tap FAIL memory_pressure
	else
		echo "ok $((n += 1)) memory_pressure # SKIP no stress-ng"
	fi

	# kmemleak: objects unreferenced for two scans
	stamp kmemleak
	if [ -w $kml ]; then
		sleep 6; echo scan > $kml; echo scan > $kml
		if [ -s $kml ]; then
			echo "# kmemleak report:"; head -n 100 $kml | sed 's/^/# /'
			tap FAIL kmemleak
		else
			tap OK kmemleak
		fi
	elif [ "${VNPU_DEBUG_KERNEL:-}" = stock ]; then
		echo "ok $((n += 1)) kmemleak # SKIP stock kernel"
	else
		tap FAIL "kmemleak (no $kml)"
	fi
	stamp done
	exit $rc
fi

# ---------------------------------------------------------------- host
BUILD=${BUILD:-$here/build}
guests=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do guests+=("/usr/bin/${1##*/}"); shift; done
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] && [ ${#guests[@]} -gt 0 ] ||
	{ echo "usage: check-debug.sh TESTS... -- GUEST_FILES... [--data DATA...]" >&2; exit 2; }
files=("$@")
start=$(date +%s)

if [ "${VNPU_DEBUG_KERNEL:-}" = stock ]; then
	# the long run on Debian's kernel (no KASAN, lockdep, kmemleak or
	# fail-nth; SLUB debugging, KFENCE and page poisoning from the
	# command line): for when the debug kernel is not built yet
	echo "== 1/3 stock kernel (VNPU_DEBUG_KERNEL=stock): no debug kernel"
	kdir=$BUILD/guest/kernel
	mod=$BUILD/module
	# what Debian's kernel can check without rebuilding it
	append="slub_debug=FZPU kfence.sample_interval=100 page_poison=1 init_on_free=1"
	echo "== 2/3 initramfs"
else
	echo "== 1/3 debug kernel"
	kstart=$(date +%s)
	JOBS=${JOBS:-2} nice -n "${NICE:-15}" bash "$here/scripts/debug-kernel.sh" "$BUILD/debug-kernel" || exit 1
	kdir=$BUILD/debug-kernel
	echo "debug kernel ready in $(( $(date +%s) - kstart )) s (cold build took $(cat "$kdir/build-seconds") s)"

	echo "== 2/3 vnpu.ko against it, initramfs"
	mod=$BUILD/debug-module
	mkdir -p "$mod"
	for l in Kbuild kernel uapi; do ln -sfn "$here/$l" "$mod/$l"; done
	make -s -C "$kdir/src" M="$mod" W=1 modules || exit 1
fi
progs=()
for p in trinity stress-ng; do
	command -v $p >/dev/null && progs+=("$(command -v $p)") ||
		echo "check-debug: $p not installed (make deps): that step is skipped"
done
initrd=$BUILD/guest/initrd-debug.cpio.gz
mkdir -p "$BUILD/guest"
bash "$here/scripts/mkinitramfs.sh" "$initrd" "$kdir" "$mod/vnpu.ko" -- \
	"$here/scripts/check-debug.sh" "${progs[@]}" "${files[@]}" || exit 1

# Device fuzzing on the host (the guest kernel plays no part in it): the
# engine's command decoder under libFuzzer with ASan+UBSan, and the qtest
# fuzzer writing random registers, ring entries and page-table entries to
# the emulated device; VNPU_DEBUG_DEVICE_INPUTS (default 1000000) each.
# It runs niced beside the guest (whose vCPUs take one host thread, see
# below) and its report follows the guest's.
dev_goal=${VNPU_DEBUG_DEVICE_INPUTS:-1000000}
out=$(mktemp); dout=$(mktemp); trap 'rm -f "$out" "$dout"' EXIT
device_fuzz() {
	local t0 f
	t0=$(date +%s)
	f=$(mktemp)
	if [ -x "${FUZZ_RUNNER:-}" ]; then
		FUZZ_RUNS=$dev_goal "$FUZZ_RUNNER" > "$f" 2>&1
		cat "$f"
		echo "@lf $(sed -n 's/^ok 2 fuzz_engine .*, \([0-9]*\) runs, no finding/\1/p' "$f")"
	else
		echo "not ok 1 libFuzzer engine target missing (${FUZZ_RUNNER:-unset})"
	fi
	if [ -x "${QFUZZ_BIN:-}" ]; then
		VNPU_QFUZZ_ITERS=$dev_goal VNPU_QFUZZ_SEED=${VNPU_DEBUG_SEED:-7} QTEST_QEMU_BINARY=$QEMU \
			timeout 3600 "$QFUZZ_BIN" --tap -k > "$f" 2>&1
		cat "$f"
		echo "@qf $(sed -n 's/.*qfuzz: \([0-9]*\) device inputs.*/\1/p' "$f" | tail -n 1)"
	else
		echo "not ok 1 qtest device fuzzer missing (${QFUZZ_BIN:-unset})"
	fi
	echo "@secs $(( $(date +%s) - t0 ))"
	rm -f "$f"
}
( renice -n 10 -p "$BASHPID" >/dev/null; device_fuzz ) > "$dout" 2>&1 &
dpid=$!

# The guest's vCPUs share one host thread (round-robin TCG): with one
# thread per vCPU, QEMU 10.0 can dispatch a vCPU's MMIO through a TLB
# entry filled before another vCPU changed the memory map (PCI BARs move
# and bus mastering toggles at every remove/rescan), which lost LAPIC
# timer writes (RCU stalls) and aborted QEMU in iotlb_to_section() within
# 40 remove/rescan cycles (see Documentation/accel/vnpu/reliability.rst).
echo "== 3/3 in-guest suite on $(cat "$kdir/kver")"
gstart=$(date +%s)
KERNEL=$kdir/vmlinuz INITRD=$initrd BUILD=$BUILD VNPU_GUEST_ACCEL=${VNPU_DEBUG_ACCEL:-tcg,thread=single} \
	bash "$here/scripts/run-guest.sh" --timeout "${VNPU_DEBUG_TIMEOUT:-10800}" \
	--append "${append:-} ${VNPU_DEBUG_APPEND:-}" --qemu-args "${VNPU_DEBUG_QEMU_ARGS:-}" -- \
	"env VNPU_DEBUG_KERNEL=${VNPU_DEBUG_KERNEL:-debug} ${VNPU_DEBUG_ENV:-} sh /usr/bin/check-debug.sh --in-guest ${guests[*]}" 2>&1 | tee "$out"
grc=${PIPESTATUS[0]}
gsecs=$(( $(date +%s) - gstart ))

echo "== device fuzzing (host)"
wait "$dpid"
grep -v '^@' "$dout" | tee -a "$out"
lf=$(sed -n 's/^@lf //p' "$dout")
qf=$(sed -n 's/^@qf //p' "$dout")
dsecs=$(sed -n 's/^@secs //p' "$dout")
echo "check-debug: device inputs fuzzed: $(( ${lf:-0} + ${qf:-0} )) (libFuzzer engine decoder ${lf:-0}, qtest device fuzzer ${qf:-0}) in ${dsecs:-?} s, beside the guest" | tee -a "$out"
for f in "libFuzzer engine decoder:${lf:-0}" "qtest device fuzzer:${qf:-0}"; do
	if [ "${f##*:}" -ge "$dev_goal" ]; then echo "ok device inputs fuzzed, ${f%%:*}: ${f##*:} (goal $dev_goal)"
	else echo "not ok device inputs fuzzed, ${f%%:*}: ${f##*:} of $dev_goal"; fi
done | tee -a "$out"

pass=$(grep -Ec '^[[:space:]]*ok ' "$out")
skip=$(grep -Ec '^[[:space:]]*ok .*# *(SKIP|skip)' "$out")
fail=$(grep -Ec '^[[:space:]]*not ok ' "$out")
pass=$((pass - skip))
splats=0
if [ "$grc" = 3 ]; then
	splats=$(grep -Ec 'WARNING:|BUG:|KASAN|kmemleak: [0-9]+ new suspected|unreferenced object|possible circular|Call Trace:' "$BUILD/guest/last-console.log")
	fail=$((fail + 1))
elif [ "$grc" != 0 ] && [ "$fail" = 0 ]; then
	fail=$((fail + 1))
fi
fig() { grep -h "$1" "$out" | tail -n "${2:-1}"; }
echo
echo "== check-debug figures"
fig 'check-debug: ioctls fuzzed'
fig 'check-debug: device inputs fuzzed'
fig 'stress: .*hangs injected'
fig 'stress: .*DMA failures'
fig 'check-debug: unplug cycles'
fig 'check-debug: reload cycles'
fig 'isolation: .*attempts refused'
fig 'check-debug: trinity:'
fig 'check-debug: memory pressure'
echo "failslab/fail_page_alloc sweeps: $(grep -c 'failnth: .* sites' "$out") paths, $(grep -h 'failnth: ' "$out" | sed -n 's/.*: \([0-9]*\) sites.*/\1/p' | awk '{s+=$1} END {print s+0}') allocation sites failed"
echo "kernel splats: $splats (guest exit $grc)"
echo "guest run: $gsecs s; total: $(( $(date +%s) - start )) s"
echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
