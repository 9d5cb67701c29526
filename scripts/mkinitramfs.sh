#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Assemble the guest initramfs:
#   mkinitramfs.sh OUT KERNELDIR VNPU_KO -- FILES... [--data DATA...]
# FILES are binaries (to /usr/bin) and shared libraries (*.so*, to
# /usr/lib); DATA files (models, test vectors) go to /usr/share/vnpu. Every ELF's shared-library dependencies are copied from the
# host (host and guest are both bookworm).
# Boot time under TCG (performance.rst, "Boot"): our ELF files and the
# modules lose their debug info (symbols stay, so splats still name
# functions), and OUT is written uncompressed unless it ends in .gz or
# .lz4: the kernel unpacks it by copying instead of inflating it on the
# emulated CPU.
set -euo pipefail
out=${1:?}; kdir=${2:?}; ko=${3:?}; shift 3
[ "${1:-}" = -- ] && shift
root=$(mktemp -d "${out%/*}/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/lib,lib/modules,lib64,proc,sys,dev,tmp,etc,root}
cp /bin/busybox "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
cp "$kdir"/modules/*.ko "$kdir/modules/load-order" "$root/lib/modules/"
cp "$ko" "$root/lib/modules/vnpu.ko"
cp "$(dirname "$0")/guest-init.sh" "$root/init"
chmod +x "$root/init"
# mounted by the init script with one `mount -a`
cat > "$root/etc/fstab" <<'EOF'
proc /proc proc defaults 0 0
sys /sys sysfs defaults 0 0
dev /dev devtmpfs defaults 0 0
tmp /tmp tmpfs defaults 0 0
debugfs /sys/kernel/debug debugfs defaults 0 0
EOF
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
echo 'render:x:105:' >> "$root/etc/group"

declare -A libs=()
add_deps() {
	local f=$1 l
	for l in $(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
		libs[$l]=1
	done
}
data=0
mkdir -p "$root/usr/share/vnpu"
for f in "$@"; do
	if [ "$f" = --data ]; then data=1; continue; fi
	if [ $data = 1 ]; then cp "$f" "$root/usr/share/vnpu/"; continue; fi
	case "${f##*/}" in
	*.so|*.so.*) cp -a "$f" "$root/usr/lib/" ;;
	*) cp "$f" "$root/usr/bin/" ;;
	esac
	[ -L "$f" ] || add_deps "$f"
done
for l in "${!libs[@]}"; do
	case "$l" in
	*/build/*) ;;	# our own libraries are passed explicitly
	*) mkdir -p "$root$(dirname "$l")"; cp -L "$l" "$root$l" ;;
	esac
done
# The dynamic loader: /lib64/ld-linux-x86-64.so.2 must exist.
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
# Debug info is never read in the guest; strip it from what we built
# (vnpu.ko alone is 4.5 MB with it, 0.4 MB without).
while IFS= read -r -d '' f; do
	[ "$(head -c 4 "$f")" = $'\x7fELF' ] && strip --strip-debug "$f"
done < <(find "$root/usr/bin" "$root/usr/lib" "$root/lib/modules" -type f -print0)
case $out in
*.gz) compress=(gzip -1) ;;
*.lz4) compress=(lz4 -l -q) ;;	# the kernel reads only the legacy format
*) compress=(cat) ;;
esac
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | "${compress[@]}" > "$out.tmp"
mv "$out.tmp" "$out"
