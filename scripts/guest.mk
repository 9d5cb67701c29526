# SPDX-License-Identifier: MIT
#
# The test guest: Debian's 6.12 kernel plus an initramfs with busybox,
# vnpu.ko and its DRM dependencies, libaccel, the tools and the tests.

GUEST_DIR := $(BUILD)/guest
GUEST_KSTAMP := $(GUEST_DIR)/kernel/.stamp
# uncompressed: unpacking it is a copy, not an inflate on the emulated CPU
INITRD := $(GUEST_DIR)/initrd.cpio
RUN_GUEST := BUILD=$(BUILD) bash $(CURDIR)/scripts/run-guest.sh

$(GUEST_KSTAMP): scripts/guest-kernel.sh
	@test -n "$(KVER)" || { echo "error: no Debian 6.12 kernel headers; run 'make deps'" >&2; exit 1; }
	bash scripts/guest-kernel.sh $(GUEST_DIR)/kernel $(KVER)

# Fragments append to GUEST_BINS, GUEST_TESTS, GUEST_LIBS and GUEST_DATA
# (files for /usr/share/vnpu in the guest).
$(INITRD): $(GUEST_KSTAMP) $(MODDIR)/vnpu.ko $(GUEST_BINS) $(GUEST_TESTS) $(GUEST_LIBS) $(GUEST_DATA) \
		scripts/mkinitramfs.sh scripts/guest-init.sh
	@echo "  INITRD  $@"
	$(Q)bash scripts/mkinitramfs.sh $@ $(GUEST_DIR)/kernel $(MODDIR)/vnpu.ko -- \
		$(GUEST_BINS) $(GUEST_TESTS) $(GUEST_LIBS) --data $(GUEST_DATA)

guest: $(INITRD)

shell: guest qemu
	$(RUN_GUEST) --shell

demo:
	@bash scripts/deps.sh
	@$(MAKE) --no-print-directory demo-run

demo-run: guest qemu
	$(RUN_GUEST) -- "vnpu-demo$(if $(DEMO_MODEL_CMD), && $(DEMO_MODEL_CMD))"

# The long reliability run on a KASAN/lockdep/kmemleak/fault-injection
# kernel (issue 7; scripts/check-debug.sh, reliability.rst). Not part of
# make check: the debug kernel takes tens of minutes to build once.
.PHONY: check-debug
check-debug: qemu $(MODDIR)/vnpu.ko $(GUEST_BINS) $(GUEST_TESTS) $(GUEST_LIBS) $(GUEST_DATA) $(FUZZ_RUNNER)
	@BUILD=$(BUILD) QEMU=$(QEMU) FUZZ_RUNNER=$(FUZZ_RUNNER) \
		QFUZZ_BIN=$(dir $(QTEST_BIN))vnpu-fuzz-test bash scripts/check-debug.sh $(notdir $(GUEST_TESTS)) -- \
		$(GUEST_BINS) $(GUEST_TESTS) $(GUEST_LIBS) --data $(GUEST_DATA)
