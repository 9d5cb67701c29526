#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The "full" Debian guest of make check-install.
#
#   full-guest.sh rootfs KVER
#       Make (or reuse) a Debian bookworm root filesystem image with the
#       6.12 kernel KVER (the test guest's) and its headers, dkms, gcc,
#       make, pkg-config, udev, python3 and numpy, and the libraries the
#       vnpu packages depend on. debootstrap fills a directory, apt-get in
#       a chroot adds the kernel (bookworm-security) and the rest, and
#       mke2fs -d turns it into an ext4 image without mounting it. The
#       image is cached per machine as $VNPU_CACHE/rootfs-<hash>.img
#       (default /var/cache/vnpu; the hash covers the function that makes it,
#       the package list, KVER and the mirrors) and linked as $BUILD/full-guest/rootfs.img. Prints its path.
#
#   full-guest.sh run KVER PAYLOAD_DIR [TIMEOUT]
#       Boot the image under TCG with our QEMU (qboot, the image's kernel
#       and initramfs-tools initrd, one vnpu device), the image as /dev/vda
#       in snapshot mode (the cached image never changes) and PAYLOAD_DIR
#       as a second ext4 disk (label vnpu-payload). The image's init stub
#       mounts the payload and runs its ./init, whose output (TAP) goes to
#       the serial console; prints it and exits 0 only if the guest printed
#       "@@FULL-GUEST-EXIT@@ 0".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$here/build}
QEMU=${QEMU:-$BUILD/qemu/build/qemu-system-x86_64}
CACHE=${VNPU_CACHE:-/var/cache/vnpu}
SUITE=bookworm
# What the guest needs besides the kernel: DKMS and a compiler for the
# module and the pkg-config application, udev, python3 with numpy, and the
# run-time and -dev dependencies of the vnpu packages (dpkg -i installs
# them offline: the guest has no network).
PKGS="dkms gcc make pkg-config udev kmod initramfs-tools python3 python3-numpy
	libdrm2 libudev1 libnl-3-200 libnl-genl-3-200 libprotobuf-c1
	libdrm-dev libudev-dev libnl-genl-3-dev libc6-dev e2fsprogs util-linux
	passwd procps"

die() { echo "full-guest: $*" >&2; exit 1; }
say() { echo "full-guest: $*" >&2; }

# The host's Debian mirror (deb822 or one-line sources), and its security
# mirror.
mirror() {
	local re=$1
	sed -n -e "s|^URIs: *\(http[^ ]*${re}\)/*$|\1|p" \
		-e "s|^deb  *\(\[[^]]*\] *\)\{0,1\}\(http[^ ]*${re}\)/* .*|\2|p" \
		/etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n1 || true
}

