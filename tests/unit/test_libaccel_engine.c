// SPDX-License-Identifier: MIT
/*
 * Differential test: libaccel's command builders against the device's
 * engine (qemu-device/engine, the code the emulated device runs).
 *
 * For every compute opcode, thousands of commands are generated from a
 * valid one by zero to three random mutations (dtypes, ranks, shapes,
 * strides, quantisation, alignment, aliasing, and the op's parameters).
 * Each is given to the builder, and encoded directly and run by the engine
 * on a flat, fully mapped memory. The builder must accept exactly the
 * commands the engine runs: a builder that refuses a command the device
 * would run, or accepts one the device would fail with BAD_TENSOR,
 * BAD_DTYPE, BAD_QUANT or BAD_CMD, is a bug. The seed is fixed, so a
 * failure reproduces; its command is printed.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "accel.h"
#include "vnpu_engine.h"

#define BASE	0x1000000ull		/* first VA of the arena */
#define ARENA	(48ull << 20)
#define REGION	(4ull << 20)		/* one operand per 4 MiB */
#define QP_VA	(BASE + 10 * REGION)	/* valid per-channel parameters */
#define CMD_VA	(BASE + 11 * REGION)
#define SAMPLES	10000

static uint8_t *arena;

static uint32_t map(void *opaque, uint64_t va, uint64_t len, unsigned access,
		    VnpuMapping *m)
{
	if (va < BASE || va >= BASE + ARENA)
		return VNPU_JOB_MMU_FAULT;
	m->host = arena + (va - BASE);
	m->len = len < BASE + ARENA - va ? len : BASE + ARENA - va;
	m->cookie = NULL;
	return VNPU_JOB_OK;
}

static void unmap(void *opaque, VnpuMapping *m, unsigned access, uint64_t done)
{
}

static uint64_t clock_ns(void *opaque)
{
	return 1;
}

static const VnpuMemOps ops = { .map = map, .unmap = unmap,
				.clock_ns = clock_ns };

/* Run one encoded command on the engine; returns its VNPU_JOB_* status. */
static uint32_t engine_run(const void *cmd, size_t len)
{
	VnpuJobResult res;

	memset(&res, 0, sizeof(res));
	memcpy(arena + (CMD_VA - BASE), cmd, len);
	vnpu_engine_run(&ops, NULL, CMD_VA, (uint32_t)len, &res);
	return res.status;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32) % n;
}

static struct accel_tensor T(unsigned int slot, uint32_t dt, uint32_t rank,
			     uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3)
{
	uint32_t shape[4] = { d0, d1, d2, d3 };
	struct accel_tensor t;

	if (accel_tensor_init(&t, BASE + slot * REGION, dt, rank, shape))
		abort();
	return t;
}

static struct accel_tensor Q(struct accel_tensor t, float scale, int32_t zp)
{
	t.qmode = ACCEL_QMODE_TENSOR;
	t.scale = scale;
	t.zero_point = zp;
	return t;
}

