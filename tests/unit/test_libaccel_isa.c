// SPDX-License-Identifier: MIT
/*
 * Host unit tests of libaccel's compute-ISA builders (device-less command
 * buffers): tensor helpers, the encoding of each command, and one test per
 * validation rule, each feeding a bad operand and expecting the documented
 * error with the stream left unchanged.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"

#include "accel.h"
#include "vnpu_device.h"

#define VA	0x100000ull	/* an ordinary device VA */
#define MB	(1ull << 20)

/* A packed tensor at @va; aborts the test on a helper failure. */
static struct accel_tensor T(uint64_t va, uint32_t dt, uint32_t rank,
			     uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3)
{
	uint32_t shape[4] = { d0, d1, d2, d3 };
	struct accel_tensor t;

	memset(&t, 0xa5, sizeof(t));
	if (accel_tensor_init(&t, va, dt, rank, shape))
		abort();
	return t;
}

/* Per-tensor quantisation. */
static struct accel_tensor Q(struct accel_tensor t, float scale, int32_t zp)
{
	t.qmode = ACCEL_QMODE_TENSOR;
	t.scale = scale;
	t.zero_point = zp;
	return t;
}

FIXTURE(isa) {
	struct accel_cmdbuf *cb;
};

FIXTURE_SETUP(isa)
{
	self->cb = NULL;
	ASSERT_EQ(0, accel_cmdbuf_new(NULL, &self->cb));
}

FIXTURE_TEARDOWN(isa)
{
	accel_cmdbuf_free(self->cb);
}

static size_t stream_size(struct accel_cmdbuf *cb)
{
	const void *d;
	size_t s;

	accel_cmdbuf_get_stream(cb, &d, &s);
	return s;
}

/* Expect @call to fail with @err and leave the stream untouched. */
#define REJECT(err, call) do {						\
	size_t _s0 = stream_size(self->cb);				\
	EXPECT_EQ(err, call);						\
	EXPECT_EQ(_s0, stream_size(self->cb));				\
} while (0)

/* The last command of the stream, as bytes. */
static const uint8_t *last_cmd(struct accel_cmdbuf *cb, size_t len)
{
	const void *d;
	size_t s;

	accel_cmdbuf_get_stream(cb, &d, &s);
	return (const uint8_t *)d + s - len;
}

/* ------------------------------------------------------------------ */
/* Tensor helpers                                                      */
/* ------------------------------------------------------------------ */

TEST(tensor_init)
{
	uint32_t shape[4] = { 2, 3, 4, 5 }, zero[2] = { 2, 0 };
	struct accel_tensor t;
	unsigned int sz;
	uint64_t span;

	ASSERT_EQ(0, accel_tensor_init(&t, VA, ACCEL_DT_F32, 4, shape));
	EXPECT_EQ(VA, t.va);
	EXPECT_EQ(60u, t.stride[0]);
	EXPECT_EQ(20u, t.stride[1]);
	EXPECT_EQ(5u, t.stride[2]);
	EXPECT_EQ(1u, t.stride[3]);
	EXPECT_EQ(ACCEL_QMODE_NONE, t.qmode);
	ASSERT_EQ(0, accel_tensor_get_span(&t, &span));
	EXPECT_EQ(120u * 4, span);
	ASSERT_EQ(0, accel_tensor_init(&t, VA, ACCEL_DT_I8, 2, shape));
	EXPECT_EQ(0u, t.shape[2]);
	EXPECT_EQ(0u, t.stride[2]);
	EXPECT_EQ(-EINVAL, accel_tensor_init(&t, VA, 0, 2, shape));
	EXPECT_EQ(-EINVAL, accel_tensor_init(&t, VA, 6, 2, shape));
	EXPECT_EQ(-EINVAL, accel_tensor_init(&t, VA, ACCEL_DT_F32, 0, shape));
	EXPECT_EQ(-EINVAL, accel_tensor_init(&t, VA, ACCEL_DT_F32, 5, shape));
	EXPECT_EQ(-EINVAL, accel_tensor_init(&t, VA, ACCEL_DT_F32, 2, zero));
	EXPECT_EQ(-EINVAL, accel_tensor_init(NULL, VA, ACCEL_DT_F32, 2, shape));
	EXPECT_EQ(-EINVAL, accel_tensor_init(&t, VA, ACCEL_DT_F32, 2, NULL));
	/* 2^26 F32 elements are 256 MiB: the limit. One more is too many. */
	shape[0] = 1u << 13; shape[1] = 1u << 13;
	EXPECT_EQ(0, accel_tensor_init(&t, VA, ACCEL_DT_F32, 2, shape));
	shape[1]++;
	EXPECT_EQ(-EINVAL, accel_tensor_init(&t, VA, ACCEL_DT_F32, 2, shape));
	EXPECT_EQ(0, accel_dtype_get_size(ACCEL_DT_BF16, &sz));
	EXPECT_EQ(2u, sz);
	EXPECT_EQ(-EINVAL, accel_dtype_get_size(0, &sz));
	EXPECT_EQ(-EINVAL, accel_dtype_get_size(ACCEL_DT_I8, NULL));
	EXPECT_EQ(-EINVAL, accel_tensor_get_span(NULL, &span));
}

/* ------------------------------------------------------------------ */
/* Synchronisation commands                                            */
/* ------------------------------------------------------------------ */

TEST_F(isa, barrier_and_sems)
{
	const struct vnpu_cmd_sem *s;

	ASSERT_EQ(0, accel_cmdbuf_barrier(self->cb));
	EXPECT_EQ(VNPU_OP_BARRIER,
		  ((const struct vnpu_cmd_hdr *)last_cmd(self->cb, 8))->opcode);
	ASSERT_EQ(0, accel_cmdbuf_sem_wait(self->cb, VA, ACCEL_SEM_GE, 7, 10));
	s = (const void *)last_cmd(self->cb, sizeof(*s));
	EXPECT_EQ(VNPU_OP_SEM_WAIT, s->hdr.opcode);
	EXPECT_EQ(sizeof(*s) / 8, s->hdr.len);
	EXPECT_EQ(VA, s->va);
	EXPECT_EQ(7u, s->value);
	EXPECT_EQ(VNPU_SEM_GE, s->op);
	EXPECT_EQ(10u, s->timeout_us);
	ASSERT_EQ(0, accel_cmdbuf_sem_signal(self->cb, VA + 4, ACCEL_SEM_ADD, 1));
	s = (const void *)last_cmd(self->cb, sizeof(*s));
	EXPECT_EQ(VNPU_OP_SEM_SIGNAL, s->hdr.opcode);
	EXPECT_EQ(0u, s->timeout_us);
	EXPECT_EQ(-EINVAL, accel_cmdbuf_barrier(NULL));
}

TEST_F(isa, sem_unaligned)
{
	REJECT(-EINVAL, accel_cmdbuf_sem_wait(self->cb, VA + 2, 0, 0, 0));
	REJECT(-EINVAL, accel_cmdbuf_sem_signal(self->cb, VA + 1, 0, 0));
}

TEST_F(isa, sem_bad_op)
{
	REJECT(-EINVAL, accel_cmdbuf_sem_wait(self->cb, VA, 2, 0, 0));
	REJECT(-EINVAL, accel_cmdbuf_sem_signal(self->cb, VA, 2, 0));
}

