#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Install everything vnpu needs from Debian's archive. Idempotent.
# Adds bookworm-backports (binaries, pinned low: only meson is taken from
# it) and trixie (deb-src only: the QEMU source), then installs the host
# packages. The guest kernel image is not installed: scripts/guest-kernel.sh
# unpacks it under build/.
set -euo pipefail

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

say() { printf 'deps: %s\n' "$*"; }

src=/etc/apt/sources.list.d/vnpu.sources
pin=/etc/apt/preferences.d/vnpu.pref
want_src='Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
want_pin='Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100

Package: *
Pin: release n=trixie
Pin-Priority: -1'

changed=0
if [ "$(cat "$src" 2>/dev/null)" != "$want_src" ]; then
	printf '%s\n' "$want_src" | $SUDO tee "$src" >/dev/null; changed=1
fi
if [ "$(cat "$pin" 2>/dev/null)" != "$want_pin" ]; then
	printf '%s\n' "$want_pin" | $SUDO tee "$pin" >/dev/null; changed=1
fi
stamp=/var/lib/apt/periodic/vnpu-update-stamp
if [ $changed = 1 ] || [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720)" ]; then
	say "apt-get update"
	$SUDO apt-get update -q >/dev/null
	$SUDO mkdir -p "$(dirname "$stamp")"; $SUDO touch "$stamp"
fi

# Newest Debian 6.12 kernel for bookworm (resolved now: old versions leave
# the archive).
kver=$(apt-cache pkgnames linux-headers-6.12. 2>/dev/null |
	sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12\)-amd64$/\1/p' | sort -V | tail -n1)
[ -n "$kver" ] || { echo "deps: no linux-headers-6.12.*+deb12-amd64 in the archive" >&2; exit 1; }

pkgs=(
	# build
	build-essential bc bison flex libelf-dev libssl-dev dwarves kmod
	xz-utils zstd cpio busybox-static dpkg-dev pkg-config
	"linux-headers-$kver-amd64" linux-source-6.12
	# QEMU build
	ninja-build libglib2.0-dev libpixman-1-dev python3-venv qemu-system-data
	# userspace
	libdrm-dev libudev-dev libnl-3-dev libnl-genl-3-dev
	# vnpu-cdi host test: the spec against a CDI schema
	python3-jsonschema
	# device math (oneDNN: the int8 GEMM)
	libopenblas-dev libdnnl-dev
	# engine fuzz target (libFuzzer, ASan, UBSan)
	clang libclang-rt-14-dev
	# models: compiler (protobuf-c, onnx.proto), training, ORT reference
	protobuf-c-compiler libprotobuf-c-dev python3-onnx python3-sklearn
	python3-numpy nodejs
	# make bench: plots
	gnuplot-nox
	# make check-debug: syscall fuzzer and memory pressure in the guest
	trinity stress-ng
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# npm: Debian's package, unless the installed nodejs already brings one.
command -v npm >/dev/null || missing+=(npm)
mver=$(dpkg-query -W -f='${Version}' meson 2>/dev/null || true)
if [ -z "$mver" ] || dpkg --compare-versions "$mver" lt 1.5; then
	missing+=(meson/bookworm-backports)
fi
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "$kver" > "${VNPU_KVER_FILE:-/dev/null}"
say "ok (kernel $kver)"
