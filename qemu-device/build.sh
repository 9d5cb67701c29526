#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build.sh BUILD_DIR: build QEMU (trixie's 10.0 source package) with the
# vnpu device and its qtest. Layout under BUILD_DIR (normally build/qemu):
#   *.dsc, *.orig.tar.*, *.debian.tar.*   the source package
#   src/                                   unpacked once, then insert.sh
#   build/                                 configure + ninja
# Reuses any download; otherwise fetches the newest qemu source in trixie.
set -euo pipefail

out=${1:?usage: build.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
say() { printf 'qemu: %s\n' "$*"; }

# 1. The source package: newest .dsc present, else download the newest.
newest_dsc() {
	local f
	for f in "$out"/qemu_*.dsc; do
		if [ -e "$f" ]; then
			basename "$f" .dsc | sed 's/^qemu_//'
		fi
	done | sort -V | tail -n1
}
ver=$(newest_dsc)
if [ -z "$ver" ]; then
	say "downloading the qemu source package from trixie"
	(cd "$out" && apt-get source --download-only qemu/trixie) ||
		{ echo "qemu: apt-get source failed; run 'make deps' (it adds trixie deb-src)" >&2; exit 1; }
	ver=$(newest_dsc)
	[ -n "$ver" ] || { echo "qemu: no qemu_*.dsc after download" >&2; exit 1; }
fi

# 2. Unpack once (dpkg-source applies Debian's patches).
if [ ! -f "$out/src/.vnpu-unpacked" ] || [ "$(cat "$out/src/.vnpu-unpacked")" != "$ver" ]; then
	say "unpacking qemu $ver"
	rm -rf "$out/src" "$out/build"
	(cd "$out" && dpkg-source -x "qemu_$ver.dsc" src >/dev/null)
	echo "$ver" > "$out/src/.vnpu-unpacked"
fi

# 3. Our device and qtest (only changed files are touched).
bash "$here/insert.sh" "$out/src"

# 4. Configure (again only when these options change): q35 plus the
#    devices we select (devices.mak). No fdt: x86 does not need it and the
#    dtc subproject would need a download.
opts=(--target-list=x86_64-softmmu
	--without-default-features --without-default-devices
	--with-devices-x86_64=vnpu
	--disable-docs --disable-install-blobs --disable-fdt
	--python=/usr/bin/python3)
stamp=$out/build/.vnpu-configure
if [ ! -f "$out/build/build.ninja" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${opts[*]}" ]; then
	say "configuring"
	rm -rf "$out/build"
	mkdir -p "$out/build"
	(cd "$out/build" && "$out/src/configure" "${opts[@]}") > "$out/configure.log" 2>&1 ||
		{ tail -n 30 "$out/configure.log" >&2; echo "qemu: configure failed (log: $out/configure.log)" >&2; exit 1; }
	echo "${opts[*]}" > "$stamp"
fi

# 5. Build QEMU and the vnpu qtest (ninja re-runs meson if needed).
ninja -C "$out/build" qemu-system-x86_64 tests/qtest/vnpu-test tests/qtest/vnpu-fuzz-test
