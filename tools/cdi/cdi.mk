# SPDX-License-Identifier: MIT
#
# vnpu-cdi: Container Device Interface spec generator (build/bin/vnpu-cdi),
# its host test (a fake sysfs, the spec checked against a JSON schema with
# python3-jsonschema) and its guest tests (generate; watch across a device
# removal and rescan), also run with three devices.

VNPU_CDI := $(TOOLS_BINDIR)/vnpu-cdi

# watch mode uses libaccel's hotplug monitor
$(VNPU_CDI): tools/cdi/vnpu-cdi.c libaccel/accel.h $(LIBACCEL_SO) $(LIBACCEL_LINKS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(LIBACCEL_CFLAGS) -o $@ $< \
		$(LIBACCEL_LDLIBS) -Wl,-rpath,'$$ORIGIN/../lib'

.PHONY: cdi
cdi: $(VNPU_CDI)
all: cdi
GUEST_BINS += $(VNPU_CDI)
INSTALL_BINS += $(VNPU_CDI)

CDI_HOST_TEST := $(BUILD)/tests/unit/test_vnpu_cdi
$(CDI_HOST_TEST): tools/cdi/cdi.mk tests/unit/test_vnpu_cdi.py tests/unit/cdi-schema.json $(VNPU_CDI)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nexec /usr/bin/python3 %s %s %s\n' \
		$(CURDIR)/tests/unit/test_vnpu_cdi.py $(VNPU_CDI) \
		$(CURDIR)/tests/unit/cdi-schema.json > $@
	$(Q)chmod +x $@
UNIT_TESTS += $(CDI_HOST_TEST)

# In the guest suite (as many devices as the suite's guest has) ...
CDI_GUEST_TEST := $(BUILD)/tests/guest/vnpu_cdi_test
$(CDI_GUEST_TEST): tools/cdi/vnpu_cdi_test.sh
	@mkdir -p $(@D)
	$(Q)cp $< $@
	$(Q)chmod +x $@
GUEST_TESTS += $(CDI_GUEST_TEST)

# vnpu-cdi watch on hotplug (SKIPs with fewer than two devices).
CDI_HOTPLUG_TEST := $(BUILD)/tests/guest/vnpu_cdi_hotplug_test
$(CDI_HOTPLUG_TEST): tools/cdi/vnpu_cdi_hotplug_test.sh
	@mkdir -p $(@D)
	$(Q)cp $< $@
	$(Q)chmod +x $@
GUEST_TESTS += $(CDI_HOTPLUG_TEST)

# ... and the multi-device tier, in a guest of its own with three devices
# (host tier: boots a guest): vnpu_cdi_test, vnpu_multi_test and
# vnpu_cdi_hotplug_test, whose specs are checked against the CDI schema.
CDI_3DEV_TEST := $(BUILD)/tests/unit/test_vnpu_3dev
$(CDI_3DEV_TEST): tools/cdi/cdi.mk tools/cdi/vnpu_3dev_test.sh tests/unit/cdi-schema.json \
		$(CDI_GUEST_TEST) $(CDI_HOTPLUG_TEST)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nexec bash %s %s %s\n' \
		$(CURDIR)/tools/cdi/vnpu_3dev_test.sh $(CURDIR)/scripts/run-guest.sh \
		$(CURDIR)/tests/unit/cdi-schema.json > $@
	$(Q)chmod +x $@
UNIT_TESTS += $(CDI_3DEV_TEST)
