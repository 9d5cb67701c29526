#!/bin/sh
# SPDX-License-Identifier: MIT
#
# In-guest test of `vnpu-cdi watch` (TAP; busybox sh): with two or more
# vnpu devices, the watcher writes the spec, a device is removed through
# /sys/bus/pci/devices/ADDR/remove and the spec drops it, the bus is
# rescanned and the spec lists it again; each spec is printed as "#cdi"
# lines between "#cdi-begin NAME" and "#cdi-end" so that the host
# (vnpu_3dev_test.sh) validates it against the CDI schema. Usage errors of
# watch exit with status 2.
n=0 fail=0
t() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}
total=9
echo "1..$total"
ndev=$(ls -d /sys/class/accel/accel* 2>/dev/null | wc -l)
if [ "$ndev" -lt 2 ]; then
	i=1
	while [ $i -le $total ]; do echo "ok $i # SKIP fewer than two vnpu devices"; i=$((i + 1)); done
	exit 0
fi

spec=/tmp/vnpu_cdi_watch.json
log=/tmp/vnpu_cdi_watch.log
rm -f "$spec" "$spec.tmp"

# names in the spec (two per device)
names() { grep -c '"name":' "$spec" 2>/dev/null || echo 0; }
# wait up to 30 s for COND (a shell expression) to hold
wait_for() {
	i=0
	while [ $i -lt 300 ]; do
		eval "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
dump() {
	echo "#cdi-begin $1"
	sed 's/^/#cdi /' "$spec"
	echo "#cdi-end"
}

vnpu-cdi watch -o "$spec" > "$log" 2>&1 &
pid=$!
wait_for '[ "$(names)" = $((ndev * 2)) ]'
t "watch writes the spec with all $ndev devices ($(names) names)" $?
dump initial

# the device with the highest accel index goes away
last=$(ls -d /sys/class/accel/accel* | sed 's/.*accel//' | sort -n | tail -n 1)
pci=$(basename "$(readlink -f /sys/class/accel/accel$last/device)")
echo "# removing accel$last ($pci)"
echo 1 > "/sys/bus/pci/devices/$pci/remove"
wait_for '[ "$(names)" = $(((ndev - 1) * 2)) ] && ! grep -q "\"$pci\"" "$spec"'
t "the removed device $pci leaves the spec ($(names) names)" $?
dump removed

echo 1 > /sys/bus/pci/rescan
wait_for '[ "$(names)" = $((ndev * 2)) ] && grep -q "\"name\": \"$pci\"" "$spec"'
t "the rescanned device $pci is back in the spec ($(names) names)" $?
dump rescanned

# every node listed with its real major:minor, as sysfs has it now
bad=0
for d in /sys/class/accel/accel*; do
	i=${d#/sys/class/accel/accel}
	mm=$(cat "$d/dev")
	c=$(grep -c "\"path\": \"/dev/accel/accel$i\", \"type\": \"c\", \"major\": ${mm%:*}, \"minor\": ${mm#*:}," "$spec")
	[ "$c" = 2 ] || { echo "# accel$i ($mm) listed $c times, want 2"; bad=1; }
done
t "after the rescan every node has its current major:minor" $bad
[ ! -e "$spec.tmp" ]
t "no temporary file left behind (atomic rename)" $?

kill "$pid"
wait "$pid"
t "watch exits 0 on SIGTERM" $?
grep -q "removed /dev/accel/accel$last ($pci)" "$log" && grep -q "added /dev/accel/accel.* ($pci)" "$log"
t "watch logged the removal and the addition" $?
sed 's/^/# log: /' "$log"

vnpu-cdi watch > /dev/null 2>&1
[ $? = 2 ]
t "watch without --output is refused with status 2" $?
vnpu-cdi watch -o "$spec" --count 0 > /dev/null 2>&1
a=$?
vnpu-cdi generate --count 1 > /dev/null 2>&1
b=$?
[ $a = 2 ] && [ $b = 2 ]
t "--count 0, and --count with generate, are refused with status 2" $?
rm -f "$spec" "$log"
exit $fail
