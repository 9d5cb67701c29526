# SPDX-License-Identifier: MIT
#
# The QEMU-free vnpu command engine (qemu-device/engine) as a host
# library, and its unit tests (kselftest harness, TAP).

ENGINE_DIR := $(BUILD)/engine
ENGINE_LIB := $(ENGINE_DIR)/libvnpu-engine.a
ENGINE_SRCS := $(wildcard qemu-device/engine/*.c)
ENGINE_HDRS := $(wildcard qemu-device/engine/*.h) uapi/vnpu_device.h
ENGINE_OBJS := $(patsubst qemu-device/engine/%.c,$(ENGINE_DIR)/%.o,$(ENGINE_SRCS))
# OpenBLAS does the F32/BF16 GEMM and convolution math.
ENGINE_CFLAGS := $(shell $(PKG_CONFIG) --cflags openblas 2>/dev/null)
ENGINE_LIBS := $(shell $(PKG_CONFIG) --libs openblas 2>/dev/null || echo -lopenblas) -lm
# oneDNN (libdnnl-dev) accumulates the int8 GEMM when it is installed.
ifneq ($(wildcard /usr/include/oneapi/dnnl/dnnl.h),)
ENGINE_CFLAGS += -DVNPU_HAVE_DNNL
ENGINE_LIBS += -ldnnl -lgomp
endif
TEST_ENGINE := $(BUILD)/tests/unit/test_engine

$(ENGINE_DIR)/%.o: qemu-device/engine/%.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(ENGINE_CFLAGS) -c -o $@ $<

$(ENGINE_LIB): $(ENGINE_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(TEST_ENGINE): tests/unit/test_engine.c $(ENGINE_LIB) $(ENGINE_HDRS) $(LINUX_SRC)/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) -Iqemu-device/engine \
		-I$(LINUX_SRC)/tools/testing/selftests -Wno-missing-prototypes \
		-Wno-sign-compare \
		-o $@ $< $(ENGINE_LIB) $(ENGINE_LIBS)

TEST_ENGINE_OPS := $(BUILD)/tests/unit/test_engine_ops

$(TEST_ENGINE_OPS): tests/unit/test_engine_ops.c tests/unit/ref_ops.c \
		tests/unit/ref_ops.h $(ENGINE_LIB) $(ENGINE_HDRS) $(LINUX_SRC)/.stamp
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) -Iqemu-device/engine \
		-I$(LINUX_SRC)/tools/testing/selftests -Wno-missing-prototypes \
		-Wno-sign-compare -Wno-missing-field-initializers \
		-o $@ tests/unit/test_engine_ops.c tests/unit/ref_ops.c \
		$(ENGINE_LIB) $(ENGINE_LIBS) -lpthread

UNIT_TESTS += $(TEST_ENGINE) $(TEST_ENGINE_OPS)
