#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make check-install: build the Debian packages from a copy of the tree,
# unpack them (dpkg -x, no root filesystem changes), check what they hold
# and that it works from there, and run lintian. Prints TAP.
#   check-install.sh BUILD QEMU_BINARY
# The full test (a debootstrap guest that installs the .debs with dpkg -i,
# lets DKMS build the module and udev create the node) is the next step.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$1 QEMU=$2
ver=1.0.0
top=$BUILD/deb
src=$top/vnpu-$ver
root=$top/root
n=0 fail=0
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}

rm -rf "$top" && mkdir -p "$src" "$root"
# The working tree's files (committed or not, minus ignored ones: build/).
(cd "$here" && git ls-files -co --exclude-standard -z | xargs -0 tar cf - 2>/dev/null) |
	tar xf - -C "$src"
[ -x "$QEMU" ] || { echo "not ok 1 $QEMU missing: run 'make qemu'"; exit 1; }
(cd "$src" && VNPU_QEMU=$QEMU dpkg-buildpackage -us -uc -b) > "$top/build.log" 2>&1
t "dpkg-buildpackage -us -uc -b (log: $top/build.log)" $?
for p in vnpu-dkms libaccel1 libaccel-dev vnpu-tools python3-vnpu vnpu-qemu; do
	deb=$(ls "$top"/${p}_${ver}_*.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] && dpkg-deb -x "$deb" "$root"
	t "$p built and unpacked" $?
done

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
lib=$root/usr/lib/$ma
test -f "$root/usr/src/vnpu-$ver/dkms.conf" && test -f "$root/usr/src/vnpu-$ver/Kbuild" &&
	grep -q "PACKAGE_VERSION=\"$ver\"" "$root/usr/src/vnpu-$ver/dkms.conf"
t "vnpu-dkms: sources and dkms.conf with the version" $?
ctl=$top/ctl
dpkg-deb -e "$top/vnpu-dkms_${ver}_all.deb" "$ctl" 2>/dev/null &&
	dpkg-deb -f "$top/vnpu-dkms_${ver}_all.deb" Depends | grep -q dkms &&
	grep -q 'dkms' "$ctl/postinst" && grep -q 'dkms' "$ctl/prerm"
t "vnpu-dkms: depends on dkms; postinst and prerm run dkms" $?
grep -q 'GROUP="render", MODE="0660"' "$root/lib/udev/rules.d/70-vnpu.rules"
t "vnpu-dkms: udev rule (render, 0660)" $?
[ "$(readlink "$lib/libaccel.so.1")" = libaccel.so.$ver ] &&
	[ "$(readlink "$lib/libaccel.so")" = libaccel.so.1 ] &&
	objdump -p "$lib/libaccel.so.$ver" | grep -q 'SONAME *libaccel.so.1'
t "libaccel1/-dev: library, SONAME and links" $?
grep -q "^libdir=/usr/lib/$ma$" "$lib/pkgconfig/libaccel.pc" &&
	grep -q '^includedir=/usr/include/libaccel$' "$lib/pkgconfig/libaccel.pc"
t "libaccel-dev: libaccel.pc points at /usr" $?
# Build an application against the unpacked -dev package.
app=$top/app
printf '#include <accel.h>\n#include <stdio.h>\nint main(void) { puts(accel_strerror(-19)); return 0; }\n' > "$app.c"
PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$lib/pkgconfig:/usr/lib/$ma/pkgconfig:/usr/share/pkgconfig \
	gcc -o "$app" "$app.c" $(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$lib/pkgconfig:/usr/lib/$ma/pkgconfig:/usr/share/pkgconfig \
	pkg-config --cflags --libs libaccel) && LD_LIBRARY_PATH=$lib "$app" | grep -q .
t "an application builds with pkg-config against libaccel-dev and runs" $?
test -f "$root/usr/share/man/man3/accel_bo_new.3.gz" && test -f "$root/usr/share/man/man1/vnpu-info.1.gz"
t "man pages in sections 1 and 3" $?
ok=0
for b in vnpu-info vnpu-top vnpu-events vnpu-run vnpu-demo vnpu-compile vnpu-run-model vnpu-cdi; do
	[ -x "$root/usr/bin/$b" ] || { echo "# missing $b"; ok=1; }
	readelf -d "$root/usr/bin/$b" 2>/dev/null | grep -q 'R.*PATH' && { echo "# $b has an RPATH"; ok=1; }
done
t "vnpu-tools: every tool, no RPATH" $ok
LD_LIBRARY_PATH=$lib "$root/usr/bin/vnpu-cdi" generate --sysfs "$top/nosys" | grep -q '"kind": "vnpu.dev/npu"'
t "vnpu-cdi from the package runs" $?
VNPU_LIBACCEL=$lib/libaccel.so.1 PYTHONPATH=$root/usr/lib/python3/dist-packages \
	/usr/bin/python3 -c 'import vnpu; assert vnpu.devices() == []'
t "python3-vnpu imports and enumerates through the packaged libaccel" $?
"$root/usr/lib/vnpu/qemu/qemu-system-x86_64" -device help 2>/dev/null | grep -q '"vnpu"'
t "vnpu-qemu: the binary lists -device vnpu" $?
(cd "$top" && lintian --fail-on error,warning ./*.changes) > "$top/lintian.log" 2>&1
t "lintian clean (errors and warnings; log: $top/lintian.log)" $?
sed 's/^/# /' "$top/lintian.log"
echo "1..$n"
exit $fail
