# SPDX-License-Identifier: GPL-2.0-only
#
# In-guest kselftest-harness suites for the vnpu uAPI. They are built for
# the guest (GUEST_TESTS) into $(BUILD)/tests/guest/ and print TAP.
#
#   make kselftest    build them on the host (they only run in the guest)

KSFT_SRCDIR := tests/kselftest
KSFT_OUTDIR := $(BUILD)/tests/guest
# vnpu_module_test unloads the driver: keep it last.
KSFT_NAMES := vnpu_uapi_test vnpu_job_test vnpu_vm_test vnpu_recovery_test \
	vnpu_telemetry_test libaccel_test vnpu_pm_test vnpu_unplug_test \
	vnpu_fuzz_test vnpu_isolation_test vnpu_stress_test vnpu_multi_test vnpu_failslab_test \
	vnpu_swap_test vnpu_module_test
KSFT_BINS := $(addprefix $(KSFT_OUTDIR)/,$(KSFT_NAMES))
KSFT_CPPFLAGS := $(CPPFLAGS) -I$(LINUX_SRC)/tools/testing/selftests \
	$(shell $(PKG_CONFIG) --cflags libdrm)
# The harness defines non-static functions without prototypes, and its
# ASSERT_*() compare whatever types they are given.
KSFT_CFLAGS := $(CFLAGS) $(WARNFLAGS) -Wno-missing-prototypes -Wno-sign-compare -Wno-clobbered -pthread
KSFT_DEPS := $(LINUX_SRC)/.stamp $(KSFT_SRCDIR)/vnpu_ksft.h \
	uapi/vnpu_device.h uapi/drm/vnpu_accel.h

$(KSFT_BINS): $(KSFT_OUTDIR)/%: $(KSFT_SRCDIR)/%.c $(KSFT_DEPS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(KSFT_CPPFLAGS) $(KSFT_CFLAGS) -o $@ $< $(KSFT_LDLIBS) -pthread

# vnpu_telemetry_test reads the "vnpu" generic netlink family with libnl.
$(KSFT_OUTDIR)/vnpu_telemetry_test: uapi/vnpu_genl.h
$(KSFT_OUTDIR)/vnpu_telemetry_test: KSFT_CPPFLAGS += $(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
$(KSFT_OUTDIR)/vnpu_telemetry_test: KSFT_LDLIBS += $(shell $(PKG_CONFIG) --libs libnl-genl-3.0)

# libaccel_test uses libaccel (/usr/lib in the guest).
$(KSFT_OUTDIR)/libaccel_test: KSFT_CPPFLAGS += $(LIBACCEL_CFLAGS)
$(KSFT_OUTDIR)/libaccel_test: KSFT_LDLIBS += $(LIBACCEL_LDLIBS) -lm
$(KSFT_OUTDIR)/libaccel_test: libaccel/accel.h $(LIBACCEL_SO) $(LIBACCEL_LINKS)

# vnpu_multi_test (several devices) uses libaccel and its model runtime.
$(KSFT_OUTDIR)/vnpu_multi_test: KSFT_CPPFLAGS += $(LIBACCEL_CFLAGS)
$(KSFT_OUTDIR)/vnpu_multi_test: KSFT_LDLIBS += $(LIBACCEL_LDLIBS)
$(KSFT_OUTDIR)/vnpu_multi_test: libaccel/accel.h libaccel/accel_model.h $(LIBACCEL_SO) $(LIBACCEL_LINKS)

GUEST_TESTS += $(KSFT_BINS)

.PHONY: kselftest
kselftest: $(KSFT_BINS)
