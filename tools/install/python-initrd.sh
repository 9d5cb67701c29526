#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A guest initramfs with python3 and numpy, for the Python binding's device
# test until the full Debian guest exists:
#   python-initrd.sh OUT BASE_INITRD PYTHON_DIR
# OUT is BASE_INITRD followed by a second cpio archive (the kernel unpacks
# both) holding the host's python3.11, its standard library (without
# tests, IDLE, tkinter), numpy, every shared library they need (host and
# guest are both bookworm), and python/vnpu plus its device test.
set -euo pipefail
out=${1:?} base=${2:?} py=${3:?}
root=$(mktemp -d "${out%/*}/pyroot.XXXXXX")
trap 'rm -rf "$root"' EXIT
pyver=python3.11
std=/usr/lib/$pyver
dist=/usr/lib/python3/dist-packages
mkdir -p "$root/usr/bin" "$root$std" "$root$dist" "$root/usr/share/vnpu"
cp /usr/bin/$pyver "$root/usr/bin/"
ln -s $pyver "$root/usr/bin/python3"
tar -C "$std" --exclude=test --exclude=tests --exclude=idlelib --exclude=tkinter \
	--exclude=turtledemo --exclude=ensurepip --exclude=lib2to3 --exclude='config-*' \
	-cf - . | tar -C "$root$std" -xf -
tar -C "$dist" --exclude=tests -cf - numpy | tar -C "$root$dist" -xf -
cp -r "$py/vnpu" "$root$dist/"
cp "$py/tests/test_device.py" "$root/usr/share/vnpu/"
declare -A libs=()
while IFS= read -r f; do
	for l in $(ldd "$f" 2>/dev/null | awk '/=> \//{print $3}'); do libs[$l]=1; done
done < <(echo /usr/bin/$pyver; find "$root$std/lib-dynload" "$root$dist/numpy" -name '*.so' |
	sed "s|^$root||")
for l in "${!libs[@]}"; do
	mkdir -p "$root$(dirname "$l")"
	cp -L "$l" "$root$l"
done
cp "$base" "$out.tmp"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >> "$out.tmp"
mv "$out.tmp" "$out"
