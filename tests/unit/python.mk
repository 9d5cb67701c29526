# SPDX-License-Identifier: MIT
#
# Host test of the vnpu Python binding (python/vnpu) over build/lib's
# libaccel. Its device tests belong in the full (Debian) guest.
PY_HOST_TEST := $(BUILD)/tests/unit/test_python_vnpu
$(PY_HOST_TEST): tests/unit/python.mk python/tests/test_host.py python/vnpu/__init__.py \
		$(LIBACCEL_SO) $(LIBACCEL_LINKS) $(VNPU_COMPILE) $(MODELS_STAMP)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nVNPU_LIBACCEL=%s VNPU_COMPILE=%s VNPU_MODELS=%s exec /usr/bin/python3 %s %s\n' \
		$(LIBACCEL_DIR)/$(LIBACCEL_SONAME) $(VNPU_COMPILE) $(MODELS_DIR) $(CURDIR)/python/tests/test_host.py \
		$(CURDIR)/python > $@
	$(Q)chmod +x $@
UNIT_TESTS += $(PY_HOST_TEST)
