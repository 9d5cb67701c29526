#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /init of the vnpu test guest. Loads the DRM modules and vnpu.ko, then
# either runs the base64-encoded command from vnpu.cmd= on the kernel
# command line (printing its exit status between markers and the kernel
# log afterwards) or, with vnpu.shell=1, starts an interactive shell.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
export LD_LIBRARY_PATH=/usr/lib
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts

arg() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }

finish() {
	echo "@@VNPU-DMESG-BEGIN@@"
	dmesg
	echo "@@VNPU-DMESG-END@@"
	echo "@@VNPU-EXIT@@ $1"
	sync
	poweroff -f
	sleep 5
}

for m in $(cat /lib/modules/load-order); do
	insmod "/lib/modules/$m" || { echo "guest: insmod $m failed"; finish 125; }
done
if [ "$(arg vnpu.noload)" != 1 ]; then
	insmod /lib/modules/vnpu.ko || { echo "guest: insmod vnpu.ko failed"; finish 125; }
	ndev=$(arg vnpu.devices)
	i=0
	while [ "$i" -lt "${ndev:-0}" ]; do
		n=0
		while [ ! -e "/dev/accel/accel$i" ] && [ $n -lt 50 ]; do
			sleep 0.1; n=$((n + 1))
		done
		[ -e "/dev/accel/accel$i" ] || { echo "guest: /dev/accel/accel$i did not appear"; finish 125; }
		i=$((i + 1))
	done
fi

cd /tmp
if [ "$(arg vnpu.shell)" = 1 ]; then
	echo "vnpu guest: tools are on PATH (vnpu-info, vnpu-demo, ...); 'poweroff -f' to leave."
	setsid cttyhack sh -l
	poweroff -f
fi
cmd=$(arg vnpu.cmd | base64 -d)
echo "@@VNPU-BEGIN@@"
sh -c "$cmd"
finish $?
