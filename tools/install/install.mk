# SPDX-License-Identifier: MIT
#
# make install [PREFIX=/usr/local] [DESTDIR=]
#
# Installs what a user of vnpu needs:
#   - the module's sources and dkms.conf under /usr/src/vnpu-<version>
#     (DKMS builds and installs vnpu.ko; `dkms install` runs only when
#     DESTDIR is empty, dkms is present and the running kernel has headers);
#   - libaccel: libaccel.so.<version>, its SONAME and development links,
#     the headers (accel.h, accel_model.h; they include no uapi header),
#     libaccel.pc for $(PREFIX), section 3 man pages;
#   - the tools ($(INSTALL_BINS)) and their section 1 man pages;
#   - the udev rule (group render, mode 0660, /dev/accel/by-path links);
#   - the python3 binding (python/vnpu) under $(PYTHONDIR);
#   - the QEMU binary with the device under $(PREFIX)/lib/vnpu/qemu/, only
#     if it was built (make qemu).
# Every directory can be overridden (LIBDIR for a multiarch libdir, ...).

VNPU_VERSION ?= $(LIBACCEL_VERSION)
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
PYTHONDIR ?= $(PREFIX)/lib/python3/dist-packages
VNPU_LIBEXECDIR ?= $(PREFIX)/lib/vnpu
DKMS_SRCDIR ?= /usr/src/vnpu-$(VNPU_VERSION)
# udev reads /usr/lib/udev (/lib/udev) for packaged rules and /etc/udev for
# local ones; it never looks under /usr/local.
UDEVRULESDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,/etc/udev/rules.d)
INSTALL ?= install

