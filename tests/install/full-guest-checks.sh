#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The checks of make check-install inside the full Debian guest
# (scripts/full-guest.sh runs it as the payload disk's init, as root, with
# /dev, /proc, /sys and /run mounted, before any service). Prints TAP-like
# lines and "N passed, M failed"; exits 1 if a check failed.
#
# Payload (this script's directory): debs/*.deb (built by
# dpkg-buildpackage), data/{mlp.vnpu,mlp_ref.npy,digits_x.npy,digits_y.npy}
# (the build's digits MLP package, its ONNX Runtime reference and inputs),
# test_device.py (the Python binding's device test) and libaccel-app.c (an
# application written only against accel.h).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive
p=$(cd "$(dirname "$0")" && pwd)
kver=$(uname -r)
n=0 pass=0 failed=0
log=/root/full-guest.log
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "ok $n $1"
	else
		failed=$((failed + 1)); echo "not ok $n $1"
	fi
}
# show the last lines of the log when a check fails
tl() { local rc=$2; t "$1" "$rc"; [ "$rc" = 0 ] || tail -n "${3:-15}" "$log" | sed 's/^/#   /'; }
# run as USER with that user's groups (no PAM: setpriv)
as() {
	local u=$1; shift
	setpriv --reuid="$u" --regid="$u" --init-groups -- \
		env -i PATH=/usr/bin:/bin HOME="/home/$u" LC_ALL=C.UTF-8 "$@"
}
done_() {
	echo "1..$n"
	echo "$pass passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

mount -t tmpfs tmpfs /tmp
# shellcheck disable=SC1091
echo "# kernel $kver, $(. /etc/os-release; echo "$PRETTY_NAME")"

# udev: the real daemon, which applies the rules dpkg installs.
/lib/systemd/systemd-udevd --daemon >"$log" 2>&1 &&
	udevadm trigger --action=add >>"$log" 2>&1 && udevadm settle -t 120 >>"$log" 2>&1
tl "systemd-udevd runs" $?

# The packages: dpkg -i (vnpu-dkms's postinst runs DKMS).
debs=$(ls "$p"/debs/*.deb)
echo "# dpkg -i $(for d in $debs; do basename "$d"; done | tr '\n' ' ')"
start=$(date +%s)
# (its output is shown as it comes: DKMS compiling under TCG takes minutes)
# shellcheck disable=SC2086
dpkg -i $debs 2>&1 | tee "$log" | sed -u 's/^/#   /'
rc=${PIPESTATUS[0]}
tl "dpkg -i vnpu-dkms libaccel1 libaccel-dev vnpu-tools python3-vnpu ($(($(date +%s) - start)) s)" $rc 30
for pkg in vnpu-dkms libaccel1 libaccel-dev vnpu-tools python3-vnpu; do
	[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ]
	t "$pkg is installed" $?
done

# DKMS built the module here, for the running kernel.
dkms status vnpu >"$log" 2>&1
grep -q "^vnpu/[0-9.]*, $kver, x86_64: installed" "$log"
rc=$?
tl "dkms status: vnpu installed for $kver ($(grep -m1 '^vnpu/' "$log"))" $rc
mod=$(modinfo -n vnpu 2>/dev/null)
case $mod in /lib/modules/"$kver"/updates/dkms/vnpu.ko*) rc=0 ;; *) rc=1 ;; esac
t "modinfo: vnpu is the DKMS-built module ($mod)" $rc
[ -n "$mod" ] && [ "$(modinfo -F vermagic "$mod" | cut -d' ' -f1)" = "$kver" ] &&
	[ -f "$(echo /var/lib/dkms/vnpu/*/"$kver"/x86_64/log/make.log)" ] &&
	[ "$(modinfo -F srcversion "$mod")" = "$(modinfo -F srcversion /var/lib/dkms/vnpu/*/"$kver"/x86_64/module/vnpu.ko* 2>/dev/null)" ]
t "the module was built in this guest (vermagic $kver, DKMS make.log, same srcversion)" $?

# The driver and the node udev makes.
modprobe vnpu >"$log" 2>&1
tl "modprobe vnpu" $?
udevadm settle -t 120
grep -q '^vnpu ' /proc/modules
t "vnpu is loaded (with drm, gpu_sched, drm_shmem_helper from the kernel package)" $?
node=/dev/accel/accel0
[ -c $node ] && [ "$(stat -c '%G %a' $node)" = "render 660" ]
rc=$?
t "udev: $node is group render, mode 0660 ($(stat -c '%U:%G %a' $node 2>/dev/null))" $rc
link=$(find /dev/accel/by-path/ -mindepth 1 -printf '%f\n' 2>/dev/null | head -n1)
[ -n "$link" ] && [ "$(readlink -f "/dev/accel/by-path/$link")" = $node ]
t "udev: /dev/accel/by-path/$link -> $node" $?

# Users: alice is in render, bob is not.
getent group render >/dev/null
t "group render exists (from udev's package)" $?
useradd -m -G render alice && useradd -m bob
t "users alice (render) and bob" $?
as alice id | grep -q '(render)' && ! as bob id | grep -q '(render)'
t "alice is in render, bob is not" $?

as alice vnpu-info --json >/tmp/info.json 2>"$log" &&
	python3 -c 'import json, sys
d = json.load(open("/tmp/info.json"))
devs = d["devices"] if isinstance(d, dict) else d
assert len(devs) == 1 and devs[0]["devnode"] == "/dev/accel/accel0" and "error" not in devs[0], d
assert devs[0]["driver"]["name"] == "vnpu", d' >>"$log" 2>&1
tl "alice: vnpu-info --json lists accel0 with the vnpu driver" $?
as bob python3 -c 'import os, sys
try:
    os.open("/dev/accel/accel0", os.O_RDWR)
except PermissionError as e:
    sys.exit(0 if e.errno == 13 else 1)
sys.exit(1)'
t "bob: open(/dev/accel/accel0) fails with EACCES" $?
as bob vnpu-info >/tmp/bob.txt 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'permission denied' /tmp/bob.txt
rc=$?
t "bob: vnpu-info exits 1 with 'permission denied' ($(grep -m1 denied /tmp/bob.txt))" $rc

# The digits MLP: the C path (vnpu-run-model) as alice, top-1 equal to
# ONNX Runtime's for every test image (what make check's model test asserts).
d=$p/data
as alice vnpu-run-model "$d/mlp.vnpu" -i "$d/digits_x.npy" -l "$d/digits_y.npy" \
	-o /tmp/mlp_y.npy -q >"$log" 2>&1
rc=$?
tl "alice: vnpu-run-model mlp.vnpu on the digits test split ($(grep -i -m1 accuracy "$log"))" $rc
python3 -c 'import numpy as np, sys
y = np.load("/tmp/mlp_y.npy"); r = np.load(sys.argv[1])
y = y.reshape(len(r), -1)
assert (y.argmax(1) == r.argmax(1)).all(), "top-1 differs"
print("# %d images, top-1 equal to ONNX Runtime" % len(r))' "$d/mlp_ref.npy" 2>>"$log"
t "the digits top-1 classes equal ONNX Runtime's (make check's C path)" $?
! as bob vnpu-run-model "$d/mlp.vnpu" -i "$d/digits_x.npy" -q >"$log" 2>&1 &&
	grep -q 'permission denied' "$log"
t "bob: vnpu-run-model is refused (permission denied)" $?

# The Python binding (python3-vnpu), as alice: numpy in, numpy out, the
# same digits outputs as the C path.
as alice python3 "$p/test_device.py" "$d" >"$log" 2>&1
rc=$?
sed 's/^/#   /' "$log"
[ $rc = 0 ] && ! grep -q '^not ok' "$log" && grep -q '^1\.\.[1-9]' "$log"
rc=$?
t "alice: the Python binding's device test ($(grep -c '^ok' "$log") ok)" $rc

# An application written only against accel.h, built here with the
# installed libaccel-dev through pkg-config, run as alice.
app=/home/alice/libaccel-app
cp "$p/libaccel-app.c" /home/alice/ && chown alice: /home/alice/libaccel-app.c
flags=$(pkg-config --cflags --libs libaccel 2>"$log")
rc=$?
tl "pkg-config --cflags --libs libaccel ($flags)" $rc
# shellcheck disable=SC2086
as alice gcc -std=c11 -Wall -Wextra -Werror -o $app /home/alice/libaccel-app.c $flags >"$log" 2>&1
tl "alice: gcc builds libaccel-app.c with pkg-config's flags" $?
as alice $app >"$log" 2>&1
tl "alice: libaccel-app discovers, allocates, builds, submits, waits and reads telemetry" $?
sed 's/^/#   /' "$log"

# Removal: the package takes the module away again.
start=$(date +%s)
modprobe -r vnpu >"$log" 2>&1 && { dpkg -r vnpu-dkms 2>&1 | tee -a "$log" | sed -u 's/^/#   /'; } &&
	[ "${PIPESTATUS[0]}" = 0 ] && ! modinfo vnpu >/dev/null 2>&1 && [ ! -e /usr/src/vnpu-1.0.0 ]
rc=$?
tl "dpkg -r vnpu-dkms unloads and removes the DKMS module and its sources ($(($(date +%s) - start)) s)" $rc

# The kernel said nothing bad meanwhile (what run-guest.sh checks in make
# check's guests).
bad='WARNING:|BUG:|Oops|general protection fault|Call Trace:|soft lockup|hard LOCKUP|blocked for more than|refcount_t:|list_add corruption|list_del corruption'
dmesg >"$log" 2>&1
! grep -Eq "$bad" "$log"
rc=$?
t "no kernel warning, BUG, oops or lockup in dmesg" $rc
[ $rc = 0 ] || grep -E -A20 "$bad" "$log" | head -n 60 | sed 's/^/#   /'

done_
