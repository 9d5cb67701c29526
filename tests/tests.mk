# SPDX-License-Identifier: MIT
#
# make check: host unit tests, then qtests, then the in-guest suite.
# Fragments append to UNIT_TESTS, GUEST_TESTS, GUEST_BINS and GUEST_LIBS.

-include $(wildcard tests/unit/*.mk)
-include tests/kselftest/kselftest.mk

.PHONY: check check-run
# check first installs what is missing (idempotent), then builds and runs.
check:
	@bash scripts/deps.sh
	@$(MAKE) --no-print-directory check-run

check-run: $(UNIT_TESTS) qemu guest
	@BUILD=$(BUILD) QEMU=$(QEMU) QTEST_BIN=$(QTEST_BIN) \
		bash scripts/check.sh $(UNIT_TESTS) -- $(notdir $(GUEST_TESTS))