/* One random change to a tensor. */
static void mutate_tensor(struct accel_tensor *t, const struct accel_tensor *others,
			  unsigned int nothers)
{
	static const float scales[] = { 0, -1, 0.5f, NAN, 1, INFINITY };
	static const int32_t zps[] = { -200, -128, 0, 127, 255, 256 };
	unsigned int i = rnd(4);

	switch (rnd(12)) {
	case 0:
		t->dtype = (uint8_t)rnd(7);
		break;
	case 1:
		t->rank = (uint8_t)rnd(6);
		break;
	case 2:
		t->shape[i] = rnd(3) ? t->shape[i] + 1 : (t->shape[i] ? t->shape[i] - 1 : 0);
		break;
	case 3:
		t->stride[i] = rnd(2) ? 0 : t->stride[i] * rnd(3) + rnd(2);
		break;
	case 4:
		t->qmode = ACCEL_QMODE_TENSOR;
		t->scale = scales[rnd(6)];
		t->zero_point = zps[rnd(6)];
		break;
	case 5:
		t->qmode = ACCEL_QMODE_CHANNEL;
		t->scale = 0;
		t->zero_point = 0;
		t->qaxis = (uint8_t)rnd(4);
		t->qparams_va = rnd(4) ? QP_VA : QP_VA + 2;
		break;
	case 6:
		t->qmode = (uint8_t)rnd(4);
		break;
	case 7:
		t->va += 1 + rnd(2);
		break;
	case 8:
		if (nothers)
			t->va = others[rnd(nothers)].va + (rnd(2) ? 0 : 4);
		break;
	case 9:
		t->pad = 1;
		break;
	case 10:
		t->qaxis = (uint8_t)rnd(4);
		break;
	default:
		/* Reshape the tensor packed with a random extent. */
		if (t->rank >= 1 && t->rank <= 4) {
			uint32_t sh[4];

			memcpy(sh, t->shape, sizeof(sh));
			sh[i % t->rank] = 1 + rnd(5);
			accel_tensor_init(t, t->va, t->dtype ? t->dtype : 1, t->rank, sh);
		}
		break;
	}
}

static void dump_tensor(const char *name, const struct accel_tensor *t)
{
	fprintf(stderr, "#   %s: va=%#llx dt=%u rank=%u q=%u/%u/%g/%d sh=%u,%u,%u,%u st=%u,%u,%u,%u pad=%u qp=%#llx\n",
		name, (unsigned long long)t->va, t->dtype, t->rank, t->qmode,
		t->qaxis, t->scale, t->zero_point, t->shape[0], t->shape[1],
		t->shape[2], t->shape[3], t->stride[0], t->stride[1],
		t->stride[2], t->stride[3], t->pad,
		(unsigned long long)t->qparams_va);
}

/* Engine statuses that mean "the command is malformed". */
static bool rejected(uint32_t st)
{
	return st == VNPU_JOB_BAD_TENSOR || st == VNPU_JOB_BAD_DTYPE ||
	       st == VNPU_JOB_BAD_QUANT || st == VNPU_JOB_BAD_CMD;
}

struct tally {
	unsigned int agree_ok, agree_bad, skipped, mismatches;
};

/*
 * Compare one sample. The builder's -EFAULT (an address outside the
 * arena's VA space, never reached here) and the engine's MMU faults are
 * outside this comparison.
 */
static bool compare(struct __test_metadata *_metadata, struct tally *t,
		    const char *op, int built, uint32_t st,
		    const struct accel_tensor *ts, const char *const *names,
		    unsigned int n, const char *params)
{
	unsigned int i;

	if (st == VNPU_JOB_MMU_FAULT || built == -EFAULT || built == -E2BIG) {
		t->skipped++;
		return true;
	}
	if ((built == 0) == (st == VNPU_JOB_OK) &&
	    (built == 0 || rejected(st))) {
		if (built == 0)
			t->agree_ok++;
		else
			t->agree_bad++;
		return true;
	}
	t->mismatches++;
	if (t->mismatches <= 5) {
		fprintf(stderr, "# %s: builder %d (%s), engine status %u %s\n",
			op, built, accel_strerror(built), st, params);
		for (i = 0; i < n; i++)
			dump_tensor(names[i], &ts[i]);
	}
	return false;
}

FIXTURE(diff) {
	struct accel_cmdbuf *cb;
	struct tally t;
};

FIXTURE_SETUP(diff)
{
	unsigned int i;

	if (!arena) {
		arena = calloc(1, ARENA);
		ASSERT_NE(NULL, arena);
		/* Valid per-channel parameters: scale 0.5, zero point 0. */
		for (i = 0; i < 65536; i++) {
			float s = 0.5f;

			memcpy(arena + (QP_VA - BASE) + 8 * i, &s, 4);
		}
	}
	memset(&self->t, 0, sizeof(self->t));
	ASSERT_EQ(0, accel_cmdbuf_new(NULL, &self->cb));
}