INSTALL_BINS += $(TOOLS_BINS) $(VNPU_COMPILE) $(VNPU_RUN_MODEL)
INSTALL_PC := $(BUILD)/install/libaccel.pc
INSTALL_DKMS_CONF := $(BUILD)/install/dkms.conf
DKMS_SRCS := Kbuild $(wildcard kernel/*.c kernel/*.h uapi/*.h uapi/drm/*.h)

# The .pc file depends on the directories: regenerate it on every install.
.PHONY: install install-files $(INSTALL_PC)
$(INSTALL_PC): libaccel/libaccel.pc.in
	@mkdir -p $(@D)
	$(Q)sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' \
		-e 's|@includedir@|$(INCLUDEDIR)/libaccel|' \
		-e 's|@VERSION@|$(LIBACCEL_VERSION)|' $< > $@

$(INSTALL_DKMS_CONF): dkms.conf tools/install/install.mk
	@mkdir -p $(@D)
	$(Q)sed -e 's|@VERSION@|$(VNPU_VERSION)|' $< > $@

install: libaccel man $(INSTALL_BINS) $(INSTALL_PC) $(INSTALL_DKMS_CONF)
	@$(MAKE) --no-print-directory install-files
	@if [ -z "$(DESTDIR)" ] && command -v dkms >/dev/null && \
	    [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo "  DKMS    vnpu/$(VNPU_VERSION)"; \
		dkms add vnpu/$(VNPU_VERSION) 2>/dev/null || true; \
		dkms install vnpu/$(VNPU_VERSION); \
	else \
		echo "  note: module sources in $(DESTDIR)$(DKMS_SRCDIR); run 'dkms install vnpu/$(VNPU_VERSION)' on the target"; \
	fi

install-files:
	@echo "  INSTALL $(DESTDIR)$(PREFIX)"
	$(Q)$(INSTALL) -d $(DESTDIR)$(DKMS_SRCDIR)/kernel $(DESTDIR)$(DKMS_SRCDIR)/uapi/drm
	$(Q)$(INSTALL) -m 644 Kbuild $(DESTDIR)$(DKMS_SRCDIR)/
	$(Q)$(INSTALL) -m 644 $(INSTALL_DKMS_CONF) $(DESTDIR)$(DKMS_SRCDIR)/dkms.conf
	$(Q)$(INSTALL) -m 644 $(wildcard kernel/*.c kernel/*.h) $(DESTDIR)$(DKMS_SRCDIR)/kernel/
	$(Q)$(INSTALL) -m 644 $(wildcard uapi/*.h) $(DESTDIR)$(DKMS_SRCDIR)/uapi/
	$(Q)$(INSTALL) -m 644 $(wildcard uapi/drm/*.h) $(DESTDIR)$(DKMS_SRCDIR)/uapi/drm/
	$(Q)$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)/libaccel
	$(Q)$(INSTALL) -m 644 $(LIBACCEL_SO) $(DESTDIR)$(LIBDIR)/
	$(Q)ln -sfn libaccel.so.$(LIBACCEL_VERSION) $(DESTDIR)$(LIBDIR)/$(LIBACCEL_SONAME)
	$(Q)ln -sfn $(LIBACCEL_SONAME) $(DESTDIR)$(LIBDIR)/libaccel.so
	$(Q)$(INSTALL) -m 644 libaccel/accel.h libaccel/accel_model.h $(DESTDIR)$(INCLUDEDIR)/libaccel/
	$(Q)$(INSTALL) -m 644 $(INSTALL_PC) $(DESTDIR)$(PKGCONFIGDIR)/libaccel.pc
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	$(Q)$(INSTALL) -m 755 $(INSTALL_BINS) $(DESTDIR)$(BINDIR)/
	$(Q)$(INSTALL) -m 644 $(MAN_DIR)/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(Q)$(INSTALL) -m 644 $(MAN_DIR)/man3/*.3 $(DESTDIR)$(MANDIR)/man3/
	$(Q)$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR)
	$(Q)$(INSTALL) -m 644 udev/70-vnpu.rules $(DESTDIR)$(UDEVRULESDIR)/
	$(Q)$(INSTALL) -d $(DESTDIR)$(PYTHONDIR)/vnpu
	$(Q)$(INSTALL) -m 644 python/vnpu/*.py $(DESTDIR)$(PYTHONDIR)/vnpu/
	$(Q)if [ -x $(QEMU) ]; then \
		$(INSTALL) -d $(DESTDIR)$(VNPU_LIBEXECDIR)/qemu && \
		$(INSTALL) -m 755 $(QEMU) $(DESTDIR)$(VNPU_LIBEXECDIR)/qemu/; \
	else echo "  note: $(QEMU) not built (make qemu); QEMU not installed"; fi

# Debian packages: build, unpack, check, lintian, then dpkg -i in the full
# Debian guest (see check-install.sh and scripts/full-guest.sh; its root
# filesystem is made once per machine under /var/cache/vnpu). Installs the
# packaging tools it needs itself (not part of make check).
# VNPU_FULL_GUEST=0 skips the guest.
CHECK_INSTALL_PKGS := debhelper dh-dkms dh-python dkms lintian chrpath debootstrap e2fsprogs
.PHONY: check-install
check-install: qemu $(MODELS_STAMP) $(MODELS_DIR)/mlp.vnpu $(MODELS_DIR)/mlp_ref.npy
	@missing=$$(for p in $(CHECK_INSTALL_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "  APT     $$missing"; \
		DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) \
		apt-get install -y -q --no-install-recommends $$missing >/dev/null; fi
	@test -n "$(KVER)" || { echo "error: no Debian 6.12 kernel headers; run 'make deps'" >&2; exit 1; }
	@bash tools/install/check-install.sh $(BUILD) $(QEMU) $(KVER) $(MODELS_DIR)

# The udev rule evaluated in the guest by the host's udevadm (udev package).
UDEV_GUEST_TEST := $(BUILD)/tests/guest/vnpu_udev_test
$(UDEV_GUEST_TEST): tools/install/vnpu_udev_test.sh
	@mkdir -p $(@D)
	$(Q)cp $< $@
	$(Q)chmod +x $@
GUEST_TESTS += $(UDEV_GUEST_TEST)
GUEST_BINS += /bin/udevadm
GUEST_DATA += udev/70-vnpu.rules

# Host test of make install (PREFIX, DESTDIR); runs make install itself.
INSTALL_TEST := $(BUILD)/tests/unit/test_make_install
$(INSTALL_TEST): tools/install/install_test.sh tools/install/install.mk
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nexec bash %s %s %s\n' \
		$(CURDIR)/tools/install/install_test.sh $(CURDIR) $(BUILD) > $@
	$(Q)chmod +x $@
UNIT_TESTS += $(INSTALL_TEST)

# The Python binding's device test in a guest with python3 and numpy (the
# busybox initramfs plus a python archive). Not part of make check (a
# ~40 MB initramfs). make check-install runs the same test on the
# installed packages in the full Debian guest; this is the quicker loop.
PY_INITRD := $(BUILD)/guest/initrd-python.cpio.gz
$(PY_INITRD): $(INITRD) tools/install/python-initrd.sh python/vnpu/__init__.py python/tests/test_device.py
	@echo "  INITRD  $@"
	$(Q)bash tools/install/python-initrd.sh $@ $(INITRD) $(CURDIR)/python

.PHONY: check-python-guest
check-python-guest: qemu guest $(PY_INITRD)
	@INITRD=$(PY_INITRD) bash scripts/run-guest.sh --timeout 900 -- \
		"VNPU_LIBACCEL=/usr/lib/libaccel.so.1 python3 /usr/share/vnpu/test_device.py"
