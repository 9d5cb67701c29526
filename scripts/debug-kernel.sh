#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build the debug guest kernel of `make check-debug` from Debian's
# linux-source-6.12, once per machine:
#   debug-kernel.sh [LINK]        (LINK defaults to build/debug-kernel)
# The tree is built in a per-machine cache,
#   ${VNPU_CACHE:-/var/cache/vnpu}/debug-kernel-<key>
# where <key> hashes the linux-source version, the compiler version and
# the config below, so a second run, or a fresh clone on the same
# machine, reuses it; LINK is made a symlink to it. Result:
#   LINK/vmlinuz, LINK/modules/*.ko + load-order (DRM, shmem helper, gpu
#   scheduler, vgem and what they need), LINK/src (configured tree:
#   build vnpu.ko with `make -C LINK/src M=...`), LINK/build-seconds.
#
# Config: x86_64_defconfig trimmed to what the test guest uses (q35, PCI
# and PCIe with MSI-X, 8250 console, devtmpfs, initramfs, modules, virtio,
# netlink for the telemetry family, zram for swap) plus KASAN (inline),
# lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, kmemleak, DMA API debug,
# fault injection (failslab, fail_page_alloc, their debugfs and the
# stacktrace filter, so that fail-nth and require-start work); no debug
# info, tracing, IPv4, cgroups, networking, storage, USB, sound, input
# or graphics drivers (vnpu's tracepoint test SKIPs on it). DRM_SCHED has no
# prompt: v3d (=m, with COMPILE_TEST and COMMON_CLK) selects it.
#
# JOBS (default: nproc) sets make -j; run it niced on a shared machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
link=${1:-$here/build/debug-kernel}
jobs=${JOBS:-$(nproc)}
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || { echo "debug-kernel: /usr/src/linux-source-6.12.tar.* missing; run 'make deps'" >&2; exit 1; }
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.12 2>/dev/null || stat -c %s "$tarball")