FIXTURE_TEARDOWN(diff)
{
	accel_cmdbuf_free(self->cb);
	TH_LOG("agree: %u accepted, %u refused; %u skipped; %u mismatches",
	       self->t.agree_ok, self->t.agree_bad, self->t.skipped,
	       self->t.mismatches);
}

/* Mutate 0..3 of the @n tensors (never more than three changes). */
static void mutate_some(struct accel_tensor *ts, unsigned int n,
			unsigned int *param_changes)
{
	unsigned int k, changes = rnd(4);

	*param_changes = 0;
	for (k = 0; k < changes; k++) {
		unsigned int which = rnd(n + 1);

		if (which == n)
			(*param_changes)++;
		else
			mutate_tensor(&ts[which], ts, n);
	}
}

static void enc(struct vnpu_tensor *d, const struct accel_tensor *s)
{
	memcpy(d, s, sizeof(*d));
}

#define FINISH() do {							\
	EXPECT_EQ(0u, self->t.mismatches);				\
	EXPECT_LT(SAMPLES / 20, self->t.agree_ok);			\
	EXPECT_LT(SAMPLES / 20, self->t.agree_bad);			\
} while (0)

TEST_F(diff, gemm)
{
	static const char *const names[] = { "a", "b", "bias", "out" };
	unsigned int s, pc, kind;

	for (s = 0; s < SAMPLES; s++) {
		struct accel_tensor ts[4];
		struct vnpu_cmd_gemm c;
		uint32_t act = ACCEL_ACT_RELU, st;
		char params[64];
		int built;

		kind = rnd(3);
		if (kind == 0) {
			ts[0] = T(0, ACCEL_DT_F32, 2, 3, 5, 0, 0);
			ts[1] = T(1, ACCEL_DT_F32, 2, 5, 4, 0, 0);
			ts[2] = T(2, ACCEL_DT_F32, 1, 4, 0, 0, 0);
			ts[3] = T(3, ACCEL_DT_F32, 2, 3, 4, 0, 0);
		} else if (kind == 1) {
			ts[0] = T(0, ACCEL_DT_BF16, 3, 2, 3, 5, 0);
			ts[1] = T(1, ACCEL_DT_BF16, 3, 1, 5, 4, 0);
			ts[2] = T(2, ACCEL_DT_F32, 1, 4, 0, 0, 0);
			ts[3] = T(3, ACCEL_DT_BF16, 3, 2, 3, 4, 0);
		} else {
			ts[0] = Q(T(0, ACCEL_DT_I8, 2, 3, 5, 0, 0), 0.5f, 1);
			ts[1] = Q(T(1, ACCEL_DT_U8, 2, 5, 4, 0, 0), 0.25f, 128);
			ts[2] = T(2, ACCEL_DT_I32, 1, 4, 0, 0, 0);
			ts[3] = Q(T(3, ACCEL_DT_I8, 2, 3, 4, 0, 0), 0.1f, 0);
		}
		accel_cmdbuf_reset(self->cb);	/* never full */
		mutate_some(ts, 4, &pc);
		if (pc)
			act = rnd(9);
		if (!rnd(8))
			memset(&ts[2], 0, sizeof(ts[2]));	/* no bias */
		built = accel_cmdbuf_gemm(self->cb, &ts[3], &ts[0], &ts[1],
					  ts[2].rank || ts[2].va ? &ts[2] : NULL, act);
		memset(&c, 0, sizeof(c));
		c.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_GEMM, sizeof(c) / 8, 0 };
		enc(&c.a, &ts[0]);
		enc(&c.b, &ts[1]);
		enc(&c.bias, &ts[2]);
		enc(&c.out, &ts[3]);
		c.act = act;
		st = engine_run(&c, sizeof(c));
		snprintf(params, sizeof(params), "act=%u", act);
		compare(_metadata, &self->t, "gemm", built, st, ts, names, 4, params);
	}
	FINISH();
}

