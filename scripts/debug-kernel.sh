#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build a debug guest kernel from Debian's linux-source-6.12, once per
# machine (cached under OUTDIR, normally build/debug-kernel):
#   debug-kernel.sh [OUTDIR]
# Result: OUTDIR/vmlinuz, OUTDIR/modules/*.ko (DRM, shmem helper, gpu
# scheduler, vgem) and OUTDIR/src (configured tree: build vnpu.ko with
# `make -C OUTDIR/src M=...`).
#
# Config: x86_64_defconfig, plus KASAN, lockdep (PROVE_LOCKING),
# DEBUG_ATOMIC_SLEEP, kmemleak, fault injection (failslab,
# fail_page_alloc, their debugfs), DRM/DRM_ACCEL/gpu scheduler/shmem
# helper as modules; without debug info, i915, wireless and sound.
# DRM_SCHED has no prompt: nouveau (=m) is enabled only to select it.
#
# Not run by `make check` (it takes tens of minutes from a cold cache);
# this is the start of issue 7's `make check-debug` tier. Untested so far.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build/debug-kernel}
jobs=${JOBS:-$(nproc)}
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || { echo "debug-kernel: /usr/src/linux-source-6.12.tar.* missing; run 'make deps'" >&2; exit 1; }

opts=(
	-e KASAN -e KASAN_GENERIC -e KASAN_INLINE
	-e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP
	-e DEBUG_KMEMLEAK --set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 16000
	-d DEBUG_KMEMLEAK_DEFAULT_OFF
	-e FAULT_INJECTION -e FAILSLAB -e FAIL_PAGE_ALLOC
	-e FAULT_INJECTION_DEBUG_FS -e DEBUG_FS
	-m DRM -e DRM_ACCEL -m DRM_VGEM -m DRM_NOUVEAU
	-e DEVTMPFS -e DEVTMPFS_MOUNT -e BLK_DEV_INITRD -e MODULES
	-e MODULE_UNLOAD -e PCI -e SERIAL_8250_CONSOLE
	-d DEBUG_INFO -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -e DEBUG_INFO_NONE
	-d DRM_I915 -d DRM_XE -d CFG80211 -d WLAN -d WIRELESS -d SOUND
	-d MODULE_SIG -d SYSTEM_TRUSTED_KEYRING
)
stamp=$out/.config-stamp
want="$(basename "$tarball") ${opts[*]}"

if [ ! -f "$out/src/Makefile" ]; then
	echo "debug-kernel: unpacking $(basename "$tarball")"
	mkdir -p "$out/src"
	tar xf "$tarball" -C "$out/src" --strip-components=1
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "debug-kernel: configuring"
	make -C "$out/src" -s x86_64_defconfig
	"$out/src/scripts/config" --file "$out/src/.config" "${opts[@]}"
	make -C "$out/src" -s olddefconfig
	# olddefconfig drops what cannot be had: say so rather than build
	# a kernel without the debugging the tier promises.
	for sym in KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK \
		FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS DRM_ACCEL; do
		grep -q "^CONFIG_$sym=y" "$out/src/.config" ||
			{ echo "debug-kernel: CONFIG_$sym is not set after olddefconfig" >&2; exit 1; }
	done
	for sym in DRM DRM_SCHED DRM_GEM_SHMEM_HELPER DRM_VGEM; do
		grep -Eq "^CONFIG_$sym=(y|m)" "$out/src/.config" ||
			{ echo "debug-kernel: CONFIG_$sym is not set after olddefconfig" >&2; exit 1; }
	done
	echo "$want" > "$stamp"
fi

start=$(date +%s)
echo "debug-kernel: building with $jobs jobs (make is incremental)"
make -C "$out/src" -s -j"$jobs" bzImage modules
cp "$out/src/arch/x86/boot/bzImage" "$out/vmlinuz"
mkdir -p "$out/modules"
for m in drivers/gpu/drm/drm.ko drivers/gpu/drm/drm_shmem_helper.ko \
	drivers/gpu/drm/scheduler/gpu-sched.ko drivers/gpu/drm/vgem/vgem.ko; do
	[ -f "$out/src/$m" ] && cp "$out/src/$m" "$out/modules/"
done
echo "debug-kernel: done in $(( $(date +%s) - start )) s: $out/vmlinuz"
