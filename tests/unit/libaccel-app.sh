#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Build the stand-alone libaccel application the way a user would, with
# only accel.h and pkg-config, and run it (TAP output):
#   libaccel-app.sh SRC PKGCONFIG_DIR OUT
# On the host there is no vnpu device: the application must say so (exit
# 77). OUT is kept for the guest, where it runs against a real device.
set -uo pipefail
src=${1:?usage: $0 SRC PKGCONFIG_DIR OUT}; pcdir=${2:?}; out=${3:?}
echo "1..3"
export PKG_CONFIG_PATH=$pcdir
if flags=$(pkg-config --cflags --libs libaccel) &&
   pkg-config --print-requires-private libaccel | grep -q libnl-genl-3.0; then
	echo "ok 1 pkg-config knows libaccel ($flags)"
else
	echo "not ok 1 pkg-config knows libaccel"
	exit 1
fi
# shellcheck disable=SC2086
if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$out" "$src" $flags; then
	echo "ok 2 application builds against accel.h and pkg-config only"
else
	echo "not ok 2 application builds against accel.h and pkg-config only"
	exit 1
fi
libdir=$(pkg-config --variable=libdir libaccel)
LD_LIBRARY_PATH=$libdir "$out" > "$out.log" 2>&1
rc=$?
if [ $rc = 77 ] || [ $rc = 0 ]; then
	echo "ok 3 application runs (status $rc: $(head -n1 "$out.log"))"
else
	echo "not ok 3 application runs (status $rc)"
	sed 's/^/# /' "$out.log"
	exit 1
fi
