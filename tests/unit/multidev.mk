# SPDX-License-Identifier: MIT
#
# Pipeline stages for vnpu_multi_test (accel_model_pipeline_*): the digits
# MLP and CNN cut in two at a layer boundary by tests/models/split_stages.py
# (python3-onnx), each part compiled like the whole model (batch 120) and
# copied to /usr/share/vnpu in the guest. The multi-device tests themselves
# run from tools/cdi/cdi.mk (a guest with three devices).

STAGES_STAMP := $(MODELS_DIR)/.stamp-stages
STAGE_PKGS := $(addprefix $(MODELS_DIR)/,mlp_s1.vnpu mlp_s2.vnpu cnn_s1.vnpu cnn_s2.vnpu)

$(STAGES_STAMP): $(MODELS_STAMP) tests/models/split_stages.py
	@echo "  SPLIT   $(MODELS_DIR)/{mlp,cnn}_s{1,2}.onnx"
	$(Q)/usr/bin/python3 tests/models/split_stages.py $(MODELS_DIR)
	$(Q)touch $@

$(STAGE_PKGS): $(MODELS_DIR)/%.vnpu: $(STAGES_STAMP) $(VNPU_COMPILE) tests/unit/multidev.mk
	$(Q)$(VNPU_COMPILE) -q --batch 120 $(MODELS_DIR)/$*.onnx -o $@

GUEST_DATA += $(STAGE_PKGS)