TEST_F(isa, sem_bad_timeout)
{
	REJECT(-EINVAL, accel_cmdbuf_sem_wait(self->cb, VA, 0, 0,
					      ACCEL_SEM_TIMEOUT_MAX_US + 1));
	EXPECT_EQ(0, accel_cmdbuf_sem_wait(self->cb, VA, 0, 0,
					   ACCEL_SEM_TIMEOUT_MAX_US));
}

TEST_F(isa, sem_null_address)
{
	REJECT(-EFAULT, accel_cmdbuf_sem_wait(self->cb, 0, 0, 0, 0));
}

/* ------------------------------------------------------------------ */
/* Tensor descriptor rules (through CAST, the simplest tensor command) */
/* ------------------------------------------------------------------ */

TEST_F(isa, cast_encoding)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 3, 4, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_I8, 2, 3, 4, 0, 0);
	const struct vnpu_cmd_convert *c;

	ASSERT_EQ(0, accel_cmdbuf_cast(self->cb, &out, &in));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_CAST, c->hdr.opcode);
	EXPECT_EQ(sizeof(*c) / 8, c->hdr.len);
	EXPECT_EQ(0u, c->hdr.flags);
	EXPECT_EQ(VA, c->in.va);
	EXPECT_EQ(VNPU_DT_F32, c->in.dtype);
	EXPECT_EQ(2, c->in.rank);
	EXPECT_EQ(3u, c->in.shape[0]);
	EXPECT_EQ(4u, c->in.stride[0]);
	EXPECT_EQ(VA + MB, c->out.va);
	EXPECT_EQ(VNPU_DT_I8, c->out.dtype);
	/* In place with the same element size. */
	out = T(VA, ACCEL_DT_I32, 2, 3, 4, 0, 0);
	EXPECT_EQ(0, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_missing)
{
	struct accel_tensor t = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &t, NULL));
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, NULL, &t));
	REJECT(-EINVAL, accel_cmdbuf_cast(NULL, &t, &t));
}

TEST_F(isa, tensor_rank_zero_required)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0), out;

	memset(&out, 0, sizeof(out));
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_rank_too_big)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 4, 1, 1, 1, 8);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 4, 1, 1, 1, 8);

	in.rank = 5;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_bad_dtype)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	in.dtype = 0;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	in.dtype = 6;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_zero_extent)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 2, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 2, 8, 0, 0);

	in.shape[0] = 0;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_fields_beyond_rank)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 2, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 2, 8, 0, 0);

	in.shape[2] = 1;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	in.shape[2] = 0;
	in.stride[3] = 1;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_reserved_field)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	in.pad = 1;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_unaligned)
{
	struct accel_tensor in = T(VA + 2, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	in.va = VA + 1;
	in.dtype = ACCEL_DT_BF16;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	in.dtype = ACCEL_DT_I8;	/* bytes may sit anywhere */
	EXPECT_EQ(0, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_too_large)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	/* A stride that makes the span exceed 256 MiB. */
	in.stride[0] = 1u << 26;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_null_va)
{
	struct accel_tensor in = T(0, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EFAULT, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_beyond_va_space)
{
	struct accel_tensor in = T((1ull << VNPU_VA_BITS) - 16, ACCEL_DT_F32, 1,
				   8, 0, 0, 0);
	struct accel_tensor out = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EFAULT, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_output_overlaps_itself)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 4, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 4, 4, 0, 0);

	out.stride[0] = 2;	/* rows overlap */
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	out.stride[0] = 0;	/* broadcast: fine for an input only */
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	in.stride[0] = 0;
	out.stride[0] = 4;
	EXPECT_EQ(0, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, tensor_output_overlaps_input)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 64, 0, 0, 0);
	struct accel_tensor out = T(VA + 16, ACCEL_DT_F32, 1, 64, 0, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	/* Same start, different element size: not exactly in place. */
	out = T(VA, ACCEL_DT_BF16, 1, 64, 0, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

/* Quantisation rules (through QUANTIZE and DEQUANTIZE). */

TEST_F(isa, quant_on_float)
{
	struct accel_tensor in = Q(T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0), 1, 0);
	struct accel_tensor out = Q(T(VA + MB, ACCEL_DT_I8, 1, 8, 0, 0, 0), 1, 0);

	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
}

TEST_F(isa, quant_bad_scale)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = Q(T(VA + MB, ACCEL_DT_I8, 1, 8, 0, 0, 0), 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.scale = -1;
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.scale = INFINITY;
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.scale = NAN;
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.scale = 0.5f;
	EXPECT_EQ(0, accel_cmdbuf_quantize(self->cb, &out, &in));
}

TEST_F(isa, quant_bad_zero_point)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = Q(T(VA + MB, ACCEL_DT_I8, 1, 8, 0, 0, 0), 1, 128);

	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.zero_point = -129;
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out = Q(T(VA + MB, ACCEL_DT_U8, 1, 8, 0, 0, 0), 1, -1);
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.zero_point = 255;
	EXPECT_EQ(0, accel_cmdbuf_quantize(self->cb, &out, &in));
	out = Q(T(VA + MB, ACCEL_DT_I32, 1, 8, 0, 0, 0), 1, 1);
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
}

TEST_F(isa, quant_none_with_parameters)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_I8, 1, 8, 0, 0, 0);

	in.scale = 1;		/* qmode NONE with a scale */
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	in.scale = 0;
	in.qparams_va = VA;
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
}

TEST_F(isa, quant_bad_mode)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = Q(T(VA + MB, ACCEL_DT_I8, 1, 8, 0, 0, 0), 1, 0);

	out.qmode = 3;
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
}

TEST_F(isa, quant_per_channel)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_I8, 2, 4, 8, 0, 0);

	out.qmode = ACCEL_QMODE_CHANNEL;
	out.qaxis = 1;
	out.qparams_va = VA + 2 * MB;
	EXPECT_EQ(0, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.qaxis = 2;		/* >= rank */
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.qaxis = 1;
	out.qparams_va = VA + 2 * MB + 2;	/* unaligned */
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.qparams_va = 0;
	REJECT(-EFAULT, accel_cmdbuf_quantize(self->cb, &out, &in));
	out.qparams_va = VA + 2 * MB;
	out.scale = 1;		/* per-tensor field in per-channel mode */
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
}

TEST_F(isa, quantize_dtypes)
{
	struct accel_tensor f = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor q = Q(T(VA + MB, ACCEL_DT_I8, 1, 8, 0, 0, 0), 1, 0);
	struct accel_tensor i = T(VA + MB, ACCEL_DT_I8, 1, 8, 0, 0, 0);
	struct accel_tensor f2 = T(VA + 2 * MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &i, &f)); /* no qmode */
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &f2, &f)); /* float out */
	REJECT(-EINVAL, accel_cmdbuf_dequantize(self->cb, &f2, &i)); /* no qmode */
	REJECT(-EINVAL, accel_cmdbuf_dequantize(self->cb, &q, &q)); /* int out */
	EXPECT_EQ(0, accel_cmdbuf_dequantize(self->cb, &f2, &q));
	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &f2, &q)); /* cast ignores quant */
}

