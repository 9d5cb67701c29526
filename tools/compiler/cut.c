// SPDX-License-Identifier: MIT
/*
 * vnpu compiler: cut a graph into a pipeline stage (ir_cut()).
 *
 * A stage is the part of the network between two tensors: it reads tensor
 * FROM (the network's input if none) and produces tensor TO (the network's
 * outputs if none). Compiling the consecutive stages of a network, each
 * with the previous stage's TO as its FROM, gives packages that run on
 * several devices as accel_model_pipeline_* stages; the boundary tensors
 * keep their ONNX (row-major) layout, so each stage is compiled exactly as
 * the whole network would be on either side of the cut.
 *
 * The cut runs after shape inference and before the other passes. Nodes
 * that the stage's output does not need become dead; FROM becomes the
 * graph's only input (its producer is dropped). The cut is refused when
 * the stage would also need the network's input (a path around FROM, e.g.
 * a residual connection) or when FROM/TO is not a computed tensor.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* Mark what @t needs; returns -1 if that reaches a graph input other than @from. */
static int need(struct ir_graph *g, int t, int from, bool *live, bool *seen)
{
	int p, i;

	if (t < 0 || seen[t])
		return 0;
	seen[t] = true;
	if (t == from || ir_is_const(g, t))
		return 0;
	if (g->t[t].is_input && from < 0)
		return 0;	/* no --from: the stage starts at the network input */
	if (g->t[t].is_input)
		return ir_error(g, "the stage needs the network input '%s' besides '%s'",
				g->t[t].name, g->t[from].name);
	p = g->t[t].producer;
	if (p < 0)
		return 0;
	live[p] = true;
	for (i = 0; i < g->n[p].nin; i++)
		if (need(g, g->n[p].in[i], from, live, seen))
			return -1;
	return 0;
}

static int computed(struct ir_graph *g, const char *name, const char *what)
{
	int t = ir_find_tensor(g, name);

	if (t < 0)
		return ir_error(g, "%s tensor '%s' is not in the graph", what, name);
	if (ir_is_const(g, t) || g->t[t].producer < 0 || g->n[g->t[t].producer].dead)
		return ir_error(g, "%s tensor '%s' is not computed by a node", what, name);
	if (g->t[t].dtype != IR_F32)
		return ir_error(g, "%s tensor '%s' is not float32", what, name);
	return t;
}

int ir_cut(struct ir_graph *g, const char *from, const char *to)
{
	int f = -1, t = -1, i, ret = -1;
	bool *live, *seen;

	if (!from && !to)
		return 0;
	if (from) {
		f = computed(g, from, "--from");
		if (f < 0)
			return -1;
	}
	if (to) {
		t = computed(g, to, "--to");
		if (t < 0)
			return -1;
	}
	live = calloc(g->nn ? g->nn : 1, sizeof(*live));
	seen = calloc(g->nt ? g->nt : 1, sizeof(*seen));
	if (!live || !seen) {
		ir_error(g, "out of memory");
		goto out;
	}
	/* what the stage's outputs need, stopping at FROM */
	for (i = 0; i < (t >= 0 ? 1 : g->noutputs); i++) {
		int o = t >= 0 ? t : g->outputs[i];

		if (o == f) {
			ir_error(g, "--from and --to name the same tensor '%s'", g->t[f].name);
			goto out;
		}
		if (need(g, o, f, live, seen))
			goto out;
	}
	if (f >= 0 && !seen[f]) {
		ir_error(g, "no output of the stage depends on '%s'", g->t[f].name);
		goto out;
	}
	if (f >= 0) {
		/* FROM is the stage's only input */
		g->t[g->inputs[0]].is_input = false;
		g->t[f].is_input = true;
		g->t[f].producer = -1;
		g->inputs[0] = f;
	}
	if (t >= 0) {
		for (i = 0; i < g->noutputs; i++)
			g->t[g->outputs[i]].is_output = false;
		g->t[t].is_output = true;
		g->outputs[0] = t;
		g->noutputs = 1;
	}
	for (i = 0; i < g->nn; i++)
		if (!live[i])
			g->n[i].dead = true;
	ir_uses(g);
	ret = 0;
out:
	free(live);
	free(seen);
	return ret;
}