TEST_F(diff, conv2d)
{
	static const char *const names[] = { "in", "weight", "bias", "out" };
	unsigned int s, pc, kind;

	for (s = 0; s < SAMPLES; s++) {
		struct accel_conv2d_params p = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
		struct accel_tensor ts[4];
		struct vnpu_cmd_conv2d c;
		char params[160];
		uint32_t st;
		int built;

		kind = rnd(3);
		if (kind == 0) {
			ts[0] = T(0, ACCEL_DT_F32, 4, 1, 5, 5, 4);
			ts[1] = T(1, ACCEL_DT_F32, 4, 6, 3, 3, 4);
			ts[2] = T(2, ACCEL_DT_F32, 1, 6, 0, 0, 0);
			ts[3] = T(3, ACCEL_DT_F32, 4, 1, 5, 5, 6);
		} else if (kind == 1) {
			/* depthwise */
			p.groups = 4;
			ts[0] = T(0, ACCEL_DT_F32, 4, 1, 5, 5, 4);
			ts[1] = T(1, ACCEL_DT_F32, 4, 4, 3, 3, 1);
			ts[2] = T(2, ACCEL_DT_F32, 1, 4, 0, 0, 0);
			ts[3] = T(3, ACCEL_DT_F32, 4, 1, 5, 5, 4);
		} else {
			ts[0] = Q(T(0, ACCEL_DT_U8, 4, 1, 5, 5, 4), 0.5f, 3);
			ts[1] = T(1, ACCEL_DT_I8, 4, 6, 3, 3, 4);
			ts[1].qmode = ACCEL_QMODE_CHANNEL;
			ts[1].qparams_va = QP_VA;
			ts[2] = T(2, ACCEL_DT_I32, 1, 6, 0, 0, 0);
			ts[3] = Q(T(3, ACCEL_DT_U8, 4, 1, 5, 5, 6), 0.1f, 10);
		}
		accel_cmdbuf_reset(self->cb);	/* never full */
		mutate_some(ts, 4, &pc);
		while (pc--) {
			switch (rnd(6)) {
			case 0: p.stride_h = (uint16_t)rnd(3); break;
			case 1: p.dil_w = (uint16_t)rnd(3); break;
			case 2: p.pad_top = (uint16_t)(rnd(2) ? rnd(3) : 1025); break;
			case 3: p.groups = rnd(5); break;
			case 4: p.act = rnd(9); break;
			default: p.pad_right = (uint16_t)rnd(3); break;
			}
		}
		built = accel_cmdbuf_conv2d(self->cb, &ts[3], &ts[0], &ts[1],
					    ts[2].rank || ts[2].va ? &ts[2] : NULL, &p);
		memset(&c, 0, sizeof(c));
		c.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_CONV2D, sizeof(c) / 8, 0 };
		enc(&c.in, &ts[0]);
		enc(&c.weight, &ts[1]);
		enc(&c.bias, &ts[2]);
		enc(&c.out, &ts[3]);
		c.stride_h = p.stride_h;
		c.stride_w = p.stride_w;
		c.dil_h = p.dil_h;
		c.dil_w = p.dil_w;
		c.pad_top = p.pad_top;
		c.pad_bottom = p.pad_bottom;
		c.pad_left = p.pad_left;
		c.pad_right = p.pad_right;
		c.groups = p.groups;
		c.act = p.act;
		st = engine_run(&c, sizeof(c));
		snprintf(params, sizeof(params),
			 "stride %u/%u dil %u/%u pad %u/%u/%u/%u groups %u act %u",
			 p.stride_h, p.stride_w, p.dil_h, p.dil_w, p.pad_top,
			 p.pad_bottom, p.pad_left, p.pad_right, p.groups, p.act);
		compare(_metadata, &self->t, "conv2d", built, st, ts, names, 4, params);
	}
	FINISH();
}

