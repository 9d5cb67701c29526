#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Boot the vnpu test guest under TCG and run one command in it.
#
#   run-guest.sh [--devices N] [--timeout S] [--qemu-args "ARGS"]
#                [--device-args "PROPS"] [--append "KERNEL ARGS"]
#                [--noload] [--shell] -- CMD...
#
# Prints the command's output and exits with its status. Fails (and shows
# the kernel log) when the guest kernel reports a warning, BUG, oops or
# lockup, when the guest dies before the command ends, or on timeout.
# Environment: QEMU, KERNEL, INITRD, BUILD; VNPU_GUEST_ACCEL (-accel,
# default tcg: one host thread per vCPU).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$here/build}
QEMU=${QEMU:-$BUILD/qemu/build/qemu-system-x86_64}
# vmlinux (guest-kernel.sh) boots through its PVH entry point: no bzImage
# decompressor running under TCG (2-4 s of host time per boot)
KERNEL=${KERNEL:-$BUILD/guest/kernel/vmlinux}
[ -f "$KERNEL" ] || [ "$KERNEL" != "$BUILD/guest/kernel/vmlinux" ] || KERNEL=${KERNEL%x}z
INITRD=${INITRD:-$BUILD/guest/initrd.cpio}
devices=1 timeout=600 qemu_args="" dev_args="" shell=0 noload=0 extra=""
while [ $# -gt 0 ]; do
	case $1 in
	--devices) devices=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--qemu-args) qemu_args=$2; shift 2 ;;
	--device-args) dev_args=,$2; shift 2 ;;
	--append) extra=" $2"; shift 2 ;;
	--shell) shell=1; shift ;;
	--noload) noload=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '4,13p' "$0"; exit 0 ;;
	*) echo "run-guest: unknown option $1" >&2; exit 2 ;;
	esac
