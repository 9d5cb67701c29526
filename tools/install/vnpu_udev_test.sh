#!/bin/sh
# SPDX-License-Identifier: MIT
#
# In-guest test of udev/70-vnpu.rules (TAP): udevadm (copied from the
# host's udev package) evaluates the rule against the real sysfs device of
# every vnpu node and must assign group render, mode 0660 and the
# /dev/accel/by-path link named after the PCI address; a node of no vnpu
# device (/dev/null) gets none of it. The rule's effect on the
# node itself (udevd running) is for the full Debian guest.
n=0 fail=0
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}
echo "1..5"
if ! ls /dev/accel/accel* > /dev/null 2>&1 || ! command -v udevadm > /dev/null; then
	i=1
	while [ $i -le 5 ]; do echo "ok $i # SKIP no vnpu device or no udevadm"; i=$((i + 1)); done
	exit 0
fi
mkdir -p /etc/udev/rules.d /run/udev
cp /usr/share/vnpu/70-vnpu.rules /etc/udev/rules.d/
out=/tmp/vnpu_udev_test.$$
node=/dev/accel/accel0
pci=$(basename "$(readlink -f /sys/class/accel/accel0/device)")
udevadm test --action=add /sys/class/accel/accel0 > "$out" 2>&1
t "udevadm test runs the rules on accel0" $?
sed 's/^/# /' "$out" | grep -i 'group\|mode\|devlinks\|vnpu\|error\|invalid' | head -20
grep -Eq "GROUP[ =]+105|gid=105|GROUP .*render" "$out"
t "accel0 gets group render (105)" $?
grep -Eq "MODE[ =]+0?660|mode=0?660" "$out"
t "accel0 gets mode 0660" $?
grep -q "/dev/accel/by-path/pci-$pci-accel" "$out"
t "accel0 gets /dev/accel/by-path/pci-$pci-accel" $?
udevadm test --action=add /sys/class/mem/null > "$out" 2>&1
! grep -q '70-vnpu.rules:[0-9]* \(GROUP\|MODE\|LINK\)' "$out" && ! grep -q VNPU_ACCEL "$out"
t "a device that is not a vnpu accel node is left alone" $?
rm -f "$out"
exit $fail
