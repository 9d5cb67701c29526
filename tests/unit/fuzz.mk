# SPDX-License-Identifier: GPL-2.0-or-later
#
# libFuzzer target for the engine's command decoder (tests/fuzz), built
# with clang and ASan+UBSan, and its runner: a bounded run (FUZZ_SECONDS,
# default 25) from a generated seed corpus, printing TAP.

FUZZ_DIR := $(BUILD)/tests/fuzz
FUZZ_BIN := $(FUZZ_DIR)/fuzz_engine
FUZZ_SEEDGEN := $(FUZZ_DIR)/fuzz_seeds
FUZZ_RUNNER := $(FUZZ_DIR)/run-fuzz
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer

$(FUZZ_BIN): tests/fuzz/fuzz_engine.c tests/fuzz/fuzz_engine.h $(ENGINE_SRCS) $(ENGINE_HDRS)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS) $(ENGINE_CFLAGS) \
		-Iqemu-device/engine -Itests/fuzz -o $@ \
		tests/fuzz/fuzz_engine.c $(ENGINE_SRCS) $(ENGINE_LIBS)

$(FUZZ_SEEDGEN): tests/fuzz/fuzz_seeds.c tests/fuzz/fuzz_engine.h uapi/vnpu_device.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) -Itests/fuzz -o $@ $<

$(FUZZ_RUNNER): tests/fuzz/run-fuzz.sh $(FUZZ_BIN) $(FUZZ_SEEDGEN)
	@mkdir -p $(@D)
	$(Q)printf '#!/bin/sh\nexec bash %s %s %s "$$@"\n' \
		"$(CURDIR)/tests/fuzz/run-fuzz.sh" "$(FUZZ_BIN)" \
		"$(FUZZ_SEEDGEN)" > $@
	$(Q)chmod +x $@

.PHONY: fuzz
fuzz: $(FUZZ_RUNNER)
	$(FUZZ_RUNNER)

UNIT_TESTS += $(FUZZ_RUNNER)
