#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# insert.sh SRC_DIR: add the vnpu device and its qtest to a QEMU source tree.
#
# Copies our sources to SRC_DIR/hw/misc/vnpu/ and tests/qtest/vnpu-test.c,
# adds the Kconfig entry, the meson lines, the trace-events directory, the
# qtest (x86_64, only with CONFIG_VNPU) and the devices file used with
# --without-default-devices (configs/devices/x86_64-softmmu/vnpu.mak).
# Idempotent: files are only rewritten when their content changes, so a
# rebuild recompiles only what changed; QEMU's own files get each edit
# once, between "vnpu" marker comments.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 QEMU_SRC_DIR" >&2; exit 2; }
src=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
[ -f "$src/hw/misc/meson.build" ] && [ -f "$src/tests/qtest/meson.build" ] ||
	{ echo "insert.sh: $src is not a QEMU source tree" >&2; exit 1; }

# install_file FROM TO: copy only if the content differs (keeps mtimes).
install_file() {
	mkdir -p "$(dirname "$2")"
	if ! cmp -s "$1" "$2"; then
		cp "$1" "$2"
		echo "insert.sh: updated ${2#"$src"/}"
	fi
}
# install_text TEXT TO: same, for generated content.
install_text() {
	local tmp
	tmp=$(mktemp)
	printf '%s\n' "$1" > "$tmp"
	install_file "$tmp" "$2"
	rm -f "$tmp"
}

dst=$src/hw/misc/vnpu
install_file "$here/vnpu.c" "$dst/vnpu.c"
install_file "$here/vnpu.h" "$dst/vnpu.h"
install_file "$here/trace.h" "$dst/trace.h"
install_file "$here/trace-events" "$dst/trace-events"
install_file "$here/Kconfig" "$dst/Kconfig"
# The whole engine library (meson.build.in lists what is compiled).
for f in "$here"/engine/*.[ch]; do
	install_file "$f" "$dst/engine/$(basename "$f")"
done
install_text "$(sed "s|@UAPI_DIR@|$repo/uapi|" "$here/meson.build.in")" "$dst/meson.build"
install_file "$here/devices.mak" "$src/configs/devices/x86_64-softmmu/vnpu.mak"
install_file "$repo/tests/qtest/vnpu-test.c" "$src/tests/qtest/vnpu-test.c"
install_file "$repo/tests/qtest/vnpu-fuzz-test.c" "$src/tests/qtest/vnpu-fuzz-test.c"

# One-time edits of QEMU's files.
python3 - "$src" "$repo/uapi" <<'PY'
import sys
src, uapi = sys.argv[1], sys.argv[2]
BEGIN = "# vnpu: added by qemu-device/insert.sh"
END = "# vnpu: end"

def edit(path, fn):
    with open(path) as f:
        old = f.read()
    if BEGIN in old:
        return
    new = fn(old)
    if new == old:
        sys.exit("insert.sh: cannot find where to edit " + path)
    with open(path, "w") as f:
        f.write(new)
    print("insert.sh: edited " + path[len(src) + 1:])

def block(lines):
    return BEGIN + "\n" + "".join(l + "\n" for l in lines) + END + "\n"

edit(src + "/hw/misc/Kconfig",
     lambda s: s + "\n" + block(["source vnpu/Kconfig"]))
edit(src + "/hw/misc/meson.build",
     lambda s: s + "\n" + block(["subdir('vnpu')"]))

anchor = "    'hw/misc/macio',\n"
edit(src + "/meson.build",
     lambda s: s.replace(anchor, anchor + block(["    'hw/misc/vnpu',"]), 1))

anchor = "foreach dir : target_dirs\n"
edit(src + "/tests/qtest/meson.build",
     lambda s: s.replace(anchor, block([
         "if config_all_devices.has_key('CONFIG_VNPU')",
         "  qtests_x86_64 += ['vnpu-test']",
         "  qtests += {'vnpu-test': [declare_dependency(",
         "    include_directories: include_directories('%s'))]}" % uapi,
         "endif",
     ]) + "\n" + anchor, 1))

# The device fuzzer qtest: its own block, so that trees edited before it
# existed get it too.
FBEGIN = "# vnpu-fuzz: added by qemu-device/insert.sh"
path = src + "/tests/qtest/meson.build"
with open(path) as f:
    old = f.read()
if FBEGIN not in old:
    new = old.replace(anchor, FBEGIN + "\n" + "".join(l + "\n" for l in [
        "if config_all_devices.has_key('CONFIG_VNPU')",
        "  qtests_x86_64 += ['vnpu-fuzz-test']",
        "  qtests += {'vnpu-fuzz-test': [declare_dependency(",
        "    include_directories: include_directories('%s'))]}" % uapi,
        "endif",
    ]) + END + "\n\n" + anchor, 1)
    if new == old:
        sys.exit("insert.sh: cannot find where to edit " + path)
    with open(path, "w") as f:
        f.write(new)
    print("insert.sh: edited tests/qtest/meson.build (vnpu-fuzz-test)")
PY