TEST_F(isa, convert_shape_mismatch)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 8, 4, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_cast(self->cb, &out, &in));
	/* Right-aligned: [8] and [1, 8] are the same shape. */
	in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	out = T(VA + MB, ACCEL_DT_F32, 2, 1, 8, 0, 0);
	EXPECT_EQ(0, accel_cmdbuf_cast(self->cb, &out, &in));
}

/* ------------------------------------------------------------------ */
/* COPY_ND                                                             */
/* ------------------------------------------------------------------ */

TEST_F(isa, copy_nd)
{
	struct accel_tensor src = T(VA, ACCEL_DT_F32, 3, 2, 3, 4, 0);
	struct accel_tensor dst = T(VA + MB, ACCEL_DT_F32, 3, 4, 2, 3, 0);
	const uint8_t perm[4] = { 2, 0, 1, 0 }, bad[4] = { 2, 2, 1, 0 };
	const uint8_t beyond[4] = { 2, 0, 1, 3 };
	const struct vnpu_cmd_copy_nd *c;

	ASSERT_EQ(0, accel_cmdbuf_copy_nd(self->cb, &dst, &src, perm));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_COPY_ND, c->hdr.opcode);
	EXPECT_EQ(0, memcmp(c->perm, perm, 4));
	REJECT(-EINVAL, accel_cmdbuf_copy_nd(self->cb, &dst, &src, NULL)); /* shape */
	REJECT(-EINVAL, accel_cmdbuf_copy_nd(self->cb, &dst, &src, bad));
	REJECT(-EINVAL, accel_cmdbuf_copy_nd(self->cb, &dst, &src, beyond));
	dst = T(VA + MB, ACCEL_DT_F32, 3, 2, 3, 4, 0);
	EXPECT_EQ(0, accel_cmdbuf_copy_nd(self->cb, &dst, &src, NULL));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(1, c->perm[1]);
	EXPECT_EQ(2, c->perm[2]);
	EXPECT_EQ(0, c->perm[3]);
}

TEST_F(isa, copy_nd_mismatch)
{
	struct accel_tensor src = T(VA, ACCEL_DT_F32, 2, 2, 3, 0, 0);
	struct accel_tensor dst = T(VA + MB, ACCEL_DT_I32, 2, 2, 3, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_copy_nd(self->cb, &dst, &src, NULL)); /* dtype */
	dst = T(VA + MB, ACCEL_DT_F32, 3, 1, 2, 3, 0);
	REJECT(-EINVAL, accel_cmdbuf_copy_nd(self->cb, &dst, &src, NULL)); /* rank */
	src = Q(T(VA, ACCEL_DT_I8, 2, 2, 3, 0, 0), 1, 0);
	dst = T(VA + MB, ACCEL_DT_I8, 2, 2, 3, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_copy_nd(self->cb, &dst, &src, NULL)); /* quant */
	src = T(VA, ACCEL_DT_F32, 2, 2, 3, 0, 0);
	dst = T(VA + 4, ACCEL_DT_F32, 2, 2, 3, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_copy_nd(self->cb, &dst, &src, NULL)); /* alias */
}

/* ------------------------------------------------------------------ */
/* GEMM                                                                */
/* ------------------------------------------------------------------ */

FIXTURE(gemm) {
	struct accel_cmdbuf *cb;
	struct accel_tensor a, b, bias, out;
};

FIXTURE_SETUP(gemm)
{
	ASSERT_EQ(0, accel_cmdbuf_new(NULL, &self->cb));
	self->a = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);		/* M=4 K=8 */
	self->b = T(VA + MB, ACCEL_DT_F32, 2, 8, 16, 0, 0);	/* N=16 */
	self->bias = T(VA + 2 * MB, ACCEL_DT_F32, 1, 16, 0, 0, 0);
	self->out = T(VA + 3 * MB, ACCEL_DT_F32, 2, 4, 16, 0, 0);
}

FIXTURE_TEARDOWN(gemm)
{
	accel_cmdbuf_free(self->cb);
}

#define GEMM(act) accel_cmdbuf_gemm(self->cb, &self->out, &self->a, &self->b, \
				    &self->bias, act)

TEST_F(gemm, encoding)
{
	const struct vnpu_cmd_gemm *c;

	ASSERT_EQ(0, GEMM(ACCEL_ACT_RELU));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_GEMM, c->hdr.opcode);
	EXPECT_EQ(34, c->hdr.len);
	EXPECT_EQ(VA + MB, c->b.va);
	EXPECT_EQ(VA + 2 * MB, c->bias.va);
	EXPECT_EQ(VA + 3 * MB, c->out.va);
	EXPECT_EQ(VNPU_ACT_RELU, c->act);
	/* No bias: an all-zero descriptor. */
	ASSERT_EQ(0, accel_cmdbuf_gemm(self->cb, &self->out, &self->a, &self->b,
				       NULL, 0));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(0, c->bias.rank);
	EXPECT_EQ(0u, c->bias.va);
}

TEST_F(gemm, bad_act)
{
	REJECT(-EINVAL, GEMM(7));
}

