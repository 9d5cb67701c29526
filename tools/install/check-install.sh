#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make check-install: build the Debian packages from a copy of the tree,
# unpack them (dpkg -x, no root filesystem changes), check what they hold
# and that it works from there, and run lintian; then install them with
# dpkg -i in the full Debian guest (scripts/full-guest.sh, checks in
# tests/install/full-guest-checks.sh): DKMS builds the module there, udev
# makes the node, a user in render runs the tools, a model, the Python
# binding's test and an application built with pkg-config. Prints TAP and
# "N passed, M failed".
#   check-install.sh BUILD QEMU_BINARY KVER MODELS_DIR
# VNPU_FULL_GUEST=0 skips the guest part.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$1 QEMU=$2 KVER=${3:-} MODELS=${4:-}
ver=1.0.0
top=$BUILD/deb
src=$top/vnpu-$ver
root=$top/root
n=0 fail=0
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=$((fail + 1)); fi
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
# Build an application against the unpacked -dev package (the full guest
# below builds the real one, tests/unit/libaccel-app.c, against the
# installed package).
app=$top/app
printf '#include <accel.h>\n#include <stdio.h>\nint main(void) { puts(accel_strerror(-19)); return 0; }\n' > "$app.c"
# shellcheck disable=SC2046
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
host_n=$n host_fail=$fail
echo "# host part: $n checks, $( [ $fail = 0 ] && echo all passed || echo some failed)"

# The full Debian guest: its checks print their own TAP and summary.
if [ "${VNPU_FULL_GUEST:-1}" != 0 ]; then
	pl=$top/payload
	rm -rf "$pl" && mkdir -p "$pl/debs" "$pl/data"
	for p in vnpu-dkms libaccel1 libaccel-dev vnpu-tools python3-vnpu; do
		cp "$top"/${p}_${ver}_*.deb "$pl/debs/"
	done
	cp "$MODELS/mlp.vnpu" "$MODELS/mlp_ref.npy" "$MODELS/digits_x.npy" \
		"$MODELS/digits_y.npy" "$pl/data/"
	install -m 755 "$here/tests/install/full-guest-checks.sh" "$pl/init"
	cp "$here/python/tests/test_device.py" "$here/tests/unit/libaccel-app.c" "$pl/"
	chmod -R a+rX "$pl"
	start=$(date +%s)
	BUILD=$BUILD QEMU=$QEMU bash "$here/scripts/full-guest.sh" run "$KVER" "$pl" 5400
	rc=$?
	echo "# full guest: $(( $(date +%s) - start )) s (console: $BUILD/full-guest/console.log)"
	gpass=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$BUILD/full-guest/console.log" | tail -n1)
	gfail=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$BUILD/full-guest/console.log" | tail -n1)
	[ -n "$gpass" ] || { gpass=0; gfail=1; }
	[ "$rc" = 0 ] || [ "$gfail" != 0 ] || gfail=1
	echo "$((host_n - host_fail + gpass)) passed, $((host_fail + gfail)) failed (host $host_n checks, full guest $((gpass + gfail)))"
	[ "$host_fail" = 0 ] && [ "$gfail" = 0 ]
	exit
fi
echo "1..$n"
echo "$((n - fail)) passed, $fail failed"
[ "$fail" = 0 ]