opts=(
	# debugging
	-e KASAN -e KASAN_GENERIC -e KASAN_INLINE
	-e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP -e DEBUG_LIST
	--set-val LOCKDEP_BITS 16 --set-val LOCKDEP_CHAINS_BITS 18
	--set-val LOCKDEP_STACK_TRACE_BITS 20
	-e DEBUG_KMEMLEAK --set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 16000
	-d DEBUG_KMEMLEAK_DEFAULT_OFF -d DEBUG_KMEMLEAK_AUTO_SCAN
	-e DMA_API_DEBUG -e SOFTLOCKUP_DETECTOR -e DETECT_HUNG_TASK
	-e FAULT_INJECTION -e FAILSLAB -e FAIL_PAGE_ALLOC
	-e FAULT_INJECTION_DEBUG_FS -e FAULT_INJECTION_STACKTRACE_FILTER
	-e DEBUG_FS -e DEBUG_FS_ALLOW_ALL
	-d BLK_DEV_IO_TRACE
	-d DEBUG_INFO -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
	-d DEBUG_INFO_DWARF4 -d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE
	-d DEBUG_STACK_USAGE -d WERROR -d KPROBES -d PROFILING
	# what vnpu.ko and the tests use
	-m DRM -e DRM_ACCEL -m DRM_VGEM -e COMPILE_TEST -e COMMON_CLK
	-m DRM_V3D -d DRM_FBDEV_EMULATION -e SYNC_FILE -e SW_SYNC
	-e WANT_DEV_COREDUMP -e DEV_COREDUMP -e PM
	-e DEVTMPFS -e DEVTMPFS_MOUNT -e BLK_DEV_INITRD -e RD_GZIP
	-e MODULES -e MODULE_UNLOAD -d MODULE_SIG -d SYSTEM_TRUSTED_KEYRING
	-e PCI -e PCIEPORTBUS -e PCI_MSI -e HOTPLUG_PCI -e HOTPLUG_PCI_PCIE
	-e SERIAL_8250 -e SERIAL_8250_CONSOLE
	-e VIRTIO_PCI -e VIRTIO_BLK -e SWAP -e ZRAM -e ZSMALLOC
	-e NET -e UNIX -e TMPFS -e SHMEM
	# not needed by the guest
	-d DRM_I915 -d DRM_XE -d DRM_VIRTIO_GPU -d AGP -d FB -d SOUND
	-d CFG80211 -d MAC80211 -d WLAN -d WIRELESS -d RFKILL -d BT
	-d NETDEVICES -d NETFILTER -d IPV6 -d NET_SCHED -d NETLABEL
	-d XFRM_USER -d IP_PNP -d IP_MROUTE -d IP_ADVANCED_ROUTER
	-d NET_9P -d 9P_FS -d NFS_FS -d ROOT_NFS -d NETWORK_FILESYSTEMS
	-d PCCARD -d USB_SUPPORT -d HID -d INPUT_JOYSTICK -d INPUT_TABLET
	-d INPUT_TOUCHSCREEN -d INPUT_MISC -d MACINTOSH_DRIVERS
	-d ATA -d SCSI -d MD -d BLK_DEV_DM -d EXT4_FS -d ISO9660_FS
	-d MSDOS_FS -d VFAT_FS -d QUOTA -d AUTOFS_FS -d HUGETLBFS
	-d SECURITY_SELINUX -d AUDIT -d EFI -d EFI_STUB -d HIBERNATION
	-d KEXEC -d CRASH_DUMP -d AMD_IOMMU -d INTEL_IOMMU -d I2C
	-d WATCHDOG -d X86_PLATFORM_DEVICES -d NUMA -d HW_RANDOM
	-d CGROUP_DEBUG -d MEDIA_SUPPORT -d THERMAL -d HWMON
	# more trimming, to build in less time: no IPv4 (netlink only), no
	# cgroups, virtual terminals, input, tracing, 32-bit syscalls, BPF,
	# LSMs, cpufreq, MCE, RTC, DMA engines
	-e EXPERT -d INET -d PACKET -d XFRM -d CGROUPS -d VT -d INPUT
	-d SERIO -d FTRACE -d IA32_EMULATION -d X86_X32_ABI -d BPF_SYSCALL
	-d SECURITY -d CPU_FREQ -d X86_MCE -d MICROCODE -d RTC_CLASS
	-d DMADEVICES -d TASKSTATS -d SCHEDSTATS -d POWER_SUPPLY
	-d NEW_LEDS -d CPU_SUP_AMD -d CPU_SUP_HYGON -d CPU_SUP_CENTAUR
	-d CPU_SUP_ZHAOXIN -d KVM_GUEST -d XEN -d X86_CPU_RESCTRL
	-d PERF_EVENTS_AMD_POWER -d PERF_EVENTS_INTEL_UNCORE
	-d PERF_EVENTS_INTEL_RAPL -d PERF_EVENTS_INTEL_CSTATE
	# leaf drivers that defconfig, COMPILE_TEST or the options dropped
	# above left enabled
	-d CLK_SUNXI -d COMMON_CLK_STM32MP -d COMMON_CLK_NUVOTON -d CLK_MA35D1
	-d SERIAL_8250_TEGRA -d SERIAL_8250_LPSS -d SERIAL_8250_MID
	-d SERIAL_8250_EXAR -d SERIAL_8250_PERICOM -d SERIAL_8250_DW
	-d PTP_1588_CLOCK_QORIQ -d PTP_1588_CLOCK_DTE -d INTEL_MEI
	-d INTEL_MEI_ME -d INTEL_TCC_COOLING -d BLK_DEV_LOOP -d VIRTIO_CONSOLE
	-d BINFMT_MISC -d ACPI_AC -d ACPI_BATTERY -d ACPI_FAN -d ACPI_DOCK
	-d ACPI_TABLE_UPGRADE -d CRYPTO_GCM -d CRYPTO_CCM -d CRYPTO_AUTHENC
	-d CRYPTO_SEQIV -d CRYPTO_ECHAINIV -d CRYPTO_CMAC -d CRYPTO_SHA3
	-d CRYPTO_SHA512 -d CRYPTO_MD5 -d CRYPTO_CTR -d CRYPTO_CBC
	-d CRYPTO_ECB -d CRYPTO_GHASH -d CRYPTO_RSA -d CRYPTO_NULL
)
key=$(printf '%s\n' "$srcver" "$(gcc --version | head -n1)" "${opts[*]}" | sha256sum | cut -c1-12)
cache=${VNPU_CACHE:-/var/cache/vnpu}
mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || cache=$here/build/cache
out=$cache/debug-kernel-$key
mkdir -p "$out"
mkdir -p "$(dirname "$link")"
ln -sfn "$out" "$link"

