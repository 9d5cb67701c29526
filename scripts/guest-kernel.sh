#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Unpack Debian's 6.12 guest kernel under OUTDIR without installing it:
#   OUTDIR/vmlinuz, OUTDIR/vmlinux (its uncompressed ELF with the PVH
#   entry note, when it has one), OUTDIR/config, OUTDIR/modules/*.ko (the
#   DRM modules vnpu.ko needs, decompressed), OUTDIR/modules/load-order,
#   OUTDIR/kver.
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
# The uncompressed kernel, which run-guest.sh boots through its PVH entry
# point: the bzImage decompressor takes 2-4 s of TCG at every boot. The
# payload's place is in the setup header (boot protocol 2.08+); the
# kernel's build appends its size (4 bytes) to it.
rm -f "$out/vmlinux"
u() { od -An -tu"$1" -j "$2" -N"$1" "$out/vmlinuz" | tr -d ' '; }
setup=$(u 1 $((0x1f1))); [ "$setup" = 0 ] && setup=4
poff=$(( (setup + 1) * 512 + $(u 4 $((0x248))) )); plen=$(( $(u 4 $((0x24c))) - 4 ))
case $(od -An -tx1 -j "$poff" -N4 "$out/vmlinuz" | tr -d ' ') in
28b52ffd) unz=(zstd -dqc) ;;
fd377a58) unz=(xz -dqc) ;;
1f8b*) unz=(gzip -dqc) ;;
*) unz=() ;;
esac
if [ ${#unz[@]} -gt 0 ] && dd if="$out/vmlinuz" iflag=skip_bytes,count_bytes bs=1M \
		skip="$poff" count="$plen" status=none | "${unz[@]}" > "$out/vmlinux.tmp" 2>/dev/null &&
		[ "$(readelf -n "$out/vmlinux.tmp" 2>/dev/null | grep -c 'Xen.*(0x00000012)')" -gt 0 ]; then
	mv "$out/vmlinux.tmp" "$out/vmlinux"
else
	rm -f "$out/vmlinux.tmp"
	echo "guest-kernel: no PVH vmlinux from the bzImage; guests boot the bzImage" >&2
fi
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
