# SPDX-License-Identifier: MIT
#
# Tools linked against libaccel: build/bin/vnpu-{info,demo,top,events,run}.
# They find libaccel through the RUNPATH $ORIGIN/../lib (build/lib on the
# host, /usr/lib in the guest).

TOOLS_BINDIR := $(BUILD)/bin
TOOLS := vnpu-info vnpu-demo vnpu-top vnpu-events vnpu-run
TOOLS_BINS := $(addprefix $(TOOLS_BINDIR)/,$(TOOLS))

$(TOOLS_BINDIR)/%: tools/%.c tools/tool_util.h libaccel/accel.h $(LIBACCEL_SO) $(LIBACCEL_LINKS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(WARNFLAGS) $(CPPFLAGS) $(LIBACCEL_CFLAGS) -o $@ $< \
		$(LIBACCEL_LDLIBS) -Wl,-rpath,'$$ORIGIN/../lib'

.PHONY: tools
tools: $(TOOLS_BINS)
all: tools

GUEST_BINS += $(TOOLS_BINS)