done
die() { echo "run-guest: $*" >&2; exit 2; }
[ -x "$QEMU" ] || die "no QEMU at $QEMU (run 'make qemu')"
[ -f "$KERNEL" ] || die "no guest kernel at $KERNEL (run 'make guest')"
[ -f "$INITRD" ] || die "no initramfs at $INITRD (run 'make guest')"
[ -f /usr/share/qemu/qboot.rom ] || die "qboot.rom missing (run 'make deps')"
[ $shell = 1 ] || [ $# -gt 0 ] || die "no command given (use -- CMD or --shell)"

# no_timer_check: under TCG on a busy host the IO-APIC timer check can
# miss its ticks and panic the boot ("IO-APIC + timer doesn't work").
# tsc=reliable: the TCG TSC is the host's, one counter for every vCPU; on a
# busy host the clocksource watchdog sees the late ticks as TSC skew and
# moves the guest to acpi_pm (an I/O port read per clock read).
# quiet loglevel=5: the console gets KERN_WARNING and worse only, so a
# WARN splat shows up live and the boot does not crawl through the
# emulated 8250; the whole log comes after the command (dmesg).
# Boot time (performance.rst, "Boot"): the crypto self-tests, the jitter
# entropy source, the X.509 certificates (nothing here verifies a
# signature) and IPv6 cost ~1 s of TCG boot and no test needs them; the
# KDF self-test and the encrypted-keys type ask for modules at boot, which
# waits for the initramfs to be unpacked. 8250.nr_uarts=1 and i8042.no*:
# no probing of serial ports and a PS/2 controller nobody uses.
append="console=ttyS0 panic=-1 oops=panic quiet loglevel=5 no_timer_check tsc=reliable"
append+=" cryptomgr.notests=1 ipv6.disable=1 8250.nr_uarts=1 i8042.noaux i8042.nokbd"
append+=" initcall_blacklist=crypto_kdf108_init,jent_mod_init,load_system_certificate_list,init_encrypted"
# The TCG guest's TSC runs at the host's TSC rate. Telling the kernel:
# lpj= skips the delay-loop calibration of the second vCPU at bring-up
# (qemu64 has no invariant TSC, so it cannot reuse the boot CPU's; 0.1-0.2 s
# of boot), tsc_early_khz= replaces a PIT calibration that a busy host
# can skew. Left out when the host's TSC rate or the kernel's HZ is unknown.
host_tsc_khz() {
	local mhz
	[ -r /sys/devices/system/cpu/cpu0/tsc_freq_khz ] &&
		{ cat /sys/devices/system/cpu/cpu0/tsc_freq_khz; return; }
	mhz=$(dmesg 2>/dev/null | sed -n -e 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' \
		-e 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -n1)
	# without cpufreq, /proc/cpuinfo gives the calibrated rate
	[ -n "$mhz" ] || [ -e /sys/devices/system/cpu/cpu0/cpufreq ] ||
		! grep -qw constant_tsc /proc/cpuinfo ||
		mhz=$(awk '/^cpu MHz/ { print $4; exit }' /proc/cpuinfo)
	[ -n "$mhz" ] && awk -v m="$mhz" 'BEGIN { printf "%d\n", m * 1000 }'
}
kdir=$(dirname "$KERNEL")
hz=$(sed -n 's/^CONFIG_HZ=//p' "$kdir/config" "$kdir/src/.config" 2>/dev/null | head -n1)
khz=$(host_tsc_khz)
if [ -n "$hz" ] && [ -n "$khz" ] && [ "$khz" -ge 500000 ] && [ "$khz" -le 10000000 ]; then
	append+=" tsc_early_khz=$khz lpj=$((khz * 1000 / hz))"
fi
append+=" vnpu.devices=$devices$extra"
[ $noload = 1 ] && append+=" vnpu.noload=1"
if [ $shell = 1 ]; then
	append+=" vnpu.shell=1"
else
	cmd=$(printf '%s ' "$@" | base64 -w0)
	append+=" vnpu.cmd=$cmd"
	[ ${#append} -lt 2000 ] || die "command too long for the kernel command line"
fi
args=(-M q35 -accel "${VNPU_GUEST_ACCEL:-tcg}" -m 2G -smp 2 -no-reboot -vga none -nic none
	-bios /usr/share/qemu/qboot.rom -L /usr/share/qemu
	-kernel "$KERNEL" -initrd "$INITRD" -append "$append")
for ((i = 0; i < devices; i++)); do args+=(-device "vnpu$dev_args"); done
# shellcheck disable=SC2206
args+=($qemu_args)

if [ $shell = 1 ]; then
	exec "$QEMU" "${args[@]}" -nographic
fi

mkdir -p "$BUILD/guest"
log=$(mktemp "$BUILD/guest/console.XXXXXX")
trap 'rm -f "$log"' EXIT
# The filter prints the command's output live and remembers the rest.
timeout -k 5 "$timeout" "$QEMU" "${args[@]}" -display none -monitor none \
	-serial stdio </dev/null 2>&1 | tee "$log" | awk '
	/^@@VNPU-BEGIN@@/ { on = 1; next }
	/^@@VNPU-DMESG-BEGIN@@/ { on = 0; next }
	on { print; fflush() }'
qrc=${PIPESTATUS[0]}
cp "$log" "$BUILD/guest/last-console.log"

rc=$(sed -n 's/^@@VNPU-EXIT@@ \([0-9]*\).*/\1/p' "$log" | tail -n1)
sed -n '/^@@VNPU-DMESG-BEGIN@@/,/^@@VNPU-DMESG-END@@/p' "$log" > "$BUILD/guest/last-dmesg.log"
bad='(WARNING:|BUG:|Oops|general protection fault|Call Trace:|soft lockup|hard LOCKUP|blocked for more than|Kernel panic|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|unreferenced object|refcount_t:|list_add corruption|list_del corruption)'
if grep -Eq "$bad" "$log"; then
	echo "run-guest: the guest kernel reported a problem:" >&2
	grep -En -B2 -A25 "$bad" "$log" | head -n 80 >&2
	echo "run-guest: full log in $BUILD/guest/last-console.log" >&2
	exit 3
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run-guest: timed out after ${timeout}s; last console lines:" >&2
	tail -n 20 "$log" >&2
	exit 124
fi
if [ -z "$rc" ]; then
	echo "run-guest: the guest ended before the command finished (QEMU exit $qrc); last console lines:" >&2
	tail -n 20 "$log" >&2
	exit 4
fi
exit "$rc"
