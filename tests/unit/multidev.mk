# SPDX-License-Identifier: MIT
#
# Pipeline stages: the digits MLP and CNN cut in two by the compiler
# (vnpu-compile --to/--from at a layer boundary), each part compiled at
# batch 120 like the whole model and copied to /usr/share/vnpu in the
# guest for vnpu_multi_test (accel_model_pipeline_*). The host test
# tests/models/cut_test.sh checks the cut against onnx.utils.extract_model
# and its refusals. The multi-device guest tests run from tools/cdi/cdi.mk
# (a guest with three devices).

STAGE_PKGS := $(addprefix $(MODELS_DIR)/,mlp_s1.vnpu mlp_s2.vnpu cnn_s1.vnpu cnn_s2.vnpu)
# model:cut tensor
STAGE_CUTS := mlp:a1 cnn:a2
stage_cut = $(lastword $(subst :, ,$(filter $(1):%,$(STAGE_CUTS))))

$(MODELS_DIR)/%_s1.vnpu: $(MODELS_STAMP) $(VNPU_COMPILE) tests/unit/multidev.mk
	$(Q)$(VNPU_COMPILE) -q --batch 120 --to $(call stage_cut,$*) $(MODELS_DIR)/$*.onnx -o $@
$(MODELS_DIR)/%_s2.vnpu: $(MODELS_STAMP) $(VNPU_COMPILE) tests/unit/multidev.mk
	$(Q)$(VNPU_COMPILE) -q --batch 120 --from $(call stage_cut,$*) $(MODELS_DIR)/$*.onnx -o $@

GUEST_DATA += $(STAGE_PKGS)

CUT_TEST := $(BUILD)/tests/unit/test_compiler_cut
$(CUT_TEST): tests/models/cut_test.sh tests/unit/multidev.mk $(VNPU_COMPILE) $(MODELS_STAMP)
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)printf '#!/bin/sh\n# SPDX-License-Identifier: MIT\nexec bash %s %s %s\n' \
		$(CURDIR)/tests/models/cut_test.sh $(VNPU_COMPILE) $(MODELS_DIR) > $@
	$(Q)chmod +x $@
UNIT_TESTS += $(CUT_TEST)