TEST_F(diff, eltwise)
{
	static const char *const names[] = { "a", "b", "out" };
	unsigned int s, pc;

	for (s = 0; s < SAMPLES; s++) {
		static const uint32_t dts[] = { ACCEL_DT_F32, ACCEL_DT_BF16,
						ACCEL_DT_I8, ACCEL_DT_I32 };
		uint32_t dt = dts[rnd(4)], op = ACCEL_ELT_ADD + rnd(6), act = 0, st;
		struct accel_tensor ts[3];
		struct vnpu_cmd_eltwise c;
		char params[64];
		int built;

		ts[0] = T(0, dt, 2, 3, 4, 0, 0);
		ts[1] = T(1, dt, 1, 4, 0, 0, 0);
		ts[2] = T(2, dt, 2, 3, 4, 0, 0);
		if (dt == ACCEL_DT_I8) {
			ts[0] = Q(ts[0], 0.5f, 0);
			ts[2] = Q(ts[2], 0.25f, -3);
		}
		if (!rnd(6))
			ts[2] = ts[0];	/* in place */
		accel_cmdbuf_reset(self->cb);
		mutate_some(ts, 3, &pc);
		while (pc--) {
			if (rnd(2))
				op = rnd(7);
			else
				act = rnd(8);
		}
		built = accel_cmdbuf_eltwise(self->cb, op, &ts[2], &ts[0], &ts[1], act);
		memset(&c, 0, sizeof(c));
		c.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_ELTWISE, sizeof(c) / 8, 0 };
		enc(&c.a, &ts[0]);
		enc(&c.b, &ts[1]);
		enc(&c.out, &ts[2]);
		c.op = op;
		c.act = act;
		st = engine_run(&c, sizeof(c));
		snprintf(params, sizeof(params), "op=%u act=%u", op, act);
		compare(_metadata, &self->t, "eltwise", built, st, ts, names, 3, params);
	}
	FINISH();
}

