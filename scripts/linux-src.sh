#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Extract what vnpu uses from Debian's linux-source-6.12 tarball:
# scripts/checkpatch.pl (with its data files) and the kselftest harness.
set -euo pipefail
out=${1:?usage: linux-src.sh OUTDIR}
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || { echo "linux-src: /usr/src/linux-source-6.12.tar.* missing; run 'make deps'" >&2; exit 1; }
top=$( (tar tf "$tarball" 2>/dev/null || true) | head -n1 | cut -d/ -f1)
mkdir -p "$out"
tar xf "$tarball" -C "$out" --strip-components=1 \
	"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
	"$top/scripts/const_structs.checkpatch" \
	"$top/tools/testing/selftests/kselftest_harness.h" \
	"$top/tools/testing/selftests/kselftest.h" \
	"$top/Documentation/process/botching-up-ioctls.rst"
touch "$out/.stamp"
