# SPDX-License-Identifier: MIT
#
# vnpu-cdi: Container Device Interface spec generator (build/bin/vnpu-cdi),
# its host test (a fake sysfs, the spec checked against a JSON schema with
# python3-jsonschema) and its guest test (two devices).

VNPU_CDI := $(TOOLS_BINDIR)/vnpu-cdi

$(VNPU_CDI): tools/cdi/vnpu-cdi.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) -o $@ $<

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

# ... and in a guest of its own with two devices (host tier: boots a guest).
CDI_2DEV_TEST := $(BUILD)/tests/unit/test_vnpu_cdi_2dev
$(CDI_2DEV_TEST): tools/cdi/cdi.mk $(CDI_GUEST_TEST)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nexec bash %s --devices 2 -- "VNPU_CDI_EXPECT=2 vnpu_cdi_test"\n' \
		$(CURDIR)/scripts/run-guest.sh > $@
	$(Q)chmod +x $@
UNIT_TESTS += $(CDI_2DEV_TEST)