/* ACTIVATION, SOFTMAX, REDUCE, QUANTIZE, DEQUANTIZE, CAST: in, out, param. */
TEST_F(diff, unary_and_convert)
{
	static const char *const names[] = { "in", "out" };
	static const uint16_t opcodes[] = {
		VNPU_OP_ACTIVATION, VNPU_OP_SOFTMAX, VNPU_OP_REDUCE,
		VNPU_OP_QUANTIZE, VNPU_OP_DEQUANTIZE, VNPU_OP_CAST,
	};
	unsigned int s, pc;

	for (s = 0; s < 2 * SAMPLES; s++) {
		uint16_t opc = opcodes[rnd(6)];
		struct accel_tensor ts[2];
		union {
			struct vnpu_cmd_unary u;
			struct vnpu_cmd_convert v;
		} c;
		uint32_t param = 0, axes = 0, st;
		char params[64];
		size_t len;
		int built;

		ts[0] = T(0, ACCEL_DT_F32, 3, 2, 3, 4, 0);
		ts[1] = T(1, ACCEL_DT_F32, 3, 2, 3, 4, 0);
		switch (opc) {
		case VNPU_OP_ACTIVATION:
			param = 1 + rnd(6);
			if (!rnd(4))
				ts[1] = ts[0];
			break;
		case VNPU_OP_SOFTMAX:
			param = rnd(3);
			break;
		case VNPU_OP_REDUCE:
			axes = 1u << rnd(3);
			param = rnd(3);
			ts[1].shape[__builtin_ctz(axes)] = 1;
			accel_tensor_init(&ts[1], ts[1].va, ACCEL_DT_F32, 3, ts[1].shape);
			break;
		case VNPU_OP_QUANTIZE:
			ts[1] = Q(T(1, ACCEL_DT_I8, 3, 2, 3, 4, 0), 0.5f, 1);
			break;
		case VNPU_OP_DEQUANTIZE:
			ts[0] = Q(T(0, ACCEL_DT_U8, 3, 2, 3, 4, 0), 0.5f, 1);
			break;
		case VNPU_OP_CAST:
			ts[1] = T(1, ACCEL_DT_I32, 3, 2, 3, 4, 0);
			break;
		}
		if (!rnd(3) && opc <= VNPU_OP_REDUCE) {
			/* The quantised int8 form of the same op. */
			ts[0] = Q(T(0, ACCEL_DT_I8, 3, 2, 3, 4, 0), 1, 0);
			ts[1].dtype = ACCEL_DT_I8;
			ts[1] = Q(ts[1], 0.5f, 2);
		}
		accel_cmdbuf_reset(self->cb);
		mutate_some(ts, 2, &pc);
		while (pc--) {
			param = rnd(2) ? rnd(8) : rnd(1u << 12);
			axes = (param >> 8) & 0xf;
		}
		switch (opc) {
		case VNPU_OP_ACTIVATION:
			built = accel_cmdbuf_activation(self->cb, &ts[1], &ts[0], param);
			break;
		case VNPU_OP_SOFTMAX:
			built = accel_cmdbuf_softmax(self->cb, &ts[1], &ts[0], param);
			break;
		case VNPU_OP_REDUCE:
			built = accel_cmdbuf_reduce(self->cb, &ts[1], &ts[0],
						    param & 0xff, axes);
			param = (param & 0xff) | (axes << 8);
			break;
		case VNPU_OP_QUANTIZE:
			built = accel_cmdbuf_quantize(self->cb, &ts[1], &ts[0]);
			break;
		case VNPU_OP_DEQUANTIZE:
			built = accel_cmdbuf_dequantize(self->cb, &ts[1], &ts[0]);
			break;
		default:
			built = accel_cmdbuf_cast(self->cb, &ts[1], &ts[0]);
			break;
		}
		memset(&c, 0, sizeof(c));
		if (opc >= VNPU_OP_QUANTIZE) {
			len = sizeof(c.v);
			c.v.hdr = (struct vnpu_cmd_hdr){ opc, len / 8, 0 };
			enc(&c.v.in, &ts[0]);
			enc(&c.v.out, &ts[1]);
		} else {
			len = sizeof(c.u);
			c.u.hdr = (struct vnpu_cmd_hdr){ opc, len / 8, 0 };
			enc(&c.u.in, &ts[0]);
			enc(&c.u.out, &ts[1]);
			c.u.param = param;
		}
		st = engine_run(&c, len);
		snprintf(params, sizeof(params), "opcode %u param %#x", opc, param);
		compare(_metadata, &self->t, "unary", built, st, ts, names, 2, params);
	}
	FINISH();
}

