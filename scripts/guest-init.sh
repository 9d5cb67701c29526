#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /init of the vnpu test guest. Loads the DRM modules and vnpu.ko, then
# either runs the base64-encoded command from vnpu.cmd= on the kernel
# command line (printing its exit status between markers and the kernel
# log afterwards) or, with vnpu.shell=1, starts an interactive shell.
# Every program started here is a fork and exec under TCG (tens of ms on a
# busy host), so the script uses shell builtins where it can: one mount
# for /etc/fstab (written by mkinitramfs.sh), the command line parsed by
# the shell.
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
export LD_LIBRARY_PATH=/usr/lib
mount -a	# /etc/fstab: proc, sysfs, devtmpfs, /tmp, debugfs
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts

read -r cmdline < /proc/cmdline
cmd64="" ndev="" noload="" shell=""
set -f
for w in $cmdline; do
	case $w in
	vnpu.cmd=*) cmd64=${w#*=} ;;
	vnpu.devices=*) ndev=${w#*=} ;;
	vnpu.noload=*) noload=${w#*=} ;;
	vnpu.shell=*) shell=${w#*=} ;;
	esac
done
set +f

finish() {
	echo "@@VNPU-DMESG-BEGIN@@"
	dmesg
	echo "@@VNPU-DMESG-END@@"
	echo "@@VNPU-EXIT@@ $1"
	sync
	poweroff -f
	sleep 5
}

while read -r m; do
	insmod "/lib/modules/$m" || { echo "guest: insmod $m failed"; finish 125; }
done < /lib/modules/load-order
if [ "$noload" != 1 ]; then
	insmod /lib/modules/vnpu.ko || { echo "guest: insmod vnpu.ko failed"; finish 125; }
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
if [ "$shell" = 1 ]; then
	echo "vnpu guest: tools are on PATH (vnpu-info, vnpu-demo, ...); 'poweroff -f' to leave."
	setsid cttyhack sh -l
	poweroff -f
fi
cmd=$(echo "$cmd64" | base64 -d)
echo "@@VNPU-BEGIN@@"
sh -c "$cmd"
finish $?