TEST_F(gemm, rank_one)
{
	self->a = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, inner_dimension)
{
	self->b = T(VA + MB, ACCEL_DT_F32, 2, 7, 16, 0, 0);
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, output_shape)
{
	self->out = T(VA + 3 * MB, ACCEL_DT_F32, 2, 4, 15, 0, 0);
	REJECT(-EINVAL, GEMM(0));
	self->out = T(VA + 3 * MB, ACCEL_DT_F32, 2, 5, 16, 0, 0);
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, batch_broadcast)
{
	self->a = T(VA, ACCEL_DT_F32, 3, 3, 4, 8, 0);
	self->b = T(VA + MB, ACCEL_DT_F32, 3, 1, 8, 16, 0);
	self->out = T(VA + 3 * MB, ACCEL_DT_F32, 3, 3, 4, 16, 0);
	EXPECT_EQ(0, GEMM(0));
	self->b = T(VA + MB, ACCEL_DT_F32, 3, 2, 8, 16, 0);
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, bias_shape)
{
	self->bias = T(VA + 2 * MB, ACCEL_DT_F32, 1, 4, 0, 0, 0);
	REJECT(-EINVAL, GEMM(0));
	self->bias = T(VA + 2 * MB, ACCEL_DT_F32, 2, 1, 16, 0, 0);
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, float_dtypes)
{
	self->b.dtype = ACCEL_DT_BF16;
	REJECT(-EINVAL, GEMM(0));
	self->b.dtype = ACCEL_DT_F32;
	self->out.dtype = ACCEL_DT_BF16;
	REJECT(-EINVAL, GEMM(0));
	/* BF16 inputs, F32 bias, BF16 output: allowed. */
	self->a = T(VA, ACCEL_DT_BF16, 2, 4, 8, 0, 0);
	self->b = T(VA + MB, ACCEL_DT_BF16, 2, 8, 16, 0, 0);
	self->out = T(VA + 3 * MB, ACCEL_DT_BF16, 2, 4, 16, 0, 0);
	EXPECT_EQ(0, GEMM(0));
	self->bias.dtype = ACCEL_DT_I32;
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, int8)
{
	self->a = Q(T(VA, ACCEL_DT_I8, 2, 4, 8, 0, 0), 0.5f, 1);
	self->b = Q(T(VA + MB, ACCEL_DT_U8, 2, 8, 16, 0, 0), 0.25f, 128);
	self->bias = T(VA + 2 * MB, ACCEL_DT_I32, 1, 16, 0, 0, 0);
	self->out = Q(T(VA + 3 * MB, ACCEL_DT_I8, 2, 4, 16, 0, 0), 0.1f, 0);
	EXPECT_EQ(0, GEMM(ACCEL_ACT_RELU));
	/* Raw int32 output: no quantisation, no activation. */
	self->out = T(VA + 3 * MB, ACCEL_DT_I32, 2, 4, 16, 0, 0);
	EXPECT_EQ(0, GEMM(0));
	REJECT(-EINVAL, GEMM(ACCEL_ACT_RELU));
	self->out = Q(self->out, 1, 0);
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, int8_a_per_channel)
{
	/* Unquantised int8 counts as scale 1; per-channel a is refused. */
	self->a = T(VA, ACCEL_DT_I8, 2, 4, 8, 0, 0);
	self->b = Q(T(VA + MB, ACCEL_DT_I8, 2, 8, 16, 0, 0), 1, 0);
	self->bias = T(VA + 2 * MB, ACCEL_DT_I32, 1, 16, 0, 0, 0);
	self->out = Q(T(VA + 3 * MB, ACCEL_DT_I8, 2, 4, 16, 0, 0), 1, 0);
	EXPECT_EQ(0, GEMM(0));
	self->a.qmode = ACCEL_QMODE_CHANNEL;
	self->a.scale = 0;
	self->a.qparams_va = VA + 4 * MB;
	self->a.qaxis = 1;
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, int8_per_channel_axis)
{
	self->a = Q(T(VA, ACCEL_DT_I8, 2, 4, 8, 0, 0), 1, 0);
	self->b = T(VA + MB, ACCEL_DT_I8, 2, 8, 16, 0, 0);
	self->b.qmode = ACCEL_QMODE_CHANNEL;
	self->b.qaxis = 1;	/* N: allowed */
	self->b.qparams_va = VA + 4 * MB;
	self->bias = T(VA + 2 * MB, ACCEL_DT_I32, 1, 16, 0, 0, 0);
	self->out = Q(T(VA + 3 * MB, ACCEL_DT_I8, 2, 4, 16, 0, 0), 1, 0);
	EXPECT_EQ(0, GEMM(0));
	self->b.qaxis = 0;	/* K: not allowed */
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, int8_float_bias)
{
	self->a = Q(T(VA, ACCEL_DT_I8, 2, 4, 8, 0, 0), 1, 0);
	self->b = Q(T(VA + MB, ACCEL_DT_I8, 2, 8, 16, 0, 0), 1, 0);
	self->out = Q(T(VA + 3 * MB, ACCEL_DT_I8, 2, 4, 16, 0, 0), 1, 0);
	REJECT(-EINVAL, GEMM(0));	/* F32 bias */
}

TEST_F(gemm, output_aliases_input)
{
	self->out.va = self->b.va;
	REJECT(-EINVAL, GEMM(0));
}

/* ------------------------------------------------------------------ */
/* CONV2D                                                              */
/* ------------------------------------------------------------------ */

FIXTURE(conv) {
	struct accel_cmdbuf *cb;
	struct accel_tensor in, w, bias, out;
	struct accel_conv2d_params p;
};

FIXTURE_SETUP(conv)
{
	ASSERT_EQ(0, accel_cmdbuf_new(NULL, &self->cb));
	/* 1x8x8x4 input, 6 output channels, 3x3, stride 1, pad 1: 1x8x8x6. */
	self->in = T(VA, ACCEL_DT_F32, 4, 1, 8, 8, 4);
	self->w = T(VA + MB, ACCEL_DT_F32, 4, 6, 3, 3, 4);
	self->bias = T(VA + 2 * MB, ACCEL_DT_F32, 1, 6, 0, 0, 0);
	self->out = T(VA + 3 * MB, ACCEL_DT_F32, 4, 1, 8, 8, 6);
	memset(&self->p, 0, sizeof(self->p));
	self->p.stride_h = self->p.stride_w = 1;
	self->p.dil_h = self->p.dil_w = 1;
	self->p.pad_top = self->p.pad_bottom = 1;
	self->p.pad_left = self->p.pad_right = 1;
	self->p.groups = 1;
}

FIXTURE_TEARDOWN(conv)
{
	accel_cmdbuf_free(self->cb);
}

#define CONV() accel_cmdbuf_conv2d(self->cb, &self->out, &self->in, &self->w, \
				   &self->bias, &self->p)

TEST_F(conv, encoding)
{
	const struct vnpu_cmd_conv2d *c;

	ASSERT_EQ(0, CONV());
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_CONV2D, c->hdr.opcode);
	EXPECT_EQ(36, c->hdr.len);
	EXPECT_EQ(1, c->stride_h);
	EXPECT_EQ(1, c->pad_right);
	EXPECT_EQ(1u, c->groups);
	EXPECT_EQ(VA + MB, c->weight.va);
}

TEST_F(conv, null_params)
{
	REJECT(-EINVAL, accel_cmdbuf_conv2d(self->cb, &self->out, &self->in,
					    &self->w, NULL, NULL));
}

TEST_F(conv, zero_stride)
{
	self->p.stride_w = 0;
	REJECT(-EINVAL, CONV());
}

TEST_F(conv, zero_dilation)
{
	self->p.dil_h = 0;
	REJECT(-EINVAL, CONV());
}

TEST_F(conv, pad_too_large)
{
	self->p.pad_left = VNPU_CONV_MAX_PAD + 1;
	REJECT(-EINVAL, CONV());
}

TEST_F(conv, groups)
{
	self->p.groups = 0;
	REJECT(-EINVAL, CONV());
	self->p.groups = 3;	/* divides neither C = 4 nor ... */
	REJECT(-EINVAL, CONV());
	/* Depthwise: groups = C = OC = 4, weight [4, 3, 3, 1]. */
	self->p.groups = 4;
	self->w = T(VA + MB, ACCEL_DT_F32, 4, 4, 3, 3, 1);
	self->bias = T(VA + 2 * MB, ACCEL_DT_F32, 1, 4, 0, 0, 0);
	self->out = T(VA + 3 * MB, ACCEL_DT_F32, 4, 1, 8, 8, 4);
	EXPECT_EQ(0, CONV());
}

TEST_F(conv, weight_channels)
{
	self->w = T(VA + MB, ACCEL_DT_F32, 4, 6, 3, 3, 3);
	REJECT(-EINVAL, CONV());
}

TEST_F(conv, output_shape)
{
	self->p.stride_h = 2;	/* OH = (8 + 2 - 3) / 2 + 1 = 4 */
	REJECT(-EINVAL, CONV());
	self->out = T(VA + 3 * MB, ACCEL_DT_F32, 4, 1, 4, 8, 6);
	EXPECT_EQ(0, CONV());
}

TEST_F(conv, window_larger_than_input)
{
	self->p.pad_top = self->p.pad_bottom = 0;
	self->p.dil_h = 5;	/* window 11 rows > 8 */
	REJECT(-EINVAL, CONV());
}