TEST_F(diff, norm_and_pool)
{
	static const char *const names[] = { "in", "gamma", "beta", "out" };
	unsigned int s, pc;

	for (s = 0; s < SAMPLES; s++) {
		struct accel_tensor ts[4];
		union {
			struct vnpu_cmd_norm n;
			struct vnpu_cmd_pool2d p;
		} c;
		char params[96];
		size_t len;
		uint32_t st;
		int built;

		memset(&c, 0, sizeof(c));
		if (rnd(2)) {
			float eps = 1e-5f;

			ts[0] = T(0, ACCEL_DT_F32, 2, 3, 8, 0, 0);
			ts[1] = T(1, rnd(2) ? ACCEL_DT_F32 : ACCEL_DT_BF16, 1, 8, 0, 0, 0);
			ts[2] = T(2, ACCEL_DT_F32, 1, 8, 0, 0, 0);
			ts[3] = T(3, ACCEL_DT_F32, 2, 3, 8, 0, 0);
			if (!rnd(3)) {
				ts[0] = Q(T(0, ACCEL_DT_I8, 2, 3, 8, 0, 0), 0.1f, 0);
				ts[3] = Q(T(3, ACCEL_DT_I8, 2, 3, 8, 0, 0), 0.1f, 0);
			}
			accel_cmdbuf_reset(self->cb);	/* never full */
		mutate_some(ts, 4, &pc);
			if (pc)
				eps = rnd(2) ? -1.0f : NAN;
			uint16_t opc = rnd(2) ? VNPU_OP_LAYERNORM : VNPU_OP_RMSNORM;

			built = (opc == VNPU_OP_LAYERNORM ? accel_cmdbuf_layernorm :
				 accel_cmdbuf_rmsnorm)(self->cb, &ts[3], &ts[0],
						       &ts[1], &ts[2], eps);
			len = sizeof(c.n);
			c.n.hdr = (struct vnpu_cmd_hdr){ opc, len / 8, 0 };
			enc(&c.n.in, &ts[0]);
			enc(&c.n.gamma, &ts[1]);
			enc(&c.n.beta, &ts[2]);
			enc(&c.n.out, &ts[3]);
			memcpy(&c.n.eps, &eps, 4);
			snprintf(params, sizeof(params), "norm eps %g", eps);
		} else {
			struct accel_pool2d_params p = { 2, 2, 2, 2, 0, 0, 0, 0,
							 ACCEL_POOL_MAX };

			ts[0] = T(0, ACCEL_DT_F32, 4, 1, 6, 6, 3);
			ts[3] = T(3, ACCEL_DT_F32, 4, 1, 3, 3, 3);
			memset(&ts[1], 0, sizeof(ts[1]));
			memset(&ts[2], 0, sizeof(ts[2]));
			if (!rnd(4)) {
				p = (struct accel_pool2d_params){ .mode = ACCEL_POOL_GLOBAL_AVG };
				ts[3] = T(3, ACCEL_DT_F32, 4, 1, 1, 1, 3);
			}
			{
				struct accel_tensor two[2] = { ts[0], ts[3] };

				accel_cmdbuf_reset(self->cb);
				mutate_some(two, 2, &pc);
				ts[0] = two[0];
				ts[3] = two[1];
			}
			while (pc--) {
				switch (rnd(5)) {
				case 0: p.kernel_h = (uint16_t)rnd(4); break;
				case 1: p.stride_w = (uint16_t)rnd(3); break;
				case 2: p.pad_top = (uint16_t)rnd(3); break;
				case 3: p.mode = rnd(5); break;
				default: p.pad_right = (uint16_t)rnd(2); break;
				}
			}
			built = accel_cmdbuf_pool2d(self->cb, &ts[3], &ts[0], &p);
			len = sizeof(c.p);
			c.p.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_POOL2D, len / 8, 0 };
			enc(&c.p.in, &ts[0]);
			enc(&c.p.out, &ts[3]);
			c.p.kernel_h = p.kernel_h;
			c.p.kernel_w = p.kernel_w;
			c.p.stride_h = p.stride_h;
			c.p.stride_w = p.stride_w;
			c.p.pad_top = p.pad_top;
			c.p.pad_bottom = p.pad_bottom;
			c.p.pad_left = p.pad_left;
			c.p.pad_right = p.pad_right;
			c.p.mode = p.mode;
			snprintf(params, sizeof(params),
				 "pool k %u/%u s %u/%u pad %u/%u/%u/%u mode %u",
				 p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
				 p.pad_top, p.pad_bottom, p.pad_left, p.pad_right,
				 p.mode);
		}
		st = engine_run(&c, len);
		compare(_metadata, &self->t, "norm/pool", built, st, ts, names, 4,
			params);
	}
	FINISH();
}

TEST_F(diff, copy_nd)
{
	static const char *const names[] = { "src", "dst" };
	unsigned int s, pc;

	for (s = 0; s < SAMPLES; s++) {
		uint8_t perm[4] = { 2, 0, 1, 0 };
		struct accel_tensor ts[2];
		struct vnpu_cmd_copy_nd c;
		char params[64];
		uint32_t st;
		int built;

		ts[0] = T(0, ACCEL_DT_BF16, 3, 2, 3, 4, 0);
		ts[1] = T(1, ACCEL_DT_BF16, 3, 4, 2, 3, 0);
		accel_cmdbuf_reset(self->cb);
		mutate_some(ts, 2, &pc);
		while (pc--)
			perm[rnd(4)] = (uint8_t)rnd(5);
		built = accel_cmdbuf_copy_nd(self->cb, &ts[1], &ts[0], perm);
		memset(&c, 0, sizeof(c));
		c.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_COPY_ND, sizeof(c) / 8, 0 };
		enc(&c.src, &ts[0]);
		enc(&c.dst, &ts[1]);
		memcpy(c.perm, perm, 4);
		st = engine_run(&c, sizeof(c));
		snprintf(params, sizeof(params), "perm %u %u %u %u", perm[0],
			 perm[1], perm[2], perm[3]);
		compare(_metadata, &self->t, "copy_nd", built, st, ts, names, 2, params);
	}
	FINISH();
}

