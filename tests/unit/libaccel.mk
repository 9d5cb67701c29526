# SPDX-License-Identifier: MIT
#
# Host unit tests of libaccel (no device needed): the kselftest-harness
# test binary and the exported-symbols check. Both print TAP.

LIBACCEL_TEST_DIR := $(BUILD)/tests/unit
LIBACCEL_TEST := $(LIBACCEL_TEST_DIR)/test_libaccel
LIBACCEL_SYMS_TEST := $(LIBACCEL_TEST_DIR)/libaccel-symbols
LIBACCEL_ISA_TEST := $(LIBACCEL_TEST_DIR)/test_libaccel_isa

$(LIBACCEL_TEST): tests/unit/test_libaccel.c libaccel/accel.h uapi/vnpu_device.h \
		uapi/drm/vnpu_accel.h $(LIBACCEL_SO) $(LIBACCEL_LINKS) $(LINUX_SRC)/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(LIBACCEL_CFLAGS) \
		$(shell $(PKG_CONFIG) --cflags libdrm) \
		-I$(LINUX_SRC)/tools/testing/selftests -Wno-missing-prototypes -o $@ $< \
		$(LIBACCEL_LDLIBS) -Wl,-rpath,$(LIBACCEL_DIR)

$(LIBACCEL_ISA_TEST): tests/unit/test_libaccel_isa.c libaccel/accel.h uapi/vnpu_device.h \
		$(LIBACCEL_SO) $(LIBACCEL_LINKS) $(LINUX_SRC)/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(LIBACCEL_CFLAGS) \
		-I$(LINUX_SRC)/tools/testing/selftests -Wno-missing-prototypes \
		-Wno-sign-compare -Wno-clobbered -o $@ $< $(LIBACCEL_LDLIBS) -Wl,-rpath,$(LIBACCEL_DIR)

# The builders against the device's engine (differential, see the file).
LIBACCEL_ENGINE_TEST := $(LIBACCEL_TEST_DIR)/test_libaccel_engine

$(LIBACCEL_ENGINE_TEST): tests/unit/test_libaccel_engine.c libaccel/accel.h \
		$(ENGINE_LIB) $(ENGINE_HDRS) $(LIBACCEL_SO) $(LIBACCEL_LINKS) \
		$(LINUX_SRC)/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(LIBACCEL_CFLAGS) \
		-Iqemu-device/engine -I$(LINUX_SRC)/tools/testing/selftests \
		-Wno-missing-prototypes -Wno-sign-compare -Wno-clobbered \
		-Wno-missing-field-initializers -o $@ $< $(ENGINE_LIB) \
		$(ENGINE_LIBS) $(LIBACCEL_LDLIBS) -Wl,-rpath,$(LIBACCEL_DIR)

# A wrapper so that check.sh can run it like any other test binary.
$(LIBACCEL_SYMS_TEST): tests/unit/libaccel-symbols.sh libaccel/libaccel-symbols.txt \
		libaccel/accel.h $(LIBACCEL_SO)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nexec bash %s %s %s %s\n' \
		$(CURDIR)/tests/unit/libaccel-symbols.sh $(LIBACCEL_SO) \
		$(CURDIR)/libaccel/libaccel-symbols.txt $(CURDIR)/libaccel/accel.h > $@
	$(Q)chmod +x $@

# The stand-alone application (tests/unit/libaccel-app.c), built like a
# user would with pkg-config: checked on the host by a TAP wrapper, and
# installed in the guest as /usr/bin/libaccel-app (libaccel_test runs it).
LIBACCEL_APP_TEST := $(LIBACCEL_TEST_DIR)/libaccel-app-build
LIBACCEL_APP := $(BUILD)/app/libaccel-app

$(LIBACCEL_APP): tests/unit/libaccel-app.c libaccel/accel.h $(LIBACCEL_SO) \
		$(LIBACCEL_LINKS) $(LIBACCEL_PC)
	@mkdir -p $(@D)
	@echo "  CC      $@ (pkg-config)"
	$(Q)PKG_CONFIG_PATH=$(LIBACCEL_DIR)/pkgconfig $(CC) -std=c11 -Wall -Wextra \
		-Werror -o $@ $< $$(PKG_CONFIG_PATH=$(LIBACCEL_DIR)/pkgconfig \
		$(PKG_CONFIG) --cflags --libs libaccel)

$(LIBACCEL_APP_TEST): tests/unit/libaccel-app.sh $(LIBACCEL_APP)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nexec bash %s %s %s %s\n' \
		$(CURDIR)/tests/unit/libaccel-app.sh $(CURDIR)/tests/unit/libaccel-app.c \
		$(LIBACCEL_DIR)/pkgconfig $(LIBACCEL_TEST_DIR)/libaccel-app > $@
	$(Q)chmod +x $@

# Documentation: man pages of the library and the tools, --help.
LIBACCEL_MAN_TEST := $(LIBACCEL_TEST_DIR)/libaccel-man
MAN_TOOLS := vnpu-info vnpu-top vnpu-events vnpu-run

$(LIBACCEL_MAN_TEST): tests/unit/libaccel-man.sh $(MAN_STAMP) \
		$(addprefix $(TOOLS_BINDIR)/,$(MAN_TOOLS))
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nexec bash %s %s %s %s %s %s %s\n' \
		$(CURDIR)/tests/unit/libaccel-man.sh $(MAN_DIR) \
		$(CURDIR)/libaccel/libaccel-symbols.txt $(KERNEL_DOC) \
		$(CURDIR)/libaccel/accel.h $(TOOLS_BINDIR) "$(MAN_TOOLS)" > $@
	$(Q)chmod +x $@

UNIT_TESTS += $(LIBACCEL_TEST) $(LIBACCEL_ISA_TEST) $(LIBACCEL_ENGINE_TEST) \
	$(LIBACCEL_SYMS_TEST) $(LIBACCEL_APP_TEST) $(LIBACCEL_MAN_TEST)
GUEST_BINS += $(LIBACCEL_APP)
