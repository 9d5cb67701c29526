#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Check libaccel's ABI surface (TAP output):
#   libaccel-symbols.sh LIBACCEL_SO SYMBOLS_TXT ACCEL_H
# 1. the dynamic symbols the library defines are exactly SYMBOLS_TXT;
# 2. each carries the version ACCEL_1.0 and the SONAME is libaccel.so.1;
# 3. the functions declared in ACCEL_H are exactly SYMBOLS_TXT.
set -uo pipefail
so=${1:?usage: $0 LIBACCEL_SO SYMBOLS_TXT ACCEL_H}
list=${2:?}; hdr=${3:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

echo "1..3"
grep -v '^#' "$list" | sed '/^$/d' | sort > "$tmp/want"

# "ADDR TYPE NAME@@VERSION"; the version definition itself has type A.
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' > "$tmp/raw"
sed 's/@.*//' "$tmp/raw" | sort > "$tmp/have"
if [ -s "$tmp/have" ] && diff -u "$tmp/want" "$tmp/have" > "$tmp/diff"; then
	echo "ok 1 exported symbols equal $(basename "$list")"
else
	echo "not ok 1 exported symbols equal $(basename "$list")"
	sed 's/^/# /' "$tmp/diff"
	fail=1
fi

unversioned=$(grep -v '@@ACCEL_1\.0$' "$tmp/raw")
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ -z "$unversioned" ] && [ "$soname" = libaccel.so.1 ]; then
	echo "ok 2 symbols versioned ACCEL_1.0, SONAME libaccel.so.1"
else
	echo "not ok 2 symbols versioned ACCEL_1.0, SONAME libaccel.so.1"
	echo "# SONAME: '$soname'"
	for s in $unversioned; do echo "# not ACCEL_1.0: $s"; done
	fail=1
fi

# Declarations start a line (comments start with "/*" or " *"); the
# accel_*.h headers accel.h includes (accel_model.h) count as part of it.
hdrs=("$hdr")
for inc in $(sed -n 's/^#include "\(accel_[a-z_]*\.h\)".*/\1/p' "$hdr"); do
	hdrs+=("$(dirname "$hdr")/$inc")
done
grep -hE '^[a-z][a-z _]*[ *]accel_[a-z0-9_]+\(' "${hdrs[@]}" |
	sed -E 's/.*[ *](accel_[a-z0-9_]+)\(.*/\1/' | sort > "$tmp/decl"
if [ -s "$tmp/decl" ] && diff -u "$tmp/want" "$tmp/decl" > "$tmp/diff"; then
	echo "ok 3 $(basename "$hdr") declares exactly the exported functions"
else
	echo "not ok 3 $(basename "$hdr") declares exactly the exported functions"
	sed 's/^/# /' "$tmp/diff"
	fail=1
fi
exit $fail