rootfs() {
	local kver=$1 main sec key img tmp dir
	main=$(mirror '/debian')
	sec=$(mirror '/debian-security')
	[ -n "$main" ] || die "no Debian mirror in the host's apt sources"
	[ -n "$sec" ] || sec=${main%/debian}/debian-security
	key=$( (declare -f rootfs; echo "$PKGS $kver $main $sec") | sha256sum | cut -c1-16)
	img=$CACHE/rootfs-$key.img
	mkdir -p "$BUILD/full-guest"
	if [ -f "$img" ]; then
		ln -sfn "$img" "$BUILD/full-guest/rootfs.img"
		echo "$img"
		return 0
	fi
	command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
	[ "$(id -u)" = 0 ] || die "making the root filesystem needs root (debootstrap, chroot)"
	mkdir -p "$CACHE/debs"
	tmp=$(mktemp -d "$CACHE/rootfs-$key.XXXXXX")
	dir=$tmp/root
	# shellcheck disable=SC2064
	trap "umount -R '$dir/proc' '$dir/sys' '$dir/dev' '$dir/var/cache/apt/archives' 2>/dev/null || true; rm -rf '$tmp'" EXIT
	say "debootstrap $SUITE from $main (log: $tmp/debootstrap.log)"
	debootstrap --variant=minbase --cache-dir="$CACHE/debs" "$SUITE" "$dir" "$main" \
		> "$tmp/debootstrap.log" 2>&1 || { tail -n 30 "$tmp/debootstrap.log" >&2; die "debootstrap failed"; }
	cat > "$dir/etc/apt/sources.list" <<-EOF
	deb $main $SUITE main
	deb $main $SUITE-updates main
	deb $sec $SUITE-security main
	EOF
	printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
	chmod 755 "$dir/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$dir/etc/resolv.conf"
	mount -t proc proc "$dir/proc"
	mount --rbind /sys "$dir/sys"
	mount --rbind /dev "$dir/dev"
	mount --bind "$CACHE/debs" "$dir/var/cache/apt/archives"
	say "apt-get install linux-image-$kver-unsigned linux-headers-$kver and $(echo $PKGS | wc -w) packages"
	# shellcheck disable=SC2086
	chroot "$dir" /bin/sh -c "export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8;
		apt-get update -q && apt-get install -y -q --no-install-recommends \
		linux-image-$kver-unsigned linux-headers-$kver $(echo $PKGS)" \
		> "$tmp/apt.log" 2>&1 || { tail -n 30 "$tmp/apt.log" >&2; die "apt-get in the chroot failed"; }
	umount -R "$dir/proc" "$dir/sys" "$dir/dev" "$dir/var/cache/apt/archives"
	[ -f "$dir/boot/vmlinuz-$kver" ] && [ -f "$dir/boot/initrd.img-$kver" ] ||
		die "no kernel or initrd for $kver in the image"
	[ -d "$dir/usr/src/linux-headers-$kver" ] || die "no headers for $kver in the image"
	rm -f "$dir/usr/sbin/policy-rc.d" "$dir/etc/resolv.conf"
	rm -rf "$dir/var/lib/apt/lists/"*
	echo vnpu-full > "$dir/etc/hostname"
	echo '/dev/vda / ext4 rw,relatime 0 1' > "$dir/etc/fstab"
	# The init stub: initramfs-tools mounts /dev/vda and runs it with
	# /dev, /proc, /sys and /run already moved into the root.
	cat > "$dir/sbin/vnpu-guest-init" <<-'EOF'
	#!/bin/sh
	# SPDX-License-Identifier: MIT
	# Mount the payload disk and run its init (scripts/full-guest.sh).
	export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
	mount -o remount,rw /
	mkdir -p /mnt/payload
	if mount LABEL=vnpu-payload /mnt/payload && [ -x /mnt/payload/init ]; then
		/mnt/payload/init
		echo "@@FULL-GUEST-EXIT@@ $?"
	else
		echo "@@FULL-GUEST-EXIT@@ 99 no payload"
	fi
	sync
	# no systemd as PID 1 here, so no poweroff(8): the kernel does it
	echo o > /proc/sysrq-trigger
	sleep 60
	EOF
	chmod 755 "$dir/sbin/vnpu-guest-init"
	local mb
	mb=$(( $(du -sm "$dir" | cut -f1) + 1536 ))
	say "mke2fs -d (${mb} MiB)"
	mke2fs -q -t ext4 -L vnpu-root -d "$dir" "$tmp/rootfs.img" "${mb}M"
	cp "$dir/boot/vmlinuz-$kver" "$CACHE/rootfs-$key.vmlinuz"
	cp "$dir/boot/initrd.img-$kver" "$CACHE/rootfs-$key.initrd"
	mv "$tmp/rootfs.img" "$img"
	# images made by older versions of this function are stale
	local old
	for old in "$CACHE"/rootfs-*.img; do
		[ "$old" = "$img" ] || rm -f "$old" "${old%.img}.vmlinuz" "${old%.img}.initrd"
	done
	ln -sfn "$img" "$BUILD/full-guest/rootfs.img"
	echo "$img"
}

run() {
	local kver=$1 payload=$2 timeout=${3:-3600} img base log pimg qrc
	# (mke2fs -d names each file it creates on stdout: the path is last)
	img=$(rootfs "$kver" | tail -n1)
	base=${img%.img}
	[ -x "$QEMU" ] || die "no QEMU at $QEMU (run 'make qemu')"
	[ -f /usr/share/qemu/qboot.rom ] || die "qboot.rom missing (qemu-system-data)"
	pimg=$BUILD/full-guest/payload.img
	rm -f "$pimg"
	mke2fs -q -t ext4 -L vnpu-payload -d "$payload" "$pimg" \
		"$(( $(du -sm "$payload" | cut -f1) + 64 ))M" >/dev/null
	log=$BUILD/full-guest/console.log
	say "booting $img (TCG; console log: $log)"
	: > "$log"
	set +e
	timeout -k 5 "$timeout" "$QEMU" -M q35 -accel tcg -m 2G -smp 2 -no-reboot \
		-vga none -nic none -display none -monitor none -serial stdio \
		-bios /usr/share/qemu/qboot.rom -L /usr/share/qemu \
		-kernel "$base.vmlinuz" -initrd "$base.initrd" \
		-append "console=ttyS0 root=/dev/vda rw init=/sbin/vnpu-guest-init panic=-1 quiet loglevel=3 no_timer_check" \
		-snapshot -drive "file=$img,format=raw,if=virtio" \
		-drive "file=$pimg,format=raw,if=virtio" \
		-device vnpu </dev/null > "$log" 2>&1 &
	local qpid=$!
	# Show the checks' lines as they come.
	tail -n +1 -f --pid=$qpid "$log" | sed -u 's/\r$//' |
		grep --line-buffered -E '^(ok|not ok|#|1\.\.|[0-9]+ passed)' || true
	wait $qpid
	qrc=$?
	set -e
	local rc
	rc=$(sed -n 's/^@@FULL-GUEST-EXIT@@ \([0-9]*\).*/\1/p' "$log" | tail -n1)
	if [ -z "$rc" ]; then
		say "the guest ended without a result (QEMU status $qrc); last console lines:"
		tail -n 30 "$log" >&2
		return 1
	fi
	return "$rc"
}

# One compound command, read whole before it runs: editing this file while
# a guest runs cannot change what the running instance does next.
{
	case ${1:-} in
	rootfs) shift; rootfs "${1:?KVER}" | tail -n1 ;;
	run) shift; run "${1:?KVER}" "${2:?PAYLOAD_DIR}" "${3:-}" ;;
	*) sed -n '4,25p' "$0"; exit 2 ;;
	esac
	exit
}
