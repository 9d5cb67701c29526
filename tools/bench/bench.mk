# SPDX-License-Identifier: MIT
#
# make bench: vnpu-bench in the guest (libaccel) and the host references
# (tools/bench/host-ref.c with OpenBLAS, ONNX Runtime through
# tools/bench/ort_bench.js) in one run; tools/bench/bench.sh prints the
# table and writes $(BUILD)/bench/results.json and results.png.
# Benchmarks never run in make check.
#
# This fragment is read before tools/compiler/compiler.mk, so the paths of
# the compiler and the models are spelled out here.

BENCH_DIR := $(BUILD)/bench
VNPU_BENCH := $(TOOLS_BINDIR)/vnpu-bench
BENCH_HOSTREF := $(BENCH_DIR)/host-ref
BENCH_MODELS := $(addprefix $(BENCH_DIR)/models/,bench_mlp_b1.vnpu bench_mlp_b64.vnpu \
	bench_cnn_b1.vnpu bench_cnn_b64.vnpu)

$(VNPU_BENCH): tools/bench/vnpu-bench.c libaccel/accel.h libaccel/accel_model.h \
		$(LIBACCEL_SO) $(LIBACCEL_LINKS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(LIBACCEL_CFLAGS) -o $@ $< \
		$(LIBACCEL_LDLIBS) -Wl,-rpath,'$$ORIGIN/../lib'

# Data-parallel scaling over several devices (tools/bench/scaling.c).
VNPU_BENCH_SCALING := $(TOOLS_BINDIR)/vnpu-bench-scaling
$(VNPU_BENCH_SCALING): tools/bench/scaling.c libaccel/accel.h libaccel/accel_model.h \
		$(LIBACCEL_SO) $(LIBACCEL_LINKS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(LIBACCEL_CFLAGS) -o $@ $< \
		$(LIBACCEL_LDLIBS) -Wl,-rpath,'$$ORIGIN/../lib'

$(BENCH_HOSTREF): tools/bench/host-ref.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) -o $@ $< -lopenblas

# The digits models at batch 1 and 64 (the test packages use batch 120).
$(BENCH_DIR)/models/bench_%.vnpu: $(BUILD)/models/.stamp $(BUILD)/bin/vnpu-compile \
		tools/bench/bench.mk
	@mkdir -p $(@D)
	$(Q)m=$*; $(BUILD)/bin/vnpu-compile -q --batch $${m##*_b} \
		$(BUILD)/models/$${m%_b*}.onnx -o $@

GUEST_BINS += $(VNPU_BENCH) $(VNPU_BENCH_SCALING)
GUEST_DATA += $(BENCH_MODELS)

.PHONY: bench-run bench-host
bench-host: $(BENCH_HOSTREF) $(VNPU_BENCH) $(VNPU_BENCH_SCALING)

bench:
	@bash scripts/deps.sh
	@$(MAKE) --no-print-directory bench-run

bench-run:
	@$(MAKE) --no-print-directory qemu guest models bench-host
	@BUILD=$(BUILD) bash tools/bench/bench.sh
