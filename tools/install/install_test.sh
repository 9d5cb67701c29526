#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Host test of `make install` (TAP): PREFIX and DESTDIR are honoured,
# nothing lands outside DESTDIR, libaccel.pc carries the prefix, the
# SONAME links, headers, man pages, tools, DKMS sources, udev rule and
# Python package are where the README says; dkms is not run with DESTDIR.
#   install_test.sh SRCDIR BUILD
set -uo pipefail
src=$1 BUILD=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 fail=0
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}
d=$tmp/dest p=/opt/vnpu
make -s -C "$src" BUILD="$BUILD" PREFIX=$p DESTDIR="$d" install > "$tmp/log" 2>&1
t "make install PREFIX=$p DESTDIR=..." $?
grep -q "dkms install" "$tmp/log" && ! grep -q "DKMS " "$tmp/log"
t "dkms is not run when DESTDIR is set" $?
[ -z "$(cd "$d" && find . -mindepth 1 -maxdepth 1 ! -name opt ! -name usr ! -name etc)" ] &&
	[ -z "$(cd "$d/usr" && find . -mindepth 1 -maxdepth 1 ! -name src)" ]
t "everything under DESTDIR: PREFIX, /usr/src, /etc/udev" $?
[ "$(readlink "$d$p/lib/libaccel.so.1")" = libaccel.so.1.0.0 ] &&
	[ "$(readlink "$d$p/lib/libaccel.so")" = libaccel.so.1 ] && [ -f "$d$p/lib/libaccel.so.1.0.0" ]
t "libaccel.so.1.0.0 with its SONAME and development links" $?
grep -qx "prefix=$p" "$d$p/lib/pkgconfig/libaccel.pc" &&
	grep -qx "includedir=$p/include/libaccel" "$d$p/lib/pkgconfig/libaccel.pc" &&
	grep -qx "libdir=$p/lib" "$d$p/lib/pkgconfig/libaccel.pc"
t "libaccel.pc carries the prefix" $?
test -f "$d$p/include/libaccel/accel.h" && test -f "$d$p/include/libaccel/accel_model.h" &&
	test -f "$d$p/share/man/man3/accel_bo_new.3" && test -f "$d$p/share/man/man1/vnpu-cdi.1"
t "headers and man pages" $?
ok=0
for b in vnpu-info vnpu-top vnpu-events vnpu-run vnpu-demo vnpu-compile vnpu-run-model vnpu-cdi; do
	[ -x "$d$p/bin/$b" ] || { echo "# missing $b"; ok=1; }
done
t "the tools" $ok
test -f "$d/usr/src/vnpu-1.0.0/dkms.conf" && test -f "$d/usr/src/vnpu-1.0.0/Kbuild" &&
	test -f "$d/usr/src/vnpu-1.0.0/kernel/vnpu_drv.c" && test -f "$d/usr/src/vnpu-1.0.0/uapi/drm/vnpu_accel.h" &&
	! grep -q @VERSION@ "$d/usr/src/vnpu-1.0.0/dkms.conf"
t "DKMS sources and dkms.conf under /usr/src/vnpu-1.0.0" $?
test -f "$d/etc/udev/rules.d/70-vnpu.rules"
t "udev rule in /etc/udev/rules.d for a non-/usr prefix" $?
test -f "$d$p/lib/python3/dist-packages/vnpu/__init__.py"
t "python package" $?
# PREFIX=/usr: packaged udev location
make -s -C "$src" BUILD="$BUILD" PREFIX=/usr DESTDIR="$tmp/d2" install > "$tmp/log" 2>&1 &&
	test -f "$tmp/d2/usr/lib/udev/rules.d/70-vnpu.rules" && grep -qx "prefix=/usr" "$tmp/d2/usr/lib/pkgconfig/libaccel.pc"
t "PREFIX=/usr: udev rule in /usr/lib/udev/rules.d, .pc prefix /usr" $?
echo "1..$n"
exit $fail