TEST_F(conv, ranks)
{
	self->in = T(VA, ACCEL_DT_F32, 3, 8, 8, 4, 0);
	REJECT(-EINVAL, CONV());
}

TEST_F(conv, bias_shape)
{
	self->bias = T(VA + 2 * MB, ACCEL_DT_F32, 1, 4, 0, 0, 0);
	REJECT(-EINVAL, CONV());
}

TEST_F(conv, dtypes)
{
	self->w.dtype = ACCEL_DT_BF16;
	REJECT(-EINVAL, CONV());
}

/* ------------------------------------------------------------------ */
/* ELTWISE                                                             */
/* ------------------------------------------------------------------ */

TEST_F(isa, eltwise)
{
	struct accel_tensor a = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor b = T(VA + MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor o = T(VA + 2 * MB, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	const struct vnpu_cmd_eltwise *c;

	ASSERT_EQ(0, accel_cmdbuf_eltwise(self->cb, ACCEL_ELT_MUL, &o, &a, &b,
					  ACCEL_ACT_TANH));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_ELTWISE, c->hdr.opcode);
	EXPECT_EQ(26, c->hdr.len);
	EXPECT_EQ(VNPU_ELT_MUL, c->op);
	EXPECT_EQ(VNPU_ACT_TANH, c->act);
	/* In place. */
	EXPECT_EQ(0, accel_cmdbuf_eltwise(self->cb, ACCEL_ELT_ADD, &a, &a, &b, 0));
}

TEST_F(isa, eltwise_bad_op_act)
{
	struct accel_tensor a = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor o = T(VA + MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 6, &o, &a, &a, 0));
	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &a, 7));
}

TEST_F(isa, eltwise_broadcast)
{
	struct accel_tensor a = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor b = T(VA + MB, ACCEL_DT_F32, 1, 4, 0, 0, 0);
	struct accel_tensor o = T(VA + 2 * MB, ACCEL_DT_F32, 2, 4, 8, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &b, 0));
	b = T(VA + MB, ACCEL_DT_F32, 2, 4, 1, 0, 0);
	EXPECT_EQ(0, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &b, 0));
	/* The output does not broadcast. */
	o = T(VA + 2 * MB, ACCEL_DT_F32, 2, 4, 1, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &b, 0));
}

TEST_F(isa, eltwise_dtypes)
{
	struct accel_tensor a = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor b = T(VA + MB, ACCEL_DT_BF16, 1, 8, 0, 0, 0);
	struct accel_tensor o = T(VA + 2 * MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &b, 0));
	a = T(VA, ACCEL_DT_I32, 1, 8, 0, 0, 0);
	b = T(VA + MB, ACCEL_DT_I32, 1, 8, 0, 0, 0);
	o = T(VA + 2 * MB, ACCEL_DT_I32, 1, 8, 0, 0, 0);
	EXPECT_EQ(0, accel_cmdbuf_eltwise(self->cb, ACCEL_ELT_DIV, &o, &a, &b, 0));
	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &b,
					     ACCEL_ACT_RELU));
	/* I32 takes no quantisation. */
	b = Q(b, 1, 0);
	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &b, 0));
}

TEST_F(isa, eltwise_per_channel)
{
	struct accel_tensor a = T(VA, ACCEL_DT_I8, 1, 8, 0, 0, 0);
	struct accel_tensor o = Q(T(VA + 2 * MB, ACCEL_DT_I8, 1, 8, 0, 0, 0), 1, 0);

	a.qmode = ACCEL_QMODE_CHANNEL;
	a.qparams_va = VA + 4 * MB;
	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &a, 0));
}

TEST_F(isa, eltwise_partial_alias)
{
	struct accel_tensor a = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor o = T(VA + 4, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_eltwise(self->cb, 0, &o, &a, &a, 0));
}

/* ------------------------------------------------------------------ */
/* One-input ops                                                       */
/* ------------------------------------------------------------------ */

TEST_F(isa, activation)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	const struct vnpu_cmd_unary *c;

	ASSERT_EQ(0, accel_cmdbuf_activation(self->cb, &out, &in, ACCEL_ACT_GELU));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_ACTIVATION, c->hdr.opcode);
	EXPECT_EQ(18, c->hdr.len);
	EXPECT_EQ(VNPU_ACT_GELU, c->param);
	EXPECT_EQ(0, accel_cmdbuf_activation(self->cb, &in, &in, ACCEL_ACT_RELU));
	REJECT(-EINVAL, accel_cmdbuf_activation(self->cb, &out, &in, ACCEL_ACT_NONE));
	REJECT(-EINVAL, accel_cmdbuf_activation(self->cb, &out, &in, 7));
}

TEST_F(isa, activation_shape_and_dtype)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 8, 4, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_activation(self->cb, &out, &in, 1));
	out = T(VA + MB, ACCEL_DT_BF16, 2, 4, 8, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_activation(self->cb, &out, &in, 1));
	/* I32 is not an activation dtype. */
	in = T(VA, ACCEL_DT_I32, 2, 4, 8, 0, 0);
	out = T(VA + MB, ACCEL_DT_I32, 2, 4, 8, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_activation(self->cb, &out, &in, 1));
	/* Quantised I8 is. */
	in = Q(T(VA, ACCEL_DT_I8, 2, 4, 8, 0, 0), 0.1f, 3);
	out = Q(T(VA + MB, ACCEL_DT_I8, 2, 4, 8, 0, 0), 0.1f, 3);
	EXPECT_EQ(0, accel_cmdbuf_activation(self->cb, &out, &in, 1));
}

TEST_F(isa, softmax)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 4, 8, 0, 0);

	EXPECT_EQ(0, accel_cmdbuf_softmax(self->cb, &out, &in, 1));
	REJECT(-EINVAL, accel_cmdbuf_softmax(self->cb, &out, &in, 2));
	REJECT(-EINVAL, accel_cmdbuf_softmax(self->cb, &in, &in, 1)); /* in place */
}

TEST_F(isa, reduce)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 3, 2, 4, 8, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 3, 2, 1, 8, 0);
	const struct vnpu_cmd_unary *c;

	ASSERT_EQ(0, accel_cmdbuf_reduce(self->cb, &out, &in, ACCEL_RED_MEAN, 0x2));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_REDUCE, c->hdr.opcode);
	EXPECT_EQ(VNPU_RED_MEAN | (0x2 << VNPU_RED_AXES_SHIFT), c->param);
	REJECT(-EINVAL, accel_cmdbuf_reduce(self->cb, &out, &in, 3, 0x2));
	REJECT(-EINVAL, accel_cmdbuf_reduce(self->cb, &out, &in, 0, 0));
	REJECT(-EINVAL, accel_cmdbuf_reduce(self->cb, &out, &in, 0, 0x8));
	REJECT(-EINVAL, accel_cmdbuf_reduce(self->cb, &out, &in, 0, 0x1));
	out = T(VA + MB, ACCEL_DT_F32, 2, 2, 8, 0, 0);	/* rank dropped */
	REJECT(-EINVAL, accel_cmdbuf_reduce(self->cb, &out, &in, 0, 0x2));
}

