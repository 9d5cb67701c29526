# SPDX-License-Identifier: MIT
#
# vnpu top-level build. All outputs go under $(BUILD) (default build/).
#
#   make deps      install build and test dependencies (Debian 12)
#   make           module, libaccel, tools, guest tests
#   make qemu      QEMU 10.0 with the vnpu device
#   make check     host unit tests, qtests, in-guest kselftest suite
#   make demo      boot a guest and run the end-to-end demo
#   make bench     benchmarks against host references (performance.rst)
#   make shell     boot the guest with an interactive shell

BUILD ?= $(CURDIR)/build
KVER ?= $(shell ls -d /usr/src/linux-headers-6.12.*+deb12-amd64 2>/dev/null | \
	sed 's|.*/linux-headers-||' | sort -V | tail -n1)
KDIR ?= /usr/src/linux-headers-$(KVER)
LINUX_SRC := $(BUILD)/linux-src

CC ?= gcc
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Wno-unused-parameter -Wmissing-prototypes
CPPFLAGS += -D_GNU_SOURCE -I$(CURDIR)/uapi
PKG_CONFIG ?= pkg-config

Q := $(if $(V),,@)

.PHONY: all deps module clean check check-run demo demo-run shell qemu guest bench
all: module

deps:
	bash scripts/deps.sh

# The module is built in a shadow tree of symlinks so that Kbuild's
# outputs land under $(BUILD) rather than next to the sources.
MODDIR := $(BUILD)/module
KSRCS := Kbuild $(wildcard kernel/*.c kernel/*.h uapi/*.h uapi/drm/*.h)

include libaccel/libaccel.mk
include tools/tools.mk
-include $(wildcard tools/*/*.mk)
include qemu-device/qemu.mk
include tests/tests.mk
include scripts/guest.mk


$(MODDIR)/.tree:
	$(Q)mkdir -p $(MODDIR)
	$(Q)ln -sfn $(CURDIR)/Kbuild $(MODDIR)/Kbuild
	$(Q)ln -sfn $(CURDIR)/kernel $(MODDIR)/kernel
	$(Q)ln -sfn $(CURDIR)/uapi $(MODDIR)/uapi
	$(Q)touch $@

$(MODDIR)/vnpu.ko: $(MODDIR)/.tree $(KSRCS)
	@test -d "$(KDIR)" || { echo "error: kernel headers not found at KDIR=$(KDIR); run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(MODDIR) W=1 modules

module: $(MODDIR)/vnpu.ko

# checkpatch.pl and the kselftest harness come from Debian's linux-source.
$(LINUX_SRC)/.stamp:
	bash scripts/linux-src.sh $(LINUX_SRC)

clean:
	rm -rf $(BUILD)/module $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests $(BUILD)/engine $(BUILD)/guest