if [ -f "$out/.done" ] && [ -f "$out/vmlinuz" ]; then
	echo "debug-kernel: cached: $out (built in $(cat "$out/build-seconds" 2>/dev/null || echo '?') s)"
	exit 0
fi
# One build at a time per cache entry (two clones may ask at once).
exec 9>"$out.lock"
flock 9
[ -f "$out/.done" ] && { echo "debug-kernel: cached: $out"; exit 0; }

start=$(date +%s)
if [ ! -f "$out/src/Makefile" ]; then
	echo "debug-kernel: unpacking $(basename "$tarball") into $out/src"
	mkdir -p "$out/src"
	tar xf "$tarball" -C "$out/src" --strip-components=1
fi
if [ "$(cat "$out/.config-key" 2>/dev/null)" != "$key" ]; then
	echo "debug-kernel: configuring"
	make -C "$out/src" -s x86_64_defconfig
	"$out/src/scripts/config" --file "$out/src/.config" "${opts[@]}"
	make -C "$out/src" -s olddefconfig
	# olddefconfig drops what cannot be had: say so rather than build
	# a kernel without the debugging the tier promises.
	for sym in KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK \
		FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS \
		FAULT_INJECTION_STACKTRACE_FILTER DRM_ACCEL DEBUG_FS PM NET; do
		grep -q "^CONFIG_$sym=y" "$out/src/.config" ||
			{ echo "debug-kernel: CONFIG_$sym is not set after olddefconfig" >&2; exit 1; }
	done
	for sym in DRM DRM_SCHED DRM_GEM_SHMEM_HELPER DRM_VGEM; do
		grep -Eq "^CONFIG_$sym=(y|m)" "$out/src/.config" ||
			{ echo "debug-kernel: CONFIG_$sym is not set after olddefconfig" >&2; exit 1; }
	done
	echo "$key" > "$out/.config-key"
fi

echo "debug-kernel: building $out with $jobs jobs (make is incremental)"
make -C "$out/src" -s -j"$jobs" bzImage modules
cp "$out/src/arch/x86/boot/bzImage" "$out/vmlinuz"

# The DRM modules vnpu.ko and the tests need, in load order, from the
# tree's modules.dep.
rm -rf "$out/root" "$out/modules"
make -C "$out/src" -s INSTALL_MOD_PATH="$out/root" INSTALL_MOD_STRIP=1 modules_install
kver=$(make -C "$out/src" -s kernelrelease)
mdir="$out/root/lib/modules/$kver"
mkdir -p "$out/modules"
declare -A seen=()
visit() {
	local name=$1 line path d
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	line=$(grep -E "(^|/)${name//_/[_-]}\.ko:" "$mdir/modules.dep" | head -n1 || true)
	[ -n "$line" ] || { echo "debug-kernel: module $name not built" >&2; exit 1; }
	path=${line%%:*}
	for d in ${line#*:}; do d=${d##*/}; visit "${d%.ko}"; done
	cp "$mdir/$path" "$out/modules/"
	echo "${path##*/}" >> "$out/modules/load-order"
}
for m in drm drm_shmem_helper gpu_sched vgem; do visit "$m"; done
rm -rf "$out/root"
echo "$kver" > "$out/kver"
echo $(( $(date +%s) - start )) > "$out/build-seconds"
touch "$out/.done"
echo "debug-kernel: done in $(cat "$out/build-seconds") s: $link/vmlinuz ($kver)"