TEST_F(isa, norms)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor g = T(VA + 2 * MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor bad = T(VA + 2 * MB, ACCEL_DT_F32, 1, 4, 0, 0, 0);
	const struct vnpu_cmd_norm *c;
	float eps;

	ASSERT_EQ(0, accel_cmdbuf_layernorm(self->cb, &out, &in, &g, NULL, 1e-5f));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_LAYERNORM, c->hdr.opcode);
	EXPECT_EQ(0, c->beta.rank);
	memcpy(&eps, &c->eps, 4);
	EXPECT_EQ(1e-5f, eps);
	EXPECT_EQ(0, accel_cmdbuf_rmsnorm(self->cb, &out, &in, NULL, NULL, 0));
	REJECT(-EINVAL, accel_cmdbuf_rmsnorm(self->cb, &out, &in, &bad, NULL, 0));
	REJECT(-EINVAL, accel_cmdbuf_rmsnorm(self->cb, &out, &in, NULL, NULL, -1));
	REJECT(-EINVAL, accel_cmdbuf_rmsnorm(self->cb, &out, &in, NULL, NULL, NAN));
	/* gamma/beta may be F32 or BF16 whatever the input. */
	in = T(VA, ACCEL_DT_BF16, 2, 4, 8, 0, 0);
	out = T(VA + MB, ACCEL_DT_BF16, 2, 4, 8, 0, 0);
	EXPECT_EQ(0, accel_cmdbuf_layernorm(self->cb, &out, &in, &g, &g, 0));
	g = T(VA + 2 * MB, ACCEL_DT_BF16, 1, 8, 0, 0, 0);
	EXPECT_EQ(0, accel_cmdbuf_layernorm(self->cb, &out, &in, &g, NULL, 0));
	g = T(VA + 2 * MB, ACCEL_DT_I32, 1, 8, 0, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_layernorm(self->cb, &out, &in, &g, NULL, 0));
}

TEST_F(isa, pool2d)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 4, 1, 8, 8, 3);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 4, 1, 4, 4, 3);
	struct accel_pool2d_params p = { .kernel_h = 2, .kernel_w = 2,
					 .stride_h = 2, .stride_w = 2,
					 .mode = ACCEL_POOL_MAX };
	const struct vnpu_cmd_pool2d *c;

	ASSERT_EQ(0, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
	c = (const void *)last_cmd(self->cb, sizeof(*c));
	EXPECT_EQ(VNPU_OP_POOL2D, c->hdr.opcode);
	EXPECT_EQ(20, c->hdr.len);
	EXPECT_EQ(2, c->kernel_w);
	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, NULL));
	p.pad_top = 2;		/* pad >= kernel */
	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
	p.pad_top = 0;
	p.stride_w = 0;
	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
	p.stride_w = 1;		/* OW = 7 */
	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
	p.mode = 4;
	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
}

TEST_F(isa, pool2d_global)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 4, 1, 8, 8, 3);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 4, 1, 1, 1, 3);
	struct accel_pool2d_params p = { .mode = ACCEL_POOL_GLOBAL_AVG };

	EXPECT_EQ(0, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
	p.kernel_h = 8;		/* kernel fields must be zero */
	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
	p.kernel_h = 0;
	out = T(VA + MB, ACCEL_DT_F32, 4, 1, 2, 1, 3);
	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
}

/* ------------------------------------------------------------------ */
/* Limits shared with the rest of the builder                          */
/* ------------------------------------------------------------------ */

TEST_F(isa, failed_command_keeps_count)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	unsigned int n0, n1, bos;

	ASSERT_EQ(0, accel_cmdbuf_get_count(self->cb, &n0));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_activation(self->cb, &in, &in, 0));
	ASSERT_EQ(0, accel_cmdbuf_get_count(self->cb, &n1));
	EXPECT_EQ(n0, n1);
	/* Device-less builders track no BOs. */
	EXPECT_EQ(0, accel_cmdbuf_activation(self->cb, &in, &in, 1));
	ASSERT_EQ(0, accel_cmdbuf_get_bo_count(self->cb, &bos));
	EXPECT_EQ(0u, bos);
}

/* ------------------------------------------------------------------ */
/* Remaining rules, one test each                                      */
/* ------------------------------------------------------------------ */

TEST_F(gemm, absent_operand_not_all_zero)
{
	memset(&self->bias, 0, sizeof(self->bias));
	self->bias.va = VA + 2 * MB;	/* rank 0 but a field set */
	REJECT(-EINVAL, GEMM(0));
	self->bias.va = 0;
	EXPECT_EQ(0, GEMM(0));
}

TEST_F(gemm, int8_output_float)
{
	self->a = Q(T(VA, ACCEL_DT_I8, 2, 4, 8, 0, 0), 1, 0);
	self->b = Q(T(VA + MB, ACCEL_DT_I8, 2, 8, 16, 0, 0), 1, 0);
	self->bias = T(VA + 2 * MB, ACCEL_DT_I32, 1, 16, 0, 0, 0);
	self->out = T(VA + 3 * MB, ACCEL_DT_I8, 2, 4, 16, 0, 0);
	EXPECT_EQ(0, GEMM(0));	/* unquantised int8 output: scale 1 */
	self->out = T(VA + 3 * MB, ACCEL_DT_F32, 2, 4, 16, 0, 0);
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, int8_output_per_channel_axis)
{
	self->a = Q(T(VA, ACCEL_DT_I8, 2, 4, 8, 0, 0), 1, 0);
	self->b = Q(T(VA + MB, ACCEL_DT_I8, 2, 8, 16, 0, 0), 1, 0);
	self->bias = T(VA + 2 * MB, ACCEL_DT_I32, 1, 16, 0, 0, 0);
	self->out = T(VA + 3 * MB, ACCEL_DT_I8, 2, 4, 16, 0, 0);
	self->out.qmode = ACCEL_QMODE_CHANNEL;
	self->out.qparams_va = VA + 4 * MB;
	self->out.qaxis = 1;	/* N */
	EXPECT_EQ(0, GEMM(0));
	self->out.qaxis = 0;	/* M */
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(gemm, int8_quantised_bias)
{
	self->a = Q(T(VA, ACCEL_DT_I8, 2, 4, 8, 0, 0), 1, 0);
	self->b = Q(T(VA + MB, ACCEL_DT_I8, 2, 8, 16, 0, 0), 1, 0);
	self->bias = Q(T(VA + 2 * MB, ACCEL_DT_I32, 1, 16, 0, 0, 0), 1, 0);
	self->out = Q(T(VA + 3 * MB, ACCEL_DT_I8, 2, 4, 16, 0, 0), 1, 0);
	REJECT(-EINVAL, GEMM(0));
}

TEST_F(isa, quant_too_many_channels)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 65537, 0, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_I8, 1, 65537, 0, 0, 0);

	out.qmode = ACCEL_QMODE_CHANNEL;
	out.qparams_va = VA + 2 * MB;
	REJECT(-EINVAL, accel_cmdbuf_quantize(self->cb, &out, &in));
	in.shape[0] = out.shape[0] = 65536;
	EXPECT_EQ(0, accel_cmdbuf_quantize(self->cb, &out, &in));
}