/* FILL, COPY, TIMESTAMP and the semaphores (whose conditions hold). */
TEST_F(diff, transfers_and_semaphores)
{
	static const uint64_t offs[] = { 0, 1, 2, 4, 8, 4096 };
	static const uint64_t sizes[] = { 0, 1, 7, 64, 4096, (1ull << 32) + 1 };
	unsigned int s;

	for (s = 0; s < SAMPLES; s++) {
		uint64_t a = BASE + offs[rnd(6)], b = BASE + REGION + offs[rnd(6)];
		uint64_t size = sizes[rnd(5)];
		union {
			struct vnpu_cmd_fill f;
			struct vnpu_cmd_copy c;
			struct vnpu_cmd_timestamp t;
			struct vnpu_cmd_sem m;
		} c;
		uint32_t op = rnd(3), tmo = rnd(3) ? rnd(10) : ACCEL_SEM_TIMEOUT_MAX_US + 1;
		char params[96];
		size_t len = 0;
		uint32_t st;
		int built = 0, kind = rnd(5);

		if (!rnd(8))
			size = sizes[5];	/* beyond VNPU_XFER_MAX */
		if (!rnd(4))
			b = a + rnd(64);	/* overlapping copy */
		accel_cmdbuf_reset(self->cb);
		memset(&c, 0, sizeof(c));
		switch (kind) {
		case 0:
			built = accel_cmdbuf_fill(self->cb, a, size, 0x12345678);
			len = sizeof(c.f);
			c.f.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_FILL, len / 8, 0 };
			c.f.dst = a;
			c.f.size = size;
			c.f.pattern = 0x12345678;
			break;
		case 1:
			built = accel_cmdbuf_copy(self->cb, b, a, size);
			len = sizeof(c.c);
			c.c.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_COPY, len / 8, 0 };
			c.c.dst = b;
			c.c.src = a;
			c.c.size = size;
			break;
		case 2:
			built = accel_cmdbuf_timestamp(self->cb, a);
			len = sizeof(c.t);
			c.t.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_TIMESTAMP, len / 8, 0 };
			c.t.dst = a;
			break;
		case 3:
			/* The word is 0: EQ 0 and GE 0 hold at once. */
			built = accel_cmdbuf_sem_wait(self->cb, a, op, 0, tmo);
			len = sizeof(c.m);
			c.m.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_SEM_WAIT, len / 8, 0 };
			c.m.va = a;
			c.m.op = op;
			c.m.timeout_us = tmo;
			break;
		default:
			built = accel_cmdbuf_sem_signal(self->cb, a, op, 0);
			len = sizeof(c.m);
			c.m.hdr = (struct vnpu_cmd_hdr){ VNPU_OP_SEM_SIGNAL, len / 8, 0 };
			c.m.va = a;
			c.m.op = op;
			break;
		}
		/* Keep the semaphore word at zero for the next waits. */
		st = engine_run(&c, len);
		memset(arena, 0, 8192);
		snprintf(params, sizeof(params),
			 "kind %d a %#llx b %#llx size %#llx op %u tmo %u", kind,
			 (unsigned long long)a, (unsigned long long)b,
			 (unsigned long long)size, op, tmo);
		compare(_metadata, &self->t, "transfer", built, st, NULL, NULL, 0,
			params);
	}
	FINISH();
}

TEST_HARNESS_MAIN
