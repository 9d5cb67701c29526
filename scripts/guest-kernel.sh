#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Unpack Debian's 6.12 guest kernel under OUTDIR without installing it:
#   OUTDIR/vmlinuz, OUTDIR/config, OUTDIR/modules/*.ko (the DRM modules
#   vnpu.ko needs, decompressed), OUTDIR/modules/load-order, OUTDIR/kver.
# The kernel version matches the headers the module is built against.
set -euo pipefail
out=${1:?usage: guest-kernel.sh OUTDIR KVER}
kver=${2:?usage: guest-kernel.sh OUTDIR KVER}
pkg="linux-image-$kver-unsigned"
mkdir -p "$out/deb"
deb=$(ls "$out"/deb/"${pkg}"_*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
	echo "guest-kernel: downloading $pkg"
	(cd "$out/deb" && apt-get download -q "$pkg" >/dev/null) ||
		{ echo "guest-kernel: cannot download $pkg (run 'make deps'; is the archive reachable?)" >&2; exit 1; }
	deb=$(ls "$out"/deb/"${pkg}"_*.deb | head -n1)
fi
rm -rf "$out/root"
dpkg-deb -x "$deb" "$out/root"
cp "$out/root/boot/vmlinuz-$kver" "$out/vmlinuz"
# run-guest.sh reads CONFIG_HZ from it (lpj=)
cp "$out/root/boot/config-$kver" "$out/config"
mdir="$out/root/lib/modules/$kver"
# The package ships no modules.dep (depmod makes it at install time).
depmod -b "$out/root" "$kver"

# Resolve the dependency closure of what vnpu.ko needs, in load order,
# from the image's modules.dep (built by Debian's depmod).
rm -rf "$out/modules"; mkdir -p "$out/modules"
# vgem gives the tests fences they control (dma-buf sync_file export);
# zram gives vnpu_swap_test swap to push evicted BOs to.
needed="drm drm_shmem_helper gpu_sched vgem zram"
declare -A seen=()
order=()
visit() {
	local name=$1 line path deps d
	[ -n "${seen[$name]:-}" ] && return 0
	seen[$name]=1
	line=$(grep -E "(^|/)${name//_/[_-]}\.ko(\.xz|\.zst|\.gz)?:" "$mdir/modules.dep" | head -n1 || true)
	[ -n "$line" ] || { echo "guest-kernel: module $name not in $kver" >&2; exit 1; }
	path=${line%%:*}; deps=${line#*:}
	for d in $deps; do d=${d##*/}; visit "${d%%.ko*}"; done
	order+=("$path")
}
for m in $needed; do visit "$m"; done
for p in "${order[@]}"; do
	base=${p##*/}; base=${base%%.ko*}
	case "$p" in
	*.xz) xz -dc "$mdir/$p" > "$out/modules/$base.ko" ;;
	*.zst) zstd -qdc "$mdir/$p" > "$out/modules/$base.ko" ;;
	*) cp "$mdir/$p" "$out/modules/$base.ko" ;;
	esac
	echo "$base.ko" >> "$out/modules/load-order"
done
echo "$kver" > "$out/kver"
rm -rf "$out/root"
touch "$out/.stamp"
echo "guest-kernel: $kver, modules: $(tr '\n' ' ' < "$out/modules/load-order")"