TEST_F(conv, int8_weight_per_channel_axis)
{
	self->in = Q(T(VA, ACCEL_DT_I8, 4, 1, 8, 8, 4), 1, 0);
	self->w = T(VA + MB, ACCEL_DT_I8, 4, 6, 3, 3, 4);
	self->w.qmode = ACCEL_QMODE_CHANNEL;
	self->w.qparams_va = VA + 4 * MB;
	self->bias = T(VA + 2 * MB, ACCEL_DT_I32, 1, 6, 0, 0, 0);
	self->out = Q(T(VA + 3 * MB, ACCEL_DT_I8, 4, 1, 8, 8, 6), 1, 0);
	EXPECT_EQ(0, CONV());	/* axis 0: OC */
	self->w.qaxis = 3;
	REJECT(-EINVAL, CONV());
}

TEST_F(isa, reduce_axes_beyond_four)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 4, 1, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_reduce(self->cb, &out, &in, 0, 0x12));
}

TEST_F(isa, norm_mismatches)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_BF16, 2, 4, 8, 0, 0);
	struct accel_tensor g = T(VA + 2 * MB, ACCEL_DT_F32, 2, 1, 8, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_layernorm(self->cb, &out, &in, NULL, NULL, 0));
	out = T(VA + MB, ACCEL_DT_F32, 2, 8, 4, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_layernorm(self->cb, &out, &in, NULL, NULL, 0));
	out = T(VA + MB, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_layernorm(self->cb, &out, &in, &g, NULL, 0));
	g = T(VA + 2 * MB, ACCEL_DT_I8, 1, 8, 0, 0, 0);
	REJECT(-EINVAL, accel_cmdbuf_layernorm(self->cb, &out, &in, NULL, &g, 0));
}

TEST_F(isa, pool2d_rank_and_dtype)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 3, 8, 8, 3, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 3, 4, 4, 3, 0);
	struct accel_pool2d_params p = { .kernel_h = 2, .kernel_w = 2,
					 .stride_h = 2, .stride_w = 2 };

	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
	in = T(VA, ACCEL_DT_I32, 4, 1, 8, 8, 3);
	out = T(VA + MB, ACCEL_DT_I32, 4, 1, 4, 4, 3);
	REJECT(-EINVAL, accel_cmdbuf_pool2d(self->cb, &out, &in, &p));
}

TEST_F(isa, dequantize_float_input)
{
	struct accel_tensor in = T(VA, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);

	REJECT(-EINVAL, accel_cmdbuf_dequantize(self->cb, &out, &in));
}

/* ------------------------------------------------------------------ */
/* Replaying an encoded stream                                         */
/* ------------------------------------------------------------------ */

/* One of every command, encoded by the builders. */
static void build_all(struct __test_metadata *_metadata,
		      struct accel_cmdbuf *cb)
{
	struct accel_tensor a = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_tensor b = T(VA + MB, ACCEL_DT_F32, 2, 8, 4, 0, 0);
	struct accel_tensor o = T(VA + 2 * MB, ACCEL_DT_F32, 2, 4, 4, 0, 0);
	struct accel_tensor x = T(VA + 3 * MB, ACCEL_DT_F32, 4, 1, 8, 8, 4);
	struct accel_tensor w = T(VA + 4 * MB, ACCEL_DT_F32, 4, 2, 3, 3, 4);
	struct accel_tensor y = T(VA + 5 * MB, ACCEL_DT_F32, 4, 1, 6, 6, 2);
	struct accel_tensor p = T(VA + 6 * MB, ACCEL_DT_F32, 4, 1, 4, 4, 4);
	struct accel_tensor r = T(VA + 7 * MB, ACCEL_DT_F32, 2, 4, 1, 0, 0);
	struct accel_tensor g = T(VA + 8 * MB, ACCEL_DT_F32, 1, 8, 0, 0, 0);
	struct accel_tensor q = Q(T(VA + 9 * MB, ACCEL_DT_I8, 2, 4, 8, 0, 0), 1, 0);
	struct accel_tensor c = T(VA + 10 * MB, ACCEL_DT_F32, 2, 4, 8, 0, 0);
	struct accel_conv2d_params cp = { 1, 1, 1, 1, 0, 0, 0, 0, 1, 0 };
	struct accel_pool2d_params pp = { 2, 2, 2, 2, 0, 0, 0, 0, ACCEL_POOL_AVG };
	const uint8_t perm[4] = { 1, 0, 0, 0 };

	ASSERT_EQ(0, accel_cmdbuf_nop(cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, VA, 64, 0x12345678));
	ASSERT_EQ(0, accel_cmdbuf_copy(cb, VA + MB, VA, 64));
	ASSERT_EQ(0, accel_cmdbuf_timestamp(cb, VA + 8));
	ASSERT_EQ(0, accel_cmdbuf_barrier(cb));
	ASSERT_EQ(0, accel_cmdbuf_sem_wait(cb, VA, ACCEL_SEM_GE, 3, 100));
	ASSERT_EQ(0, accel_cmdbuf_sem_signal(cb, VA, ACCEL_SEM_ADD, 1));
	ASSERT_EQ(0, accel_cmdbuf_copy_nd(cb, &b, &a, perm));
	ASSERT_EQ(0, accel_cmdbuf_gemm(cb, &o, &a, &b, NULL, ACCEL_ACT_RELU));
	ASSERT_EQ(0, accel_cmdbuf_conv2d(cb, &y, &x, &w, NULL, &cp));
	ASSERT_EQ(0, accel_cmdbuf_eltwise(cb, ACCEL_ELT_ADD, &c, &a, &a, 0));
	ASSERT_EQ(0, accel_cmdbuf_activation(cb, &c, &a, ACCEL_ACT_SILU));
	ASSERT_EQ(0, accel_cmdbuf_softmax(cb, &c, &a, 1));
	ASSERT_EQ(0, accel_cmdbuf_layernorm(cb, &c, &a, &g, &g, 1e-5f));
	ASSERT_EQ(0, accel_cmdbuf_rmsnorm(cb, &c, &a, NULL, NULL, 0));
	ASSERT_EQ(0, accel_cmdbuf_reduce(cb, &r, &a, ACCEL_RED_MAX, 0x2));
	ASSERT_EQ(0, accel_cmdbuf_pool2d(cb, &p, &x, &pp));
	ASSERT_EQ(0, accel_cmdbuf_quantize(cb, &q, &a));
	ASSERT_EQ(0, accel_cmdbuf_dequantize(cb, &c, &q));
	ASSERT_EQ(0, accel_cmdbuf_cast(cb, &c, &a));
}

