#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Documentation checks (TAP):
#   libaccel-man.sh MANDIR SYMBOLS_TXT KERNEL_DOC ACCEL_H BINDIR TOOL...
# 1. accel.h has a complete kernel-doc comment for everything (no warning);
# 2. every exported function has a section-3 page, and libaccel.3 exists;
# 3. every tool has a section-1 page and a --help that exits 0;
# 4. every page renders with groff without a warning.
set -uo pipefail
man=${1:?}; syms=${2:?}; kdoc=${3:?}; hdr=${4:?}; bin=${5:?}; shift 5
fail=0
echo "1..4"

warn=$(perl "$kdoc" -none -Wall "$hdr" 2>&1)
if [ -z "$warn" ]; then
	echo "ok 1 every declaration of $(basename "$hdr") is documented"
else
	echo "not ok 1 every declaration of $(basename "$hdr") is documented"
	echo "$warn" | sed 's/^/# /'; fail=1
fi

missing=""
for s in $(grep -v '^#' "$syms"); do
	[ -s "$man/man3/$s.3" ] || missing+=" $s"
done
[ -s "$man/man3/libaccel.3" ] || missing+=" libaccel(3)"
if [ -z "$missing" ]; then
	echo "ok 2 every exported function has a man page ($(ls "$man/man3" | wc -l) pages)"
else
	echo "not ok 2 every exported function has a man page"
	echo "# missing:$missing"; fail=1
fi

bad=""
for t in "$@"; do
	[ -s "$man/man1/$t.1" ] || bad+=" $t(no page)"
	"$bin/$t" --help 2>&1 | grep -q '^Usage' || bad+=" $t(--help)"
done
if [ -z "$bad" ]; then
	echo "ok 3 tools have a man page and --help: $*"
else
	echo "not ok 3 tools have a man page and --help"
	echo "# $bad"; fail=1
fi

out=$(for p in "$man"/man1/*.1 "$man"/man3/*.3; do
	groff -man -ww -z "$p" 2>&1 | sed "s|^|$(basename "$p"): |"
done)
if [ -z "$out" ]; then
	echo "ok 4 every page renders without warnings"
else
	echo "not ok 4 every page renders without warnings"
	echo "$out" | head -n 20 | sed 's/^/# /'; fail=1
fi
exit $fail
