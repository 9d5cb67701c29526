# SPDX-License-Identifier: MIT
#
# libaccel: build/lib/libaccel.so.1.0.0 (SONAME libaccel.so.1), its
# symlinks and build/lib/pkgconfig/libaccel.pc (a build-tree .pc file:
# includedir points at the sources).

LIBACCEL_VERSION := 1.0.0
LIBACCEL_SONAME := libaccel.so.1
LIBACCEL_DIR := $(BUILD)/lib
LIBACCEL_OBJDIR := $(BUILD)/libaccel
LIBACCEL_SO := $(LIBACCEL_DIR)/libaccel.so.$(LIBACCEL_VERSION)
LIBACCEL_LINKS := $(LIBACCEL_DIR)/$(LIBACCEL_SONAME) $(LIBACCEL_DIR)/libaccel.so
LIBACCEL_PC := $(LIBACCEL_DIR)/pkgconfig/libaccel.pc

LIBACCEL_SRCS := $(wildcard libaccel/*.c)
LIBACCEL_OBJS := $(patsubst libaccel/%.c,$(LIBACCEL_OBJDIR)/%.o,$(LIBACCEL_SRCS))
LIBACCEL_HDRS := libaccel/accel.h libaccel/accel_priv.h uapi/vnpu_device.h \
	uapi/drm/vnpu_accel.h uapi/vnpu_genl.h
LIBACCEL_DEPS_CFLAGS = $(shell $(PKG_CONFIG) --cflags libdrm libudev libnl-genl-3.0)
LIBACCEL_DEPS_LIBS = $(shell $(PKG_CONFIG) --libs libdrm libudev libnl-genl-3.0)

# For consumers in this tree (tools, tests).
LIBACCEL_CFLAGS := -I$(CURDIR)/libaccel
LIBACCEL_LDLIBS := -L$(LIBACCEL_DIR) -laccel

$(LIBACCEL_OBJDIR)/%.o: libaccel/%.c $(LIBACCEL_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(LIBACCEL_DEPS_CFLAGS) \
		-fPIC -fvisibility=hidden -pthread -c -o $@ $<

$(LIBACCEL_SO): $(LIBACCEL_OBJS) libaccel/libaccel.map
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -shared -pthread -Wl,-soname,$(LIBACCEL_SONAME) \
		-Wl,--version-script=libaccel/libaccel.map -Wl,--no-undefined \
		-Wl,-z,defs -o $@ $(LIBACCEL_OBJS) $(LIBACCEL_DEPS_LIBS)

$(LIBACCEL_DIR)/$(LIBACCEL_SONAME): $(LIBACCEL_SO)
	$(Q)ln -sfn $(notdir $<) $@

$(LIBACCEL_DIR)/libaccel.so: $(LIBACCEL_DIR)/$(LIBACCEL_SONAME)
	$(Q)ln -sfn $(LIBACCEL_SONAME) $@

$(LIBACCEL_PC): libaccel/libaccel.pc.in libaccel/libaccel.mk
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)sed -e 's|@prefix@|$(BUILD)|' -e 's|@libdir@|$${prefix}/lib|' \
		-e 's|@includedir@|$(CURDIR)/libaccel|' \
		-e 's|@VERSION@|$(LIBACCEL_VERSION)|' $< > $@

.PHONY: libaccel
libaccel: $(LIBACCEL_SO) $(LIBACCEL_LINKS) $(LIBACCEL_PC)
all: libaccel

# The guest needs the real file and the SONAME link.
GUEST_LIBS += $(LIBACCEL_SO) $(LIBACCEL_DIR)/$(LIBACCEL_SONAME)

# Man pages under $(BUILD)/man: section 3 generated from the public headers
# by the kernel's kernel-doc (from Debian's linux-source tarball) through
# libaccel/gen-man.py, plus the hand-written libaccel.3; section 1 for the
# tools. Read them with: man -l build/man/man3/accel_bo_new.3
MAN_DIR := $(BUILD)/man
MAN_STAMP := $(MAN_DIR)/.stamp
KERNEL_DOC := $(LIBACCEL_OBJDIR)/kernel-doc
MAN_SRCS := $(wildcard Documentation/man/*.1 Documentation/man/*.3)
# accel_model.h (the model runtime) is documented leniently for now.
MAN_HDRS := libaccel/accel.h $(wildcard libaccel/accel_model.h)

$(KERNEL_DOC):
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)tarball=$$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1); \
	test -n "$$tarball" || { echo "no linux-source-6.12 tarball; run 'make deps'" >&2; exit 1; }; \
	top=$$( (tar tf "$$tarball" 2>/dev/null || true) | head -n1 | cut -d/ -f1); \
	tar xf "$$tarball" -O "$$top/scripts/kernel-doc" > $@.tmp && mv $@.tmp $@

$(MAN_STAMP): $(KERNEL_DOC) libaccel/gen-man.py $(MAN_HDRS) $(MAN_SRCS)
	@echo "  MAN     $(MAN_DIR)"
	$(Q)rm -rf $(MAN_DIR) && mkdir -p $(MAN_DIR)/man1 $(MAN_DIR)/man3
	$(Q)python3 libaccel/gen-man.py $(KERNEL_DOC) $(MAN_DIR)/man3 \
		libaccel/accel.h --lenient $(filter-out libaccel/accel.h,$(MAN_HDRS)) >/dev/null
	$(Q)cp Documentation/man/*.3 $(MAN_DIR)/man3/
	$(Q)cp Documentation/man/*.1 $(MAN_DIR)/man1/
	$(Q)touch $@

.PHONY: man
man: $(MAN_STAMP)
all: man