TEST_F(isa, append_stream_round_trip)
{
	struct accel_cmdbuf *copy;
	const void *s1, *s2;
	size_t n1, n2;
	unsigned int c1, c2;

	build_all(_metadata, self->cb);
	ASSERT_EQ(0, accel_cmdbuf_get_stream(self->cb, &s1, &n1));
	accel_cmdbuf_get_count(self->cb, &c1);
	EXPECT_EQ(20u, c1);
	ASSERT_EQ(0, accel_cmdbuf_new(NULL, &copy));
	ASSERT_EQ(0, accel_cmdbuf_append_stream(copy, s1, n1, NULL));
	ASSERT_EQ(0, accel_cmdbuf_get_stream(copy, &s2, &n2));
	accel_cmdbuf_get_count(copy, &c2);
	EXPECT_EQ(n1, n2);
	EXPECT_EQ(c1, c2);
	EXPECT_EQ(0, memcmp(s1, s2, n1));
	/* Appending twice doubles it; an empty stream is fine. */
	ASSERT_EQ(0, accel_cmdbuf_append_stream(copy, s1, n1, NULL));
	accel_cmdbuf_get_count(copy, &c2);
	EXPECT_EQ(2 * c1, c2);
	EXPECT_EQ(0, accel_cmdbuf_append_stream(copy, NULL, 0, NULL));
	accel_cmdbuf_free(copy);
}

/* A mutable copy of a small valid stream: NOP, FILL, NOP. */
static size_t small_stream(uint64_t *w)
{
	struct accel_cmdbuf *cb;
	const void *d;
	size_t n;

	if (accel_cmdbuf_new(NULL, &cb) || accel_cmdbuf_nop(cb) ||
	    accel_cmdbuf_fill(cb, VA, 64, 1) || accel_cmdbuf_nop(cb))
		abort();
	accel_cmdbuf_get_stream(cb, &d, &n);
	memcpy(w, d, n);
	accel_cmdbuf_free(cb);
	return n;	/* 8 + 32 + 8 */
}

TEST_F(isa, append_stream_malformed)
{
	struct vnpu_cmd_hdr *h;
	uint64_t w[16] = { 0 };
	size_t n, bad = 999;

	EXPECT_EQ(-EINVAL, accel_cmdbuf_append_stream(NULL, w, 8, NULL));
	EXPECT_EQ(-EINVAL, accel_cmdbuf_append_stream(self->cb, NULL, 8, NULL));
	n = small_stream(w);
	REJECT(-EINVAL, accel_cmdbuf_append_stream(self->cb, w, n - 4, NULL));
	/* Truncated FILL. */
	REJECT(-EBADMSG, accel_cmdbuf_append_stream(self->cb, w, 24, &bad));
	EXPECT_EQ(8u, bad);
	/* Unknown opcode in the last command. */
	h = (void *)&w[5];
	h->opcode = VNPU_OP_COUNT;
	REJECT(-EBADMSG, accel_cmdbuf_append_stream(self->cb, w, n, &bad));
	EXPECT_EQ(40u, bad);
	n = small_stream(w);
	/* Length that does not match the opcode. */
	h = (void *)&w[1];
	h->len = 3;
	REJECT(-EBADMSG, accel_cmdbuf_append_stream(self->cb, w, n, NULL));
	n = small_stream(w);
	/* Header flags. */
	h = (void *)&w[0];
	h->flags = 1;
	REJECT(-EBADMSG, accel_cmdbuf_append_stream(self->cb, w, n, NULL));
	n = small_stream(w);
	/* Reserved field of the FILL. */
	{
		struct vnpu_cmd_fill f;

		memcpy(&f, &w[1], sizeof(f));
		f.rsvd = 1;
		memcpy(&w[1], &f, sizeof(f));
	}
	REJECT(-EBADMSG, accel_cmdbuf_append_stream(self->cb, w, n, NULL));
}

TEST_F(isa, append_stream_bad_fields)
{
	struct vnpu_cmd_sem sem;
	struct vnpu_cmd_unary red;
	struct accel_cmdbuf *cb;
	const void *d;
	size_t n;

	/* SEM_SIGNAL carries no timeout. */
	ASSERT_EQ(0, accel_cmdbuf_new(NULL, &cb));
	ASSERT_EQ(0, accel_cmdbuf_sem_signal(cb, VA, ACCEL_SEM_SET, 1));
	accel_cmdbuf_get_stream(cb, &d, &n);
	memcpy(&sem, d, sizeof(sem));
	sem.timeout_us = 5;
	REJECT(-EINVAL, accel_cmdbuf_append_stream(self->cb, &sem, sizeof(sem), NULL));
	sem.timeout_us = 0;
	sem.rsvd = 1;
	REJECT(-EBADMSG, accel_cmdbuf_append_stream(self->cb, &sem, sizeof(sem), NULL));
	accel_cmdbuf_free(cb);
	/* REDUCE's parameter has bits beyond op and axes. */
	{
		struct accel_tensor in = T(VA, ACCEL_DT_F32, 2, 4, 8, 0, 0);
		struct accel_tensor out = T(VA + MB, ACCEL_DT_F32, 2, 4, 1, 0, 0);

		ASSERT_EQ(0, accel_cmdbuf_new(NULL, &cb));
		ASSERT_EQ(0, accel_cmdbuf_reduce(cb, &out, &in, 0, 0x2));
		accel_cmdbuf_get_stream(cb, &d, &n);
		memcpy(&red, d, sizeof(red));
		EXPECT_EQ(0, accel_cmdbuf_append_stream(self->cb, &red, sizeof(red), NULL));
		red.param |= 1u << 20;
		REJECT(-EINVAL, accel_cmdbuf_append_stream(self->cb, &red, sizeof(red), NULL));
		accel_cmdbuf_free(cb);
	}
}

TEST_F(isa, append_stream_invalid_command_is_all_or_nothing)
{
	uint64_t w[16];
	size_t n, bad = 0;
	unsigned int c0, c1;

	ASSERT_EQ(0, accel_cmdbuf_nop(self->cb));
	accel_cmdbuf_get_count(self->cb, &c0);
	n = small_stream(w);
	/* A FILL at VA 0: refused by the builder, after a good NOP. */
	{
		struct vnpu_cmd_fill f;

		memcpy(&f, &w[1], sizeof(f));
		f.dst = 0;
		memcpy(&w[1], &f, sizeof(f));
	}
	REJECT(-EFAULT, accel_cmdbuf_append_stream(self->cb, w, n, &bad));
	EXPECT_EQ(8u, bad);
	accel_cmdbuf_get_count(self->cb, &c1);
	EXPECT_EQ(c0, c1);
}

TEST_F(isa, append_stream_random_bytes)
{
	uint64_t w[64], x = 88172645463325252ull;
	unsigned int i, j, ok = 0;
	size_t bad;
	int ret;

	/* Garbage never crashes and is all or nothing. */
	for (i = 0; i < 20000; i++) {
		unsigned int words = 1 + (unsigned int)(x % 64);
		struct vnpu_cmd_hdr h;

		for (j = 0; j < words; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w[j] = x;
		}
		/* Often a plausible header, so that decoding goes deeper. */
		if (i % 2) {
			h.opcode = (uint16_t)(w[0] % (VNPU_OP_COUNT + 1));
			h.len = (uint16_t)(w[0] >> 16) % 40;
			h.flags = (w[0] >> 32) % 4 ? 0 : 1;
			memcpy(&w[0], &h, sizeof(h));
		}
		bad = SIZE_MAX;
		ret = accel_cmdbuf_append_stream(self->cb, w, words * 8, &bad);
		if (!ret)
			ok++;
		else
			EXPECT_GT(words * 8, bad);
		accel_cmdbuf_reset(self->cb);
	}
	TH_LOG("%u of 20000 random streams were valid", ok);
}

TEST_HARNESS_MAIN
