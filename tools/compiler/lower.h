/* SPDX-License-Identifier: MIT */
/*
 * vnpu compiler: lowering, memory plan and package writer.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef VNPU_LOWER_H
#define VNPU_LOWER_H

#include <stdint.h>
#include <stdio.h>

#include "ir.h"

struct lower_opts {
	uint64_t devmem_size;	/* bytes the plan may place in device memory */
	FILE *summary;		/* per-layer summary, or NULL */
};

int lower_graph(struct ir_graph *g, const struct lower_opts *o, const char *path);

#endif /* VNPU_LOWER_H */
