# SPDX-License-Identifier: GPL-2.0-or-later
#
# QEMU 10.0 with the vnpu device (qemu-device/), and the device's qtest.
#   make qemu          build $(QEMU) and $(QTEST_BIN)
#   make check-qtest   run the qtest (TAP)

QEMU_DIR := $(BUILD)/qemu
QEMU := $(QEMU_DIR)/build/qemu-system-x86_64
QTEST_BIN := $(QEMU_DIR)/build/tests/qtest/vnpu-test
QFUZZ_BIN := $(QEMU_DIR)/build/tests/qtest/vnpu-fuzz-test

.PHONY: qemu check-qtest
# ninja decides what to rebuild; insert.sh only touches changed files.
qemu:
	$(Q)bash qemu-device/build.sh $(QEMU_DIR)

check-qtest: qemu
	QTEST_QEMU_BINARY=$(QEMU) $(QTEST_BIN) --tap -k
	QTEST_QEMU_BINARY=$(QEMU) $(QFUZZ_BIN) --tap -k
