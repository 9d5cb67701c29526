#!/bin/sh
# SPDX-License-Identifier: MIT
#
# In-guest test of vnpu-cdi (TAP): the spec lists every vnpu device of the
# guest by index and by PCI address, with its /dev/accel node and the
# node's real major:minor. VNPU_CDI_EXPECT=N also checks that N devices
# are listed (the host runs this with --devices 2). busybox sh only.
n=0 fail=0
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}
echo "1..6"
if ! ls /dev/accel/accel* > /dev/null 2>&1; then
	i=1
	while [ $i -le 6 ]; do echo "ok $i # SKIP no vnpu device"; i=$((i + 1)); done
	exit 0
fi
out=/tmp/vnpu_cdi_test.$$.json
vnpu-cdi generate -o "$out"
t "vnpu-cdi generate -o exits 0" $?
grep -q '"cdiVersion": "0.6.0"' "$out" && grep -q '"kind": "vnpu.dev/npu"' "$out"
t "cdiVersion and kind" $?

ndev=0 bad=0
for node in /dev/accel/accel*; do
	i=${node#/dev/accel/accel}
	pci=$(basename "$(readlink -f /sys/class/accel/accel$i/device)")
	mm=$(cat /sys/class/accel/accel$i/dev)
	grep -q "\"name\": \"$i\"," "$out" || { echo "# no device named $i"; bad=1; }
	grep -q "\"name\": \"$pci\"," "$out" || { echo "# no device named $pci"; bad=1; }
	c=$(grep -c "\"path\": \"$node\", \"type\": \"c\", \"major\": ${mm%:*}, \"minor\": ${mm#*:}," "$out")
	[ "$c" = 2 ] || { echo "# $node ($mm) listed $c times, want 2"; bad=1; }
	ndev=$((ndev + 1))
done
t "every device by index and PCI address with its node and major:minor" $bad
names=$(grep -c '"name":' "$out")
[ "$names" = $((ndev * 2)) ]
t "two names per device and nothing else ($names for $ndev)" $?
if [ -n "${VNPU_CDI_EXPECT:-}" ]; then
	[ "$ndev" = "$VNPU_CDI_EXPECT" ]
	t "$VNPU_CDI_EXPECT devices present and listed (found $ndev)" $?
else
	echo "ok 5 # SKIP VNPU_CDI_EXPECT not set"; n=5
fi
vnpu-cdi generate --kind not-a-kind > /dev/null 2>&1
[ $? = 2 ]
t "an invalid kind is refused with status 2" $?
rm -f "$out"
exit $fail
