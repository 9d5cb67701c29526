// SPDX-License-Identifier: MIT
/*
 * Host unit tests of the vnpu compute ISA (qemu-device/engine) against the
 * straightforward references in ref_ops.c: every op and dtype, awkward
 * shapes (1x1, odd sizes, large strides, broadcast), every validation
 * error, faults, semaphores and aborts. Each test runs three times
 * (FIXTURE_VARIANT): with a device that maps whole tensors at once (the
 * zero-copy path), one that maps page by page, and one that maps 24-byte
 * chunks (both gather paths).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "vnpu_engine.h"
#include "ref_ops.h"

#define MEM_SIZE	(16u << 20)
#define VA0		0x100000000ull
#define CMD_AREA	(64u << 10)
#define PG		4096u

/* ---- Fake device memory ---- */

struct fake {
	uint8_t *mem;
	uint64_t brk;			/* allocator, offset into mem */
	uint64_t chunk;			/* 0: whole range; else max chunk */
	uint64_t deny_va, deny_len;	/* faulting range */
	unsigned int deny_access;	/* access bits that fault there */
	uint32_t deny_status;		/* status there (0: MMU_FAULT) */
	int abort_after;		/* should_abort true after N polls */
	int polls;
	int live;			/* maps not yet unmapped */
	uint32_t sem_after;		/* value stored at sem_va after polls */
	uint64_t sem_va;
	int sem_polls;
};

static uint32_t fk_map(void *opaque, uint64_t va, uint64_t len,
		       unsigned int access, VnpuMapping *m)
{
	struct fake *f = opaque;
	uint64_t off = va - VA0, n;

	if (va < VA0 || off >= MEM_SIZE)
		return VNPU_JOB_MMU_FAULT;
	if ((f->deny_access & access) && va >= f->deny_va &&
	    va < f->deny_va + f->deny_len)
		return f->deny_status ? f->deny_status : VNPU_JOB_MMU_FAULT;
	n = MEM_SIZE - off;
	if (f->chunk) {
		uint64_t lim = f->chunk - va % f->chunk;

		if (n > lim)
			n = lim;
	}
	if ((f->deny_access & access) && va < f->deny_va &&
	    f->deny_va - va < n)
		n = f->deny_va - va;
	if (n > len)
		n = len;
	if (f->sem_va && va == f->sem_va && ++f->sem_polls == 3)
		memcpy(f->mem + (f->sem_va - VA0), &f->sem_after, 4);
	m->host = f->mem + off;
	m->len = n;
	f->live++;
	return VNPU_JOB_OK;
}

static void fk_unmap(void *opaque, VnpuMapping *m, unsigned int access,
		     uint64_t done)
{
	struct fake *f = opaque;

	f->live--;
}

static uint64_t fk_clock(void *opaque)
{
	return 12345;
}

static bool fk_abort(void *opaque)
{
	struct fake *f = opaque;

	return f->abort_after >= 0 && ++f->polls > f->abort_after;
}

static const VnpuMemOps fk_ops = {
	.map = fk_map,
	.unmap = fk_unmap,
	.clock_ns = fk_clock,
	.should_abort = fk_abort,
};

static uint64_t fk_alloc(struct fake *f, uint64_t bytes)
{
	uint64_t va = VA0 + f->brk;

	f->brk += (bytes + 63) & ~63ull;
	if (f->brk > MEM_SIZE)
		abort();
	return va;
}

static uint8_t *hp(struct fake *f, uint64_t va)
{
	return f->mem + (va - VA0);
}

/* ---- Tensors ---- */

struct tt {
	uint64_t va;
	unsigned int dt, rank, qmode, qaxis;
	uint32_t shape[4], stride[4];
	float scale;
	int32_t zp;
	uint64_t qva;
	/* per-channel parameters (host copies) */
	float cs[64];
	int32_t cz[64];
};

static unsigned int esz(unsigned int dt)
{
	return dt == VNPU_DT_F32 || dt == VNPU_DT_I32 ? 4 :
	       dt == VNPU_DT_BF16 ? 2 : 1;
}

static uint64_t t_elems(const struct tt *t)
{
	uint64_t n = 1;

	for (unsigned int i = 0; i < t->rank; i++)
		n *= t->shape[i];
	return n;
}

static uint64_t t_span(const struct tt *t)
{
	uint64_t last = 0;

	for (unsigned int i = 0; i < t->rank; i++)
		last += (uint64_t)(t->shape[i] - 1) * t->stride[i];
	return (last + 1) * esz(t->dt);
}

/*
 * A tensor of @rank dims @shape; strides are dense row-major times @pad
 * for the outermost-but-innermost dims (pad 1 = dense) when @stride is
 * NULL. Memory is allocated and filled with 0x5a.
 */
static struct tt mk(struct fake *f, unsigned int dt, unsigned int rank,
		    const uint32_t *shape, const uint32_t *stride)
{
	struct tt t = { .dt = dt, .rank = rank, .scale = 1 };
	uint32_t s = 1;

	for (int i = rank - 1; i >= 0; i--) {
		t.shape[i] = shape[i];
		t.stride[i] = stride ? stride[i] : s;
		s *= shape[i];
	}
	t.va = fk_alloc(f, t_span(&t));
	memset(hp(f, t.va), 0x5a, t_span(&t));
	return t;
}

static void quant(struct tt *t, float scale, int32_t zp)
{
	t->qmode = VNPU_QMODE_TENSOR;
	t->scale = scale;
	t->zp = zp;
}

/* Per-channel parameters on @axis: scale_i = base * (1 + i / 8). */
static void quant_ch(struct fake *f, struct tt *t, unsigned int axis,
		     float base, int32_t zp0)
{
	uint32_t n = t->shape[axis];

	t->qmode = VNPU_QMODE_CHANNEL;
	t->qaxis = axis;
	t->qva = fk_alloc(f, 8 * n);
	for (uint32_t i = 0; i < n; i++) {
		t->cs[i] = base * (1 + i / 8.0f);
		t->cz[i] = zp0 + (int32_t)(i % 3) - 1;
		memcpy(hp(f, t->qva + 8 * i), &t->cs[i], 4);
		memcpy(hp(f, t->qva + 8 * i + 4), &t->cz[i], 4);
	}
}

static void enc(uint8_t *raw, const struct tt *t)
{
	memset(raw, 0, 64);
	if (!t)
		return;
	memcpy(raw, &t->va, 8);
	raw[8] = t->dt;
	raw[9] = t->rank;
	raw[10] = t->qmode;
	raw[11] = t->qaxis;
	for (unsigned int i = 0; i < t->rank; i++) {
		memcpy(raw + 16 + 4 * i, &t->shape[i], 4);
		memcpy(raw + 32 + 4 * i, &t->stride[i], 4);
	}
	if (t->qmode == VNPU_QMODE_TENSOR) {
		memcpy(raw + 48, &t->scale, 4);
		memcpy(raw + 52, &t->zp, 4);
	}
	if (t->qmode == VNPU_QMODE_CHANNEL)
		memcpy(raw + 56, &t->qva, 8);
}

/* Element @lin (row-major over the logical shape). */
static uint8_t *t_at(struct fake *f, const struct tt *t, uint64_t lin,
		     uint32_t *idx)
{
	uint64_t off = 0;

	for (int i = t->rank - 1; i >= 0; i--) {
		uint32_t k = lin % t->shape[i];

		lin /= t->shape[i];
		if (idx)
			idx[i] = k;
		off += (uint64_t)k * t->stride[i];
	}
	return hp(f, t->va) + off * esz(t->dt);
}

/* Raw value: float value for F32/BF16, the integer otherwise. */
static double rawget(const struct tt *t, const uint8_t *p)
{
	float x;
	uint32_t u = 0;

	switch (t->dt) {
	case VNPU_DT_F32:
		memcpy(&x, p, 4);
		return x;
	case VNPU_DT_BF16:
		u = (uint32_t)(p[0] | p[1] << 8) << 16;
		memcpy(&x, &u, 4);
		return x;
	case VNPU_DT_I8:
		return (int8_t)p[0];
	case VNPU_DT_U8:
		return p[0];
	default:
		memcpy(&u, p, 4);
		return (int32_t)u;
	}
}

/* Store @v, which the test made representable (bf16: rounded). */
static void rawput(const struct tt *t, uint8_t *p, double v)
{
	float x = (float)v;
	uint32_t u;
	int32_t i = (int32_t)v;

	switch (t->dt) {
	case VNPU_DT_F32:
		memcpy(p, &x, 4);
		break;
	case VNPU_DT_BF16:
		x = (float)ref_bf16(v);
		memcpy(&u, &x, 4);
		p[0] = u >> 16;
		p[1] = u >> 24;
		break;
	case VNPU_DT_I8:
	case VNPU_DT_U8:
		p[0] = (uint8_t)i;
		break;
	default:
		memcpy(p, &i, 4);
		break;
	}
}

static uint32_t rng_state = 1;

static uint32_t rnd(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Uniform in [-1, 1). */
static double frnd(void)
{
	return (rnd() % 20000) / 10000.0 - 1.0;
}

/* Fill @t with random values: reals in [-1, 1), or integers in range. */
static void fill_rand(struct fake *f, const struct tt *t)
{
	for (uint64_t i = 0; i < t_elems(t); i++) {
		double v;

		switch (t->dt) {
		case VNPU_DT_I8:
			v = (int)(rnd() % 256) - 128;
			break;
		case VNPU_DT_U8:
			v = rnd() % 256;
			break;
		case VNPU_DT_I32:
			v = (int)(rnd() % 2001) - 1000;
			break;
		default:
			v = frnd();
			break;
		}
		rawput(t, t_at(f, t, i, NULL), v);
	}
}

/* Dense copy of the raw values of @t (logical order). */
static double *dense(struct fake *f, const struct tt *t)
{
	double *d = malloc(t_elems(t) * sizeof(double));

	for (uint64_t i = 0; i < t_elems(t); i++)
		d[i] = rawget(t, t_at(f, t, i, NULL));
	return d;
}

/* Channel of element @lin for a per-channel tensor. */
static unsigned int t_ch(const struct tt *t, uint64_t lin)
{
	uint32_t idx[4];

	if (t->qmode != VNPU_QMODE_CHANNEL)
		return 0;
	for (int i = t->rank - 1; i >= 0; i--) {
		idx[i] = lin % t->shape[i];
		lin /= t->shape[i];
	}
	return idx[t->qaxis];
}

static float t_scale(const struct tt *t, unsigned int ch)
{
	return t->qmode == VNPU_QMODE_CHANNEL ? t->cs[ch] : t->scale;
}

static int32_t t_zp(const struct tt *t, unsigned int ch)
{
	return t->qmode == VNPU_QMODE_CHANNEL ? t->cz[ch] : t->zp;
}

/* Dense real values: dequantised like the spec says. */
static double *dense_real(struct fake *f, const struct tt *t)
{
	double *d = dense(f, t);

	if (t->dt == VNPU_DT_F32 || t->dt == VNPU_DT_BF16)
		return d;
	for (uint64_t i = 0; i < t_elems(t); i++) {
		unsigned int c = t_ch(t, i);

		d[i] = (double)t_scale(t, c) * (d[i] - t_zp(t, c));
	}
	return d;
}

static void irange(unsigned int dt, double *lo, double *hi)
{
	*lo = dt == VNPU_DT_I8 ? -128 : dt == VNPU_DT_U8 ? 0 : -2147483648.0;
	*hi = dt == VNPU_DT_I8 ? 127 : dt == VNPU_DT_U8 ? 255 : 2147483647.0;
}

/* Expected stored value of real @v in @t (channel @c). */
static double expect_store(const struct tt *t, double v, unsigned int c)
{
	double lo, hi;

	if (t->dt == VNPU_DT_F32)
		return (float)v;
	if (t->dt == VNPU_DT_BF16)
		return ref_bf16(v);
	irange(t->dt, &lo, &hi);
	return ref_round_sat(v / (double)t_scale(t, c), t_zp(t, c), lo, hi);
}

/* ---- Command buffers ---- */

struct cb {
	uint8_t b[4096];
	size_t n;
};

static void c_hdr(struct cb *c, unsigned int op)
{
	uint16_t w = vnpu_cmd_words(op);

	memset(c->b + c->n, 0, w * 8);
	memcpy(c->b + c->n, &op, 2);
	memcpy(c->b + c->n + 2, &w, 2);
	c->n += 8;
}

static void c_t(struct cb *c, const struct tt *t)
{
	enc(c->b + c->n, t);
	c->n += 64;
}

static void c_u32(struct cb *c, uint32_t v)
{
	memcpy(c->b + c->n, &v, 4);
	c->n += 4;
}

static void c_u16(struct cb *c, uint16_t v)
{
	memcpy(c->b + c->n, &v, 2);
	c->n += 2;
}

static void c_u64(struct cb *c, uint64_t v)
{
	memcpy(c->b + c->n, &v, 8);
	c->n += 8;
}

/* Run the buffer; returns the status. */
static uint32_t run(struct fake *f, struct cb *c, VnpuJobResult *r)
{
	memcpy(f->mem, c->b, c->n);
	vnpu_engine_run(&fk_ops, f, VA0, c->n, r);
	return r->status;
}

/* ---- Fixture ---- */

FIXTURE(ops) {
	struct fake f;
	VnpuJobResult r;
	struct cb c;
};

FIXTURE_VARIANT(ops) {
	uint64_t chunk;
};

FIXTURE_VARIANT_ADD(ops, zero_copy) { .chunk = 0 };
FIXTURE_VARIANT_ADD(ops, paged) { .chunk = PG };
FIXTURE_VARIANT_ADD(ops, tiny_chunks) { .chunk = 24 };

FIXTURE_SETUP(ops)
{
	self->f.mem = calloc(1, MEM_SIZE);
	ASSERT_NE(NULL, self->f.mem);
	self->f.brk = CMD_AREA;
	self->f.chunk = variant->chunk;
	self->f.abort_after = -1;
	self->c.n = 0;
	rng_state = 7;
}

FIXTURE_TEARDOWN(ops)
{
	EXPECT_EQ(0, self->f.live);
	free(self->f.mem);
}

#define F (&self->f)
#define C (&self->c)
#define R (&self->r)

/* |got - want| <= tol * max(1, |bound|). */
static int close_to(double got, double want, double bound, double tol)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	return fabs(got - want) <= tol * fmax(1.0, fabs(bound));
}

static double tol_of(unsigned int dt)
{
	return dt == VNPU_DT_BF16 ? 1e-2 : 1e-5;
}

static void cmd_pool(struct cb *c, const struct tt *in, const struct tt *out,
		     const uint16_t p[8], unsigned int mode);
static void cmd_elt(struct cb *c, const struct tt *a, const struct tt *b,
		    const struct tt *out, unsigned int op, unsigned int act);
static void cmd_unary(struct cb *c, unsigned int op, const struct tt *in,
		      const struct tt *out, uint32_t param);
static void cmd_conv_t(struct cb *c, unsigned int op, const struct tt *in,
		       const struct tt *out);
static void cmd_norm(struct cb *c, unsigned int op, const struct tt *in,
		     const struct tt *g, const struct tt *b,
		     const struct tt *out, float eps);

/* ---- COPY_ND ---- */

static void cmd_copy_nd(struct cb *c, const struct tt *s, const struct tt *d,
			const uint8_t perm[4])
{
	c_hdr(c, VNPU_OP_COPY_ND);
	c_t(c, s);
	c_t(c, d);
	memcpy(c->b + c->n, perm, 4);
	c->n += 8;
}

TEST_F(ops, copy_nd_transpose_permute_gather)
{
	static const struct {
		unsigned int dt, rank;
		uint32_t shape[4], sstride[4];
		uint8_t perm[4];
	} cases[] = {
		{ VNPU_DT_F32, 2, { 5, 7 }, { 7, 1 }, { 1, 0 } },
		{ VNPU_DT_I8, 2, { 1, 1 }, { 1, 1 }, { 0, 1 } },
		{ VNPU_DT_BF16, 3, { 3, 4, 5 }, { 20, 5, 1 }, { 2, 0, 1 } },
		{ VNPU_DT_I32, 4, { 2, 3, 4, 5 }, { 60, 20, 5, 1 },
		  { 3, 1, 0, 2 } },
		/* gather: every 3rd row, large strides */
		{ VNPU_DT_F32, 2, { 4, 3 }, { 3000, 7 }, { 0, 1 } },
		{ VNPU_DT_U8, 1, { 33 }, { 5 }, { 0 } },
		/* broadcast a row with stride 0 */
		{ VNPU_DT_F32, 2, { 6, 5 }, { 0, 1 }, { 0, 1 } },
	};

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		uint32_t dshape[4];
		struct tt s, d;
		double *sv, *dv;
		uint32_t idx[4], j[4];

		for (unsigned int i = 0; i < cases[k].rank; i++)
			dshape[i] = cases[k].shape[cases[k].perm[i]];
		s = mk(F, cases[k].dt, cases[k].rank, cases[k].shape,
		       cases[k].sstride);
		d = mk(F, cases[k].dt, cases[k].rank, dshape, NULL);
		fill_rand(F, &s);
		C->n = 0;
		cmd_copy_nd(C, &s, &d, cases[k].perm);
		ASSERT_EQ(VNPU_JOB_OK, run(F, C, R)) TH_LOG("case %zu", k);
		EXPECT_EQ(t_elems(&d) * esz(d.dt), R->bytes);
		sv = dense(F, &s);
		dv = dense(F, &d);
		for (uint64_t i = 0; i < t_elems(&d); i++) {
			uint64_t lin = 0;

			t_at(F, &d, i, idx);
			for (unsigned int q = 0; q < d.rank; q++)
				j[cases[k].perm[q]] = idx[q];
			for (unsigned int q = 0; q < d.rank; q++)
				lin = lin * s.shape[q] + j[q];
			ASSERT_EQ(sv[lin], dv[i]) TH_LOG("case %zu el %lu", k,
							 (unsigned long)i);
		}
		free(sv);
		free(dv);
	}
}

TEST_F(ops, copy_nd_strided_dst_keeps_gaps)
{
	uint32_t shape[2] = { 3, 4 }, dst_stride[2] = { 10, 2 };
	struct tt s = mk(F, VNPU_DT_I8, 2, shape, NULL);
	struct tt d = mk(F, VNPU_DT_I8, 2, shape, dst_stride);
	static const uint8_t id[4] = { 0, 1, 0, 0 };

	fill_rand(F, &s);
	cmd_copy_nd(C, &s, &d, id);
	ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
	for (unsigned int i = 0; i < t_span(&d); i++) {
		unsigned int r = i / 10, col = i % 10;

		if (r < 3 && col < 8 && !(col & 1)) {
			EXPECT_EQ(*t_at(F, &s, r * 4 + col / 2, NULL),
				  hp(F, d.va)[i]);
		} else {
			EXPECT_EQ(0x5a, hp(F, d.va)[i]) TH_LOG("gap %u", i);
		}
	}
}

TEST_F(ops, copy_nd_errors)
{
	uint32_t sh[2] = { 4, 6 }, sh_t[2] = { 6, 4 }, ovl[2] = { 1, 1 };
	struct tt s = mk(F, VNPU_DT_F32, 2, sh, NULL);
	struct tt d = mk(F, VNPU_DT_F32, 2, sh_t, NULL);
	struct tt d8 = mk(F, VNPU_DT_I8, 2, sh_t, NULL);
	struct tt dover = d, dalias = d, sq = s, d1;
	static const uint8_t tr[4] = { 1, 0 }, dup[4] = { 1, 1 },
		big[4] = { 2, 0 }, extra[4] = { 1, 0, 1 }, id[4] = { 0, 1 };
	uint32_t sh1[1] = { 24 };

	dover.stride[0] = 1;
	dover.stride[1] = 1;
	(void)ovl;
	dalias.va = s.va + 8;
	quant(&sq, 0.5f, 0);
	sq.dt = VNPU_DT_I8;
	d1 = mk(F, VNPU_DT_F32, 1, sh1, NULL);

	cmd_copy_nd(C, &s, &d, dup);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &s, &d, big);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &s, &d, extra);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &s, &d, id);		/* shape mismatch */
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &s, &d1, tr);		/* rank mismatch */
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &s, &d8, tr);
	EXPECT_EQ(VNPU_JOB_BAD_DTYPE, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &sq, &d8, tr);
	EXPECT_EQ(VNPU_JOB_BAD_QUANT, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &s, &dover, tr);		/* output overlaps itself */
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &s, &dalias, tr);	/* output overlaps input */
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_copy_nd(C, &s, &d, tr);
	C->b[C->n - 4] = 1;			/* reserved */
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	EXPECT_EQ(0, R->cmd_index);
}

/* ---- Tensor descriptor validation (through COPY_ND) ---- */

TEST_F(ops, tensor_descriptor_errors)
{
	static const uint8_t tr[4] = { 1, 0 };
	uint32_t sh[2] = { 4, 6 }, sh_t[2] = { 6, 4 };
	const struct tt s0 = mk(F, VNPU_DT_F32, 2, sh, NULL);
	const struct tt d0 = mk(F, VNPU_DT_F32, 2, sh_t, NULL);
	struct tt s, d;
	int k;

	for (k = 0; k < 19; k++) {
		uint32_t want;
		uint8_t *raw;

		s = s0;
		d = d0;
		C->n = 0;
		cmd_copy_nd(C, &s, &d, tr);
		raw = C->b + 8;		/* the source descriptor */
		switch (k) {
		case 0:		/* rank 5 */
			raw[9] = 5;
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 1:		/* rank 0 on a required operand */
			memset(raw, 0, 64);
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 2:		/* zero-sized dim */
			memset(raw + 16, 0, 4);
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 3:		/* unaligned va */
			raw[0] |= 2;
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 4:		/* reserved word */
			raw[12] = 1;
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 5:		/* shape beyond rank */
			raw[16 + 8] = 1;
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 6:		/* stride beyond rank */
			raw[32 + 12] = 1;
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 7:		/* span over VNPU_TENSOR_MAX_BYTES */
			memset(raw + 32, 0xff, 4);
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 8:		/* dense size over the cap, stride 0 */
			memset(raw + 16, 0xff, 4);
			memset(raw + 20, 0xff, 4);
			memset(raw + 32, 0, 8);
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 9:		/* dtype 0 */
			raw[8] = 0;
			want = VNPU_JOB_BAD_DTYPE;
			break;
		case 10:	/* dtype out of range */
			raw[8] = VNPU_DT_COUNT;
			want = VNPU_JOB_BAD_DTYPE;
			break;
		case 11:	/* qmode out of range */
			raw[10] = 3;
			want = VNPU_JOB_BAD_QUANT;
			break;
		case 12:	/* quantised float */
			raw[10] = VNPU_QMODE_TENSOR;
			raw[51] = 0x3f;		/* scale 0.5 */
			want = VNPU_JOB_BAD_QUANT;
			break;
		case 13:	/* qmode NONE with a scale */
			raw[51] = 0x3f;
			want = VNPU_JOB_BAD_QUANT;
			break;
		case 14:	/* va + span wraps */
			memset(raw, 0xff, 8);
			raw[0] = 0xf0;
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 15:	/* output self-overlap via stride 0 */
			raw = C->b + 72;
			memset(raw + 32, 0, 4);
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 16:	/* unmapped source */
			memset(raw, 0, 8);
			raw[0] = 0x40;
			want = VNPU_JOB_MMU_FAULT;
			break;
		case 17:	/* write-protected output */
			F->deny_va = d.va + 40;
			F->deny_len = 4;
			F->deny_access = VNPU_ACCESS_WRITE;
			want = VNPU_JOB_MMU_FAULT;
			break;
		default:	/* read-protected input */
			F->deny_va = s.va + 64;
			F->deny_len = 1;
			F->deny_access = VNPU_ACCESS_READ;
			want = VNPU_JOB_MMU_FAULT;
			break;
		}
		memset(hp(F, d.va), 0x5a, t_span(&d));
		EXPECT_EQ(want, run(F, C, R)) TH_LOG("case %d", k);
		if (k == 16) {
			EXPECT_EQ(0x40, R->fault_va);
			EXPECT_EQ(VNPU_ACCESS_READ, R->fault_access);
		}
		if (k == 17) {
			/* Faults are found before anything is written. */
			EXPECT_EQ(0x5a, hp(F, d.va)[0]);
			EXPECT_EQ(d.va + 40, R->fault_va);
			EXPECT_EQ(VNPU_ACCESS_WRITE, R->fault_access);
		}
		F->deny_access = 0;
	}
}

TEST_F(ops, quant_param_errors)
{
	uint32_t sh[2] = { 3, 4 };
	struct tt in = mk(F, VNPU_DT_F32, 2, sh, NULL);
	struct tt base = mk(F, VNPU_DT_I8, 2, sh, NULL);

	for (int k = 0; k < 10; k++) {
		struct tt out = base;
		uint32_t want = VNPU_JOB_BAD_QUANT;

		switch (k) {
		case 0:
			quant(&out, 0, 0);		/* scale 0 */
			break;
		case 1:
			quant(&out, -1, 0);
			break;
		case 2:
			quant(&out, NAN, 0);
			break;
		case 3:
			quant(&out, INFINITY, 0);
			break;
		case 4:
			quant(&out, 1, 128);		/* zp out of i8 */
			break;
		case 5:
			out.dt = VNPU_DT_U8;
			quant(&out, 1, -1);
			break;
		case 6:
			out.dt = VNPU_DT_I32;
			out.va = (out.va + 3) & ~3ull;
			quant(&out, 1, 5);		/* i32: zp 0 */
			break;
		case 7:
			quant_ch(F, &out, 1, 0.5f, 0);
			out.qaxis = 2;			/* >= rank */
			break;
		case 8:					/* bad entry */
			quant_ch(F, &out, 1, 0.5f, 0);
			memset(hp(F, out.qva + 8), 0, 4);
			break;
		default:				/* unmapped array */
			quant_ch(F, &out, 0, 0.5f, 0);
			out.qva = 0x1000;
			want = VNPU_JOB_MMU_FAULT;
			break;
		}
		C->n = 0;
		c_hdr(C, VNPU_OP_QUANTIZE);
		c_t(C, &in);
		c_t(C, &out);
		EXPECT_EQ(want, run(F, C, R)) TH_LOG("case %d", k);
	}
}

/* ---- GEMM ---- */

struct gemm_case {
	unsigned int dt_a, dt_b, dt_bias, dt_out;
	unsigned int bm, bn;		/* batch dims of out (0 = rank 2) */
	unsigned int a_b1;		/* a's batch dim is 1 (broadcast) */
	unsigned int m, n, k;
	unsigned int trans_a, trans_b, pad_out;
	unsigned int act;
	unsigned int perch;		/* int8: per-channel b and out */
};

static void cmd_gemm(struct cb *c, const struct tt *a, const struct tt *b,
		     const struct tt *bias, const struct tt *out,
		     unsigned int act)
{
	c_hdr(c, VNPU_OP_GEMM);
	c_t(c, a);
	c_t(c, b);
	c_t(c, bias);
	c_t(c, out);
	c_u32(c, act);
	c_u32(c, 0);
}

/* Matrix tensor [.., rows, cols], optionally stored transposed. */
static struct tt mk_mat(struct fake *f, unsigned int dt, unsigned int batch,
			unsigned int rows, unsigned int cols, int trans,
			unsigned int pad)
{
	uint32_t shape[3], stride[3];
	unsigned int r = batch ? 3 : 2, o = r - 2;

	shape[0] = batch;
	shape[o] = rows;
	shape[o + 1] = cols;
	if (trans) {
		stride[o] = 1;
		stride[o + 1] = rows + pad;
	} else {
		stride[o] = cols + pad;
		stride[o + 1] = 1;
	}
	if (batch)
		stride[0] = (rows + pad) * (cols + pad);
	return mk(f, dt, r, shape, stride);
}

static void check_gemm(struct __test_metadata *_metadata, struct fake *f,
		       const struct gemm_case *g)
{
	unsigned int nb = g->bm ? g->bm : 1, M = g->m, N = g->n, K = g->k;
	struct tt a = mk_mat(f, g->dt_a, g->bm ? (g->a_b1 ? 1 : g->bm) : 0, M,
			     K, g->trans_a, 0);
	struct tt b = mk_mat(f, g->dt_b, g->bm, K, N, g->trans_b, 3);
	struct tt out = mk_mat(f, g->dt_out, g->bm, M, N, 0, g->pad_out);
	uint32_t nshape[1] = { N };
	struct tt bias = { 0 };
	bool q = g->dt_a == VNPU_DT_I8 || g->dt_a == VNPU_DT_U8;
	struct cb c = { .n = 0 };
	VnpuJobResult r;
	double *av, *bv, *biasv = NULL, *ov, *ar, *br;

	if (g->dt_bias)
		bias = mk(f, g->dt_bias, 1, nshape, NULL);
	if (q) {
		quant(&a, 0.02f, g->dt_a == VNPU_DT_U8 ? 128 : 3);
		if (g->perch)
			quant_ch(f, &b, b.rank - 1, 0.01f,
				 g->dt_b == VNPU_DT_U8 ? 120 : 0);
		else
			quant(&b, 0.015f, g->dt_b == VNPU_DT_U8 ? 127 : -2);
		if (g->dt_out != VNPU_DT_I32) {
			if (g->perch)
				quant_ch(f, &out, out.rank - 1, 0.05f,
					 g->dt_out == VNPU_DT_U8 ? 128 : 1);
			else
				quant(&out, 0.04f,
				      g->dt_out == VNPU_DT_U8 ? 130 : -5);
		}
	}
	fill_rand(f, &a);
	fill_rand(f, &b);
	if (g->dt_bias)
		fill_rand(f, &bias);
	cmd_gemm(&c, &a, &b, g->dt_bias ? &bias : NULL, &out, g->act);
	ASSERT_EQ(VNPU_JOB_OK, run(f, &c, &r));
	EXPECT_EQ((uint64_t)nb * M * N * K, r.macs);
	EXPECT_EQ((uint64_t)nb * M * N * K, r.macs_by_dtype[g->dt_a]);

	av = dense(f, &a);
	bv = dense(f, &b);
	ov = dense(f, &out);
	if (g->dt_bias)
		biasv = dense(f, &bias);
	ar = malloc(M * K * sizeof(double));
	br = malloc(K * N * sizeof(double));
	for (unsigned int bi = 0; bi < nb; bi++) {
		const double *ab = av + (g->a_b1 ? 0 : bi) * M * K;
		const double *bb = bv + bi * K * N;
		const double *ob = ov + bi * M * N;

		if (!q) {
			double *ref = malloc(M * N * sizeof(double));
			double *sa = malloc(M * N * sizeof(double));

			ref_matmul(M, N, K, ab, bb, biasv, ref, sa);
			for (unsigned int i = 0; i < M * N; i++) {
				double want = ref_act(g->act, ref[i]);

				ASSERT_TRUE(close_to(ob[i], want, sa[i],
						     tol_of(g->dt_a)))
					TH_LOG("el %u got %g want %g", i, ob[i],
					       want);
			}
			free(ref);
			free(sa);
		} else {
			int32_t *ai = malloc(M * K * 4), *bi32 = malloc(K * N * 4);
			int32_t *acc = malloc(M * N * 4), zb[64], bs[64];
			double lo, hi;

			for (unsigned int i = 0; i < M * K; i++)
				ai[i] = ab[i];
			for (unsigned int i = 0; i < K * N; i++)
				bi32[i] = bb[i];
			for (unsigned int j = 0; j < N; j++) {
				zb[j] = t_zp(&b, j);
				bs[j] = biasv ? biasv[j] : 0;
			}
			ref_matmul_int(M, N, K, ai, a.zp, bi32, zb,
				       biasv ? bs : NULL, acc);
			irange(g->dt_out, &lo, &hi);
			for (unsigned int i = 0; i < M * N; i++) {
				unsigned int j = i % N;
				double want = g->dt_out == VNPU_DT_I32 ? acc[i] :
					ref_requant(acc[i], a.scale,
						    t_scale(&b, j),
						    t_scale(&out, j),
						    t_zp(&out, j), g->act, lo,
						    hi);

				ASSERT_EQ(want, ob[i])
					TH_LOG("el %u acc %d", i, acc[i]);
			}
			free(ai);
			free(bi32);
			free(acc);
		}
	}
	free(ar);
	free(br);
	free(av);
	free(bv);
	free(ov);
	free(biasv);
	/* Padding between output rows is untouched. */
	if (g->pad_out) {
		EXPECT_EQ(0x5a, hp(f, out.va)[N * esz(out.dt)]);
	}
}

TEST_F(ops, gemm_f32)
{
	static const struct gemm_case cases[] = {
		{ VNPU_DT_F32, VNPU_DT_F32, 0, VNPU_DT_F32, 0, 0, 0, 1, 1, 1 },
		{ VNPU_DT_F32, VNPU_DT_F32, 0, VNPU_DT_F32, 0, 0, 0, 3, 5, 7 },
		{ VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, 0, 0, 0,
		  17, 13, 33, 1, 0, 2, VNPU_ACT_RELU },
		{ VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, 0, 0, 0,
		  9, 31, 64, 0, 1, 0, VNPU_ACT_GELU },
		{ VNPU_DT_F32, VNPU_DT_F32, 0, VNPU_DT_F32, 0, 0, 0, 1, 40, 3,
		  1, 1, 0, VNPU_ACT_SIGMOID },
		{ VNPU_DT_F32, VNPU_DT_F32, 0, VNPU_DT_F32, 4, 0, 1, 5, 6, 7,
		  0, 0, 1, VNPU_ACT_TANH },
		{ VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, 3, 0, 0,
		  8, 1, 16, 0, 0, 0, VNPU_ACT_SILU },
		{ VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, 0, 0, 0,
		  64, 64, 64, 0, 0, 0, VNPU_ACT_RELU6 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		check_gemm(_metadata, F, &cases[i]);
		F->brk = CMD_AREA;
	}
}

/*
 * With VNPU_ENGINE_GEMM_THREADS=2, F32 GEMMs of at least 2^24 MACs are
 * cut into row panels computed by the engine thread and a pool of helper
 * threads (uneven last panel, transposed operands, epilogue, batches).
 */
static const struct gemm_case gemm_f32_panel_cases[] = {
	{ VNPU_DT_F32, VNPU_DT_F32, 0, VNPU_DT_F32, 0, 0, 0, 250, 256, 300 },
	{ VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, 0, 0, 0,
	  203, 260, 320, 1, 0, 2, VNPU_ACT_RELU },
	{ VNPU_DT_F32, VNPU_DT_F32, 0, VNPU_DT_F32, 0, 0, 0, 130, 400, 330,
	  0, 1, 0, VNPU_ACT_NONE },
	{ VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, VNPU_DT_F32, 2, 0, 0, 160,
	  200, 530, 0, 0, 0, VNPU_ACT_GELU },
};

/* The engine's switches the tests flip (it reads them at every job). */
struct engine_env {
	const char *gemm_threads;	/* VNPU_ENGINE_GEMM_THREADS */
	bool no_dnnl;			/* VNPU_ENGINE_NO_DNNL=1 */
};

static const struct engine_env pool_of_2 = { "2" };
static const struct engine_env pool_off = { "1" };
static const struct engine_env onednn_off = { "2", true };

static void engine_env_set(const struct engine_env *e)
{
	setenv("VNPU_ENGINE_GEMM_THREADS", e->gemm_threads, 1);
	if (e->no_dnnl)
		setenv("VNPU_ENGINE_NO_DNNL", "1", 1);
}

static void engine_env_reset(void)
{
	unsetenv("VNPU_ENGINE_NO_DNNL");
	unsetenv("VNPU_ENGINE_GEMM_THREADS");
}

/* gemm_f32_panel_cases under each of @envs in turn. */
static void check_gemm_panels(struct __test_metadata *_metadata,
			      struct fake *f,
			      const struct engine_env *const *envs, size_t n)
{
	for (size_t e = 0; e < n; e++) {
		engine_env_set(envs[e]);
		for (size_t i = 0; i < ARRAY_SIZE(gemm_f32_panel_cases); i++) {
			check_gemm(_metadata, f, &gemm_f32_panel_cases[i]);
			f->brk = CMD_AREA;
		}
		engine_env_reset();
	}
}

TEST_F(ops, gemm_f32_panels)
{
	static const struct engine_env *const envs[] = { &pool_of_2 };

	check_gemm_panels(_metadata, F, envs, ARRAY_SIZE(envs));
}

/* The same with oneDNN off (one OpenBLAS call) and with the pool off. */
TEST_F(ops, gemm_f32_panels_without_onednn_or_pool)
{
	static const struct engine_env *const envs[] = { &onednn_off,
							 &pool_off };

	check_gemm_panels(_metadata, F, envs, ARRAY_SIZE(envs));
}

/*
 * The engine thread polls for an abort before each panel it takes: the
 * first poll after those of the same job without the pool aborts it.
 */
TEST_F(ops, gemm_f32_panels_abort)
{
	struct tt a = mk_mat(F, VNPU_DT_F32, 0, 256, 256, 0, 0);
	struct tt b = mk_mat(F, VNPU_DT_F32, 0, 256, 256, 0, 0);
	struct tt out = mk_mat(F, VNPU_DT_F32, 0, 256, 256, 0, 0);
	int polls;

	cmd_gemm(C, &a, &b, NULL, &out, 0);
	F->abort_after = 1 << 30;	/* count the polls */
	setenv("VNPU_ENGINE_GEMM_THREADS", "1", 1);
	F->polls = 0;
	EXPECT_EQ(VNPU_JOB_OK, run(F, C, R));
	polls = F->polls;
	setenv("VNPU_ENGINE_GEMM_THREADS", "2", 1);
	F->polls = 0;
	EXPECT_EQ(VNPU_JOB_OK, run(F, C, R));
	EXPECT_LT(polls, F->polls);
	F->polls = 0;
	F->abort_after = polls;
	EXPECT_EQ(VNPU_JOB_ABORTED, run(F, C, R));
	EXPECT_EQ(0, R->cmd_index);
	EXPECT_EQ(0, R->macs);
	unsetenv("VNPU_ENGINE_GEMM_THREADS");
}

static const struct gemm_case gemm_bf16_cases[] = {
	{ VNPU_DT_BF16, VNPU_DT_BF16, 0, VNPU_DT_F32, 0, 0, 0, 5, 7, 9 },
	{ VNPU_DT_BF16, VNPU_DT_BF16, VNPU_DT_F32, VNPU_DT_BF16, 0, 0, 0, 16,
	  8, 32, 1, 0, 0, VNPU_ACT_RELU },
	{ VNPU_DT_BF16, VNPU_DT_BF16, VNPU_DT_BF16, VNPU_DT_BF16, 2, 0, 1, 3,
	  3, 3, 0, 1, 1, VNPU_ACT_NONE },
	{ VNPU_DT_BF16, VNPU_DT_BF16, 0, VNPU_DT_F32, 3, 0, 0, 33, 40, 70, 1,
	  1, 0, VNPU_ACT_NONE },
};

TEST_F(ops, gemm_bf16)
{
	for (size_t i = 0; i < ARRAY_SIZE(gemm_bf16_cases); i++) {
		check_gemm(_metadata, F, &gemm_bf16_cases[i]);
		F->brk = CMD_AREA;
	}
}

/* The same with oneDNN off: widened to binary32 and OpenBLAS. */
TEST_F(ops, gemm_bf16_without_onednn)
{
	setenv("VNPU_ENGINE_NO_DNNL", "1", 1);
	for (size_t i = 0; i < ARRAY_SIZE(gemm_bf16_cases); i++) {
		check_gemm(_metadata, F, &gemm_bf16_cases[i]);
		F->brk = CMD_AREA;
	}
	unsetenv("VNPU_ENGINE_NO_DNNL");
}

static const struct gemm_case gemm_int8_cases[] = {
	{ VNPU_DT_I8, VNPU_DT_I8, 0, VNPU_DT_I8, 0, 0, 0, 1, 1, 1 },
	{ VNPU_DT_I8, VNPU_DT_I8, VNPU_DT_I32, VNPU_DT_I8, 0, 0, 0, 7,
	  9, 13, 0, 0, 0, VNPU_ACT_NONE },
	{ VNPU_DT_I8, VNPU_DT_I8, VNPU_DT_I32, VNPU_DT_I8, 0, 0, 0, 5,
	  16, 21, 1, 1, 2, VNPU_ACT_RELU, 1 },
	{ VNPU_DT_U8, VNPU_DT_I8, VNPU_DT_I32, VNPU_DT_U8, 2, 0, 1, 4,
	  6, 8, 0, 0, 0, VNPU_ACT_RELU6, 1 },
	{ VNPU_DT_I8, VNPU_DT_U8, 0, VNPU_DT_I32, 0, 0, 0, 6, 5, 40 },
	{ VNPU_DT_U8, VNPU_DT_U8, VNPU_DT_I32, VNPU_DT_I32, 0, 0, 0, 9, 11,
	  70, 1, 0, 0, VNPU_ACT_NONE, 1 },
	{ VNPU_DT_I8, VNPU_DT_I8, 0, VNPU_DT_I8, 0, 0, 0, 3, 4, 5, 0, 0,
	  0, VNPU_ACT_GELU },
	{ VNPU_DT_I8, VNPU_DT_I8, VNPU_DT_I32, VNPU_DT_I8, 0, 0, 0, 32,
	  32, 64, 0, 0, 0, VNPU_ACT_SILU, 1 },
};

TEST_F(ops, gemm_int8)
{
	for (size_t i = 0; i < ARRAY_SIZE(gemm_int8_cases); i++) {
		check_gemm(_metadata, F, &gemm_int8_cases[i]);
		F->brk = CMD_AREA;
	}
}

/*
 * The same int8 cases with oneDNN turned off: the engine's own loop must
 * give the same (exact) results as the oneDNN path above.
 */
TEST_F(ops, gemm_int8_without_onednn)
{
	setenv("VNPU_ENGINE_NO_DNNL", "1", 1);
	for (size_t i = 0; i < ARRAY_SIZE(gemm_int8_cases); i++) {
		check_gemm(_metadata, F, &gemm_int8_cases[i]);
		F->brk = CMD_AREA;
	}
	unsetenv("VNPU_ENGINE_NO_DNNL");
}

/*
 * Int8 sums far beyond 2^24 are exact (no detour through binary32 in any
 * path), with and without oneDNN, with and without zero points: a [2, K]
 * times b [K, 3] with K = 4096 and extreme values, one odd term per row.
 */
TEST_F(ops, gemm_int8_large_sums_exact)
{
	static const struct {
		unsigned int dta, dtb;
		int va, vb, za, zb;
	} cases[] = {
		{ VNPU_DT_I8, VNPU_DT_I8, -128, -128, 0, 0 },
		{ VNPU_DT_U8, VNPU_DT_U8, 255, 255, 0, 0 },
		{ VNPU_DT_U8, VNPU_DT_I8, 255, -128, 0, 0 },
		{ VNPU_DT_I8, VNPU_DT_U8, -128, 0, 126, 255 },
	};
	const unsigned int K = 4096;

	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			setenv("VNPU_ENGINE_NO_DNNL", "1", 1);
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			struct tt a = mk_mat(F, cases[i].dta, 0, 2, K, 0, 0);
			struct tt b = mk_mat(F, cases[i].dtb, 0, K, 3, 0, 0);
			struct tt out = mk_mat(F, VNPU_DT_I32, 0, 2, 3, 0, 0);
			int64_t da = cases[i].va - cases[i].za;
			int64_t db = cases[i].vb - cases[i].zb;

			quant(&a, 1, cases[i].za);
			quant(&b, 1, cases[i].zb);
			for (unsigned int k = 0; k < K; k++) {
				hp(F, a.va)[k] = (uint8_t)cases[i].va;
				hp(F, a.va)[K + k] = (uint8_t)cases[i].va;
				for (unsigned int n = 0; n < 3; n++)
					hp(F, b.va)[k * 3 + n] = (uint8_t)cases[i].vb;
			}
			/* one odd product in row 0: a[0][0] - za = 1 */
			hp(F, a.va)[0] = (uint8_t)(cases[i].za + 1);
			C->n = 0;
			cmd_gemm(C, &a, &b, NULL, &out, 0);
			ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
			for (unsigned int m = 0; m < 2; m++) {
				for (unsigned int n = 0; n < 3; n++) {
					int64_t want = (int64_t)K * da * db;
					int32_t got;

					if (m == 0)
						want += db - da * db;
					memcpy(&got, hp(F, out.va) + 4 * (m * 3 + n),
					       4);
					ASSERT_EQ((int32_t)want, got)
						TH_LOG("case %zu pass %d m %u", i,
						       pass, m);
				}
			}
			F->brk = CMD_AREA;
		}
	}
	unsetenv("VNPU_ENGINE_NO_DNNL");
}

TEST_F(ops, gemm_errors)
{
	struct tt a = mk_mat(F, VNPU_DT_F32, 0, 4, 5, 0, 0);
	struct tt b = mk_mat(F, VNPU_DT_F32, 0, 5, 6, 0, 0);
	struct tt out = mk_mat(F, VNPU_DT_F32, 0, 4, 6, 0, 0);
	struct tt a3 = mk_mat(F, VNPU_DT_F32, 3, 4, 5, 0, 0);
	struct tt b2 = mk_mat(F, VNPU_DT_F32, 2, 5, 6, 0, 0);
	struct tt o3 = mk_mat(F, VNPU_DT_F32, 3, 4, 6, 0, 0);
	struct tt a8 = mk_mat(F, VNPU_DT_I8, 0, 4, 5, 0, 0);
	struct tt b8 = mk_mat(F, VNPU_DT_I8, 0, 5, 6, 0, 0);
	struct tt o8 = mk_mat(F, VNPU_DT_I8, 0, 4, 6, 0, 0);
	struct tt o32 = mk_mat(F, VNPU_DT_I32, 0, 4, 6, 0, 0);
	struct tt bf = mk_mat(F, VNPU_DT_BF16, 0, 5, 6, 0, 0);
	uint32_t n6[1] = { 6 }, n5[1] = { 5 };
	struct tt bias = mk(F, VNPU_DT_F32, 1, n6, NULL);
	struct tt bias5 = mk(F, VNPU_DT_F32, 1, n5, NULL);
	struct tt bias8 = mk(F, VNPU_DT_I32, 1, n6, NULL);
	struct tt v1 = mk(F, VNPU_DT_F32, 1, n5, NULL);
	struct tt b8pc = b8, o8pc = o8, a8pc = a8, ovl = out, bias8q = bias8;
	struct {
		const struct tt *a, *b, *bias, *out;
		unsigned int act;
		uint32_t want;
	} cases[] = {
		{ &a, &b, NULL, &out, VNPU_ACT_COUNT, VNPU_JOB_BAD_CMD },
		{ &v1, &b, NULL, &out, 0, VNPU_JOB_BAD_TENSOR },	/* rank 1 */
		{ &b, &b, NULL, &out, 0, VNPU_JOB_BAD_TENSOR },	/* K */
		{ &a, &b, NULL, &a, 0, VNPU_JOB_BAD_TENSOR },	/* M, N */
		{ &a, &b, &bias5, &out, 0, VNPU_JOB_BAD_TENSOR },
		{ &a3, &b2, NULL, &o3, 0, VNPU_JOB_BAD_TENSOR },	/* batch */
		{ &a, &b, NULL, &ovl, 0, VNPU_JOB_BAD_TENSOR },	/* alias */
		{ &a, &bf, NULL, &out, 0, VNPU_JOB_BAD_DTYPE },
		{ &a, &b, &bias8, &out, 0, VNPU_JOB_BAD_DTYPE },
		{ &a, &b, NULL, &o8, 0, VNPU_JOB_BAD_DTYPE },
		{ &a8, &b8, &bias, &o8, 0, VNPU_JOB_BAD_DTYPE },
		{ &a8, &b8, NULL, &o32, VNPU_ACT_RELU, VNPU_JOB_BAD_DTYPE },
		{ &a8, &b, NULL, &o8, 0, VNPU_JOB_BAD_DTYPE },
		{ &a8, &b8, NULL, &out, 0, VNPU_JOB_BAD_DTYPE },
		{ &a8pc, &b8, NULL, &o8, 0, VNPU_JOB_BAD_QUANT },
		{ &a8, &b8pc, NULL, &o8, 0, VNPU_JOB_BAD_QUANT },
		{ &a8, &b8, NULL, &o8pc, 0, VNPU_JOB_BAD_QUANT },
		{ &a8, &b8, &bias8q, &o8, 0, VNPU_JOB_BAD_QUANT },
	};

	ovl.va = b.va + 4;
	quant_ch(F, &a8pc, 0, 0.5f, 0);
	quant_ch(F, &b8pc, 0, 0.5f, 0);		/* K axis: wrong */
	quant_ch(F, &o8pc, 0, 0.5f, 0);		/* M axis: wrong */
	bias8q.dt = VNPU_DT_I32;
	quant(&bias8q, 1, 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		C->n = 0;
		cmd_gemm(C, cases[i].a, cases[i].b, cases[i].bias, cases[i].out,
			 cases[i].act);
		EXPECT_EQ(cases[i].want, run(F, C, R)) TH_LOG("case %zu", i);
	}
	/* Reserved word. */
	C->n = 0;
	cmd_gemm(C, &a, &b, NULL, &out, 0);
	C->b[C->n - 1] = 1;
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
}

TEST_F(ops, gemm_abort)
{
	struct tt a = mk_mat(F, VNPU_DT_F32, 8, 4, 5, 0, 0);
	struct tt b = mk_mat(F, VNPU_DT_F32, 8, 5, 6, 0, 0);
	struct tt out = mk_mat(F, VNPU_DT_F32, 8, 4, 6, 0, 0);

	cmd_gemm(C, &a, &b, NULL, &out, 0);
	F->abort_after = 3;	/* one poll before the command, then batches */
	EXPECT_EQ(VNPU_JOB_ABORTED, run(F, C, R));
	EXPECT_EQ(0, R->cmd_index);
	EXPECT_EQ(0, R->macs);
}

TEST_F(ops, dma_error_on_operand)
{
	struct tt a = mk_mat(F, VNPU_DT_F32, 0, 4, 300, 0, 0);
	struct tt b = mk_mat(F, VNPU_DT_F32, 0, 300, 6, 0, 0);
	struct tt out = mk_mat(F, VNPU_DT_F32, 0, 4, 6, 0, 0);

	/* b's second page is "not RAM". */
	F->deny_va = b.va + PG;
	F->deny_len = 8;
	F->deny_access = VNPU_ACCESS_READ;
	F->deny_status = VNPU_JOB_DMA_ERROR;
	memset(hp(F, out.va), 0x5a, t_span(&out));
	cmd_gemm(C, &a, &b, NULL, &out, 0);
	EXPECT_EQ(VNPU_JOB_DMA_ERROR, run(F, C, R));
	EXPECT_EQ(b.va + PG, R->fault_va);
	EXPECT_EQ(VNPU_ACCESS_READ, R->fault_access);
	EXPECT_EQ(0x5a, hp(F, out.va)[0]);
	EXPECT_EQ(0, R->macs);
	F->deny_access = 0;
}

/*
 * An output whose third page faults: the fault is found while the output
 * is gathered (its runs are held for the scatter), before the op computes,
 * so nothing of the output is written and every mapping is released.
 */
TEST_F(ops, fault_on_output_writes_nothing)
{
	struct tt a = mk_mat(F, VNPU_DT_F32, 0, 8, 40, 0, 0);
	struct tt b = mk_mat(F, VNPU_DT_F32, 0, 40, 384, 0, 0);
	struct tt out = mk_mat(F, VNPU_DT_F32, 0, 8, 384, 0, 0);
	uint64_t base = (out.va + PG - 1) & ~(uint64_t)(PG - 1);
	int untouched;

	F->deny_va = base + PG;
	F->deny_len = 8;
	F->deny_access = VNPU_ACCESS_WRITE;
	memset(hp(F, out.va), 0x5a, t_span(&out));
	cmd_gemm(C, &a, &b, NULL, &out, 0);
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, run(F, C, R));
	EXPECT_EQ(base + PG, R->fault_va);
	EXPECT_EQ(VNPU_ACCESS_WRITE, R->fault_access);
	untouched = 1;
	for (uint64_t i = 0; i < t_span(&out); i++)
		untouched &= hp(F, out.va)[i] == 0x5a;
	EXPECT_EQ(1, untouched);
	EXPECT_EQ(0, R->macs);
	EXPECT_EQ(0, F->live);
	F->deny_access = 0;
}

/* ---- CONV2D ---- */

struct conv_case {
	unsigned int dt, dt_out;
	int n, h, w, c, oc, kh, kw, groups, sh, sw, dh, dw, pt, pb, pl, pr;
	unsigned int act, bias, perch;
};

static void cmd_conv(struct cb *c, const struct tt *in, const struct tt *wt,
		     const struct tt *bias, const struct tt *out,
		     const struct conv_case *g)
{
	c_hdr(c, VNPU_OP_CONV2D);
	c_t(c, in);
	c_t(c, wt);
	c_t(c, bias);
	c_t(c, out);
	c_u16(c, g->sh);
	c_u16(c, g->sw);
	c_u16(c, g->dh);
	c_u16(c, g->dw);
	c_u16(c, g->pt);
	c_u16(c, g->pb);
	c_u16(c, g->pl);
	c_u16(c, g->pr);
	c_u32(c, g->groups);
	c_u32(c, g->act);
}

static void check_conv(struct __test_metadata *_metadata, struct fake *f,
		       const struct conv_case *g)
{
	struct ref_conv rc = {
		.n = g->n, .h = g->h, .w = g->w, .c = g->c, .oc = g->oc,
		.kh = g->kh, .kw = g->kw, .groups = g->groups, .sh = g->sh,
		.sw = g->sw, .dh = g->dh, .dw = g->dw, .pt = g->pt,
		.pl = g->pl,
	};
	uint32_t ishape[4], wshape[4], oshape[4], bshape[1] = { g->oc };
	unsigned int bdt = g->dt == VNPU_DT_F32 || g->dt == VNPU_DT_BF16 ?
			   VNPU_DT_F32 : VNPU_DT_I32;
	bool q = bdt == VNPU_DT_I32;
	struct tt in, wt, out, bias = { 0 };
	struct cb c = { .n = 0 };
	VnpuJobResult r;
	double *iv, *wv, *ov, *bv = NULL;
	uint64_t no;

	rc.oh = (g->h + g->pt + g->pb - g->dh * (g->kh - 1) - 1) / g->sh + 1;
	rc.ow = (g->w + g->pl + g->pr - g->dw * (g->kw - 1) - 1) / g->sw + 1;
	ishape[0] = g->n;
	ishape[1] = g->h;
	ishape[2] = g->w;
	ishape[3] = g->c;
	wshape[0] = g->oc;
	wshape[1] = g->kh;
	wshape[2] = g->kw;
	wshape[3] = g->c / g->groups;
	oshape[0] = g->n;
	oshape[1] = rc.oh;
	oshape[2] = rc.ow;
	oshape[3] = g->oc;
	in = mk(f, g->dt, 4, ishape, NULL);
	wt = mk(f, g->dt, 4, wshape, NULL);
	out = mk(f, g->dt_out, 4, oshape, NULL);
	if (g->bias)
		bias = mk(f, bdt, 1, bshape, NULL);
	if (q) {
		quant(&in, 0.03f, 5);
		if (g->perch)
			quant_ch(f, &wt, 0, 0.01f, 0);
		else
			quant(&wt, 0.02f, g->dt == VNPU_DT_U8 ? 125 : -3);
		if (g->dt_out != VNPU_DT_I32) {
			if (g->perch)
				quant_ch(f, &out, 3, 0.1f, 2);
			else
				quant(&out, 0.08f,
				      g->dt_out == VNPU_DT_U8 ? 130 : -4);
		}
	}
	fill_rand(f, &in);
	fill_rand(f, &wt);
	if (g->bias)
		fill_rand(f, &bias);
	cmd_conv(&c, &in, &wt, g->bias ? &bias : NULL, &out, g);
	ASSERT_EQ(VNPU_JOB_OK, run(f, &c, &r));
	no = t_elems(&out);
	EXPECT_EQ(no * g->kh * g->kw * (g->c / g->groups), r.macs);
	iv = dense(f, &in);
	wv = dense(f, &wt);
	ov = dense(f, &out);
	if (g->bias)
		bv = dense(f, &bias);
	if (!q) {
		double *ref = malloc(no * sizeof(double));
		double *sa = malloc(no * sizeof(double));

		ref_conv2d(&rc, iv, wv, bv, ref, sa);
		for (uint64_t i = 0; i < no; i++) {
			ASSERT_TRUE(close_to(ov[i], ref_act(g->act, ref[i]),
					     sa[i], tol_of(g->dt)))
				TH_LOG("el %lu got %g want %g",
				       (unsigned long)i, ov[i],
				       ref_act(g->act, ref[i]));
		}
		free(ref);
		free(sa);
	} else {
		uint64_t ni = t_elems(&in), nw = t_elems(&wt);
		int32_t *ii = malloc(ni * 4), *wi = malloc(nw * 4);
		int32_t *acc = malloc(no * 4), zw[64], bi[64];
		double lo, hi;

		for (uint64_t i = 0; i < ni; i++)
			ii[i] = iv[i];
		for (uint64_t i = 0; i < nw; i++)
			wi[i] = wv[i];
		for (int o = 0; o < g->oc; o++) {
			zw[o] = t_zp(&wt, o);
			bi[o] = bv ? bv[o] : 0;
		}
		ref_conv2d_int(&rc, ii, in.zp, wi, zw, bv ? bi : NULL, acc);
		irange(g->dt_out, &lo, &hi);
		for (uint64_t i = 0; i < no; i++) {
			unsigned int o = i % g->oc;
			double want = g->dt_out == VNPU_DT_I32 ? acc[i] :
				ref_requant(acc[i], in.scale, t_scale(&wt, o),
					    t_scale(&out, o), t_zp(&out, o),
					    g->act, lo, hi);

			ASSERT_EQ(want, ov[i]) TH_LOG("el %lu", (unsigned long)i);
		}
		free(ii);
		free(wi);
		free(acc);
	}
	free(iv);
	free(wv);
	free(ov);
	free(bv);
}

static const struct conv_case conv_f32_cases[] = {
	/* 1x1 everything */
	{ VNPU_DT_F32, VNPU_DT_F32, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
	/* 3x3 same padding, bias, relu */
	{ VNPU_DT_F32, VNPU_DT_F32, 2, 7, 6, 3, 5, 3, 3, 1, 1, 1, 1, 1,
	  1, 1, 1, 1, VNPU_ACT_RELU, 1 },
	/* stride 2, dilation 2, asymmetric pads */
	{ VNPU_DT_F32, VNPU_DT_F32, 1, 11, 9, 4, 6, 3, 2, 1, 2, 3, 2, 2,
	  2, 0, 1, 3, VNPU_ACT_TANH, 1 },
	/* groups 2 */
	{ VNPU_DT_F32, VNPU_DT_F32, 1, 5, 5, 6, 4, 3, 3, 2, 1, 1, 1, 1,
	  0, 0, 0, 0, VNPU_ACT_NONE, 1 },
	/* depthwise, multiplier 2 */
	{ VNPU_DT_F32, VNPU_DT_F32, 2, 6, 7, 5, 10, 3, 3, 5, 1, 2, 1, 1,
	  1, 1, 1, 1, VNPU_ACT_RELU6, 1 },
	/* pointwise, odd channels */
	{ VNPU_DT_F32, VNPU_DT_F32, 1, 3, 5, 17, 13, 1, 1, 1, 1, 1, 1, 1,
	  0, 0, 0, 0, VNPU_ACT_SILU, 0 },
	/* pointwise, batch 3, many channels, sigmoid after the bias */
	{ VNPU_DT_F32, VNPU_DT_F32, 3, 9, 7, 40, 24, 1, 1, 1, 1, 1, 1, 1,
	  0, 0, 0, 0, VNPU_ACT_SIGMOID, 1 },
	/* one input channel (a stem), stride 2, pads larger than needed */
	{ VNPU_DT_F32, VNPU_DT_F32, 2, 9, 8, 1, 16, 3, 3, 1, 2, 2, 1, 1,
	  1, 2, 1, 2, VNPU_ACT_RELU, 1 },
	/* bf16 in, f32 and bf16 out */
	{ VNPU_DT_BF16, VNPU_DT_F32, 1, 6, 6, 4, 3, 3, 3, 1, 1, 1, 1, 1,
	  1, 1, 1, 1, VNPU_ACT_NONE, 1 },
	{ VNPU_DT_BF16, VNPU_DT_BF16, 1, 5, 4, 2, 2, 2, 2, 2, 1, 1, 1, 1,
	  0, 1, 0, 1, VNPU_ACT_GELU, 1 },
};

TEST_F(ops, conv2d_f32)
{
	for (size_t i = 0; i < ARRAY_SIZE(conv_f32_cases); i++) {
		check_conv(_metadata, F, &conv_f32_cases[i]);
		F->brk = CMD_AREA;
	}
}

/*
 * Pointwise convolutions of at least 2^24 MACs share row panels of their
 * GEMM with the pool (oneDNN matmul per panel), with and without the
 * pool, and with oneDNN off.
 */
TEST_F(ops, conv2d_f32_pointwise_panels)
{
	static const struct conv_case cases[] = {
		{ VNPU_DT_F32, VNPU_DT_F32, 1, 32, 33, 128, 128, 1, 1, 1, 1, 1,
		  1, 1, 0, 0, 0, 0, VNPU_ACT_RELU6, 1 },
		{ VNPU_DT_F32, VNPU_DT_F32, 2, 19, 21, 100, 104, 1, 1, 1, 1, 1,
		  1, 1, 0, 0, 0, 0, VNPU_ACT_NONE, 0 },
	};
	/* pool off: oneDNN's convolution */
	static const struct engine_env *const envs[] = { &pool_of_2, &pool_off,
							 &onednn_off };

	for (size_t e = 0; e < ARRAY_SIZE(envs); e++) {
		engine_env_set(envs[e]);
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			check_conv(_metadata, F, &cases[i]);
			F->brk = CMD_AREA;
		}
		engine_env_reset();
	}
}

/* The same with oneDNN off: im2col + OpenBLAS, and the direct loop. */
TEST_F(ops, conv2d_f32_without_onednn)
{
	setenv("VNPU_ENGINE_NO_DNNL", "1", 1);
	for (size_t i = 0; i < ARRAY_SIZE(conv_f32_cases); i++) {
		check_conv(_metadata, F, &conv_f32_cases[i]);
		F->brk = CMD_AREA;
	}
	unsetenv("VNPU_ENGINE_NO_DNNL");
}

TEST_F(ops, conv2d_int8)
{
	static const struct conv_case cases[] = {
		{ VNPU_DT_I8, VNPU_DT_I8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ VNPU_DT_I8, VNPU_DT_I8, 2, 7, 6, 3, 5, 3, 3, 1, 1, 1, 1, 1, 1,
		  1, 1, 1, VNPU_ACT_RELU, 1, 1 },
		{ VNPU_DT_U8, VNPU_DT_U8, 1, 9, 8, 4, 4, 3, 3, 4, 2, 2, 1, 1, 1,
		  1, 1, 1, VNPU_ACT_NONE, 1, 0 },
		{ VNPU_DT_I8, VNPU_DT_I32, 1, 5, 5, 6, 4, 2, 3, 2, 1, 1, 2, 1, 1,
		  0, 2, 0, VNPU_ACT_NONE, 1, 0 },
		{ VNPU_DT_I8, VNPU_DT_I8, 1, 6, 6, 8, 8, 3, 3, 1, 2, 2, 1, 1, 0,
		  1, 0, 1, VNPU_ACT_SIGMOID, 0, 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		check_conv(_metadata, F, &cases[i]);
		F->brk = CMD_AREA;
	}
}

TEST_F(ops, conv2d_errors)
{
	struct conv_case g = { VNPU_DT_F32, VNPU_DT_F32, 1, 5, 5, 4, 2, 3, 3,
			       1, 1, 1, 1, 1, 1, 1, 1, 1 };
	uint32_t is[4] = { 1, 5, 5, 4 }, ws[4] = { 2, 3, 3, 4 },
		 os[4] = { 1, 5, 5, 2 }, os2[4] = { 1, 4, 5, 2 },
		 bs[1] = { 2 }, ws2[4] = { 2, 3, 3, 2 };
	struct tt in = mk(F, VNPU_DT_F32, 4, is, NULL);
	struct tt wt = mk(F, VNPU_DT_F32, 4, ws, NULL);
	struct tt wt2 = mk(F, VNPU_DT_F32, 4, ws2, NULL);
	struct tt out = mk(F, VNPU_DT_F32, 4, os, NULL);
	struct tt outbad = mk(F, VNPU_DT_F32, 4, os2, NULL);
	struct tt bias = mk(F, VNPU_DT_F32, 1, bs, NULL);
	struct tt wt8 = mk(F, VNPU_DT_I8, 4, ws, NULL);
	struct tt in3 = in, oal = out;

	oal.va = in.va;
	in3.rank = 3;
	in3.shape[0] = 5;
	in3.shape[1] = 5;
	in3.shape[2] = 4;
	in3.stride[0] = 20;
	in3.stride[1] = 4;
	in3.stride[2] = 1;
	in3.shape[3] = in3.stride[3] = 0;
	for (int k = 0; k < 12; k++) {
		struct conv_case h = g;
		const struct tt *ip = &in, *wp = &wt, *op = &out, *bp = &bias;
		uint32_t want = VNPU_JOB_BAD_CMD;

		switch (k) {
		case 0:
			h.sh = 0;
			break;
		case 1:
			h.dw = 0;
			break;
		case 2:
			h.groups = 0;
			break;
		case 3:
			h.groups = 3;		/* does not divide C */
			break;
		case 4:
			h.pl = VNPU_CONV_MAX_PAD + 1;
			break;
		case 5:
			h.act = VNPU_ACT_COUNT;
			break;
		case 6:
			op = &outbad;		/* wrong OH */
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 7:
			wp = &wt2;		/* C / groups mismatch */
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 8:
			ip = &in3;
			want = VNPU_JOB_BAD_TENSOR;
			break;
		case 9:
			wp = &wt8;
			want = VNPU_JOB_BAD_DTYPE;
			break;
		case 10:
			h.pt = h.pb = 0;	/* kernel larger than input */
			h.dh = 3;
			want = VNPU_JOB_BAD_TENSOR;
			break;
		default:
			op = &oal;		/* output aliases the input */
			want = VNPU_JOB_BAD_TENSOR;
			break;
		}
		C->n = 0;
		cmd_conv(C, ip, wp, bp, op, &h);
		EXPECT_EQ(want, run(F, C, R)) TH_LOG("case %d", k);
	}
}

TEST_F(ops, conv2d_abort)
{
	struct conv_case g = { VNPU_DT_F32, VNPU_DT_F32, 1, 8, 8, 4, 4, 3, 3,
			       1, 1, 1, 1, 1, 1, 1, 1, 1 };
	uint32_t is[4] = { 1, 8, 8, 4 }, ws[4] = { 4, 3, 3, 4 };
	struct tt in = mk(F, VNPU_DT_F32, 4, is, NULL);
	struct tt wt = mk(F, VNPU_DT_F32, 4, ws, NULL);
	struct tt out = mk(F, VNPU_DT_F32, 4, is, NULL);

	for (int dt = 0; dt < 2; dt++) {
		if (dt) {
			in.dt = wt.dt = out.dt = VNPU_DT_I8;
			g.dt = g.dt_out = VNPU_DT_I8;
		}
		C->n = 0;
		cmd_conv(C, &in, &wt, NULL, &out, &g);
		/* One poll before the command, then the op's own. */
		F->abort_after = 1;
		F->polls = 0;
		EXPECT_EQ(VNPU_JOB_ABORTED, run(F, C, R)) TH_LOG("dt %d", dt);
		EXPECT_EQ(0, R->macs);
	}
	/* Depthwise (direct loop). */
	in.dt = wt.dt = out.dt = VNPU_DT_F32;
	g.dt = g.dt_out = VNPU_DT_F32;
	g.groups = 4;
	wt.shape[3] = 1;
	wt.stride[0] = 9;
	wt.stride[1] = 3;
	wt.stride[2] = 1;
	C->n = 0;
	cmd_conv(C, &in, &wt, NULL, &out, &g);
	F->abort_after = 1;
	F->polls = 0;
	EXPECT_EQ(VNPU_JOB_ABORTED, run(F, C, R));
	F->abort_after = -1;
}

/*
 * Element-wise ops poll for a reset every VNPU_POLL_WORK elements: 2M-element
 * jobs (inputs repeated with stride 0) stop with ABORTED.
 */
TEST_F(ops, elementwise_ops_abort)
{
	uint32_t big[2] = { 2048, 1024 }, zero[2] = { 0, 0 },
		 row[2] = { 1, 1024 }, plane[4] = { 1, 1024, 2048, 1 },
		 one[4] = { 1, 1, 1, 1 }, z4[4] = { 0 };
	static const uint8_t id[4] = { 0, 1 };
	static const uint16_t nopool[8] = { 0 };
	struct tt x = mk(F, VNPU_DT_I8, 2, big, zero);
	struct tt y = mk(F, VNPU_DT_I8, 2, big, NULL);
	struct tt red = mk(F, VNPU_DT_I8, 2, row, NULL);
	struct tt pin = mk(F, VNPU_DT_I8, 4, plane, z4);
	struct tt pout = mk(F, VNPU_DT_I8, 4, one, NULL);

	for (int k = 0; k < 8; k++) {
		C->n = 0;
		switch (k) {
		case 0:
			cmd_elt(C, &x, &x, &y, VNPU_ELT_ADD, 0);
			break;
		case 1:
			cmd_unary(C, VNPU_OP_ACTIVATION, &x, &y, VNPU_ACT_GELU);
			break;
		case 2:
			cmd_conv_t(C, VNPU_OP_CAST, &x, &y);
			break;
		case 3:
			cmd_copy_nd(C, &x, &y, id);
			break;
		case 4:
			cmd_unary(C, VNPU_OP_SOFTMAX, &x, &y, 1);
			break;
		case 5:
			cmd_unary(C, VNPU_OP_REDUCE, &x, &red,
				  VNPU_RED_SUM | 1 << VNPU_RED_AXES_SHIFT);
			break;
		case 6:
			cmd_norm(C, VNPU_OP_RMSNORM, &x, NULL, NULL, &y, 0);
			break;
		default:
			cmd_pool(C, &pin, &pout, nopool, VNPU_POOL_GLOBAL_MAX);
			break;
		}
		F->abort_after = 1;
		F->polls = 0;
		EXPECT_EQ(VNPU_JOB_ABORTED, run(F, C, R)) TH_LOG("case %d", k);
		/* Without a reset the same job completes. */
		F->abort_after = -1;
		EXPECT_EQ(VNPU_JOB_OK, run(F, C, R)) TH_LOG("case %d", k);
	}
}

/* ---- ELTWISE ---- */

static void cmd_elt(struct cb *c, const struct tt *a, const struct tt *b,
		    const struct tt *out, unsigned int op, unsigned int act)
{
	c_hdr(c, VNPU_OP_ELTWISE);
	c_t(c, a);
	c_t(c, b);
	c_t(c, out);
	c_u32(c, op);
	c_u32(c, act);
}

/* Broadcast index of @lin of out into @t (right-aligned shapes). */
static uint64_t bidx(const struct tt *t, const struct tt *out, uint64_t lin)
{
	uint32_t idx[4];
	uint64_t r = 0;

	for (int i = out->rank - 1; i >= 0; i--) {
		idx[i] = lin % out->shape[i];
		lin /= out->shape[i];
	}
	for (unsigned int i = 0; i < t->rank; i++) {
		unsigned int oi = out->rank - t->rank + i;

		r = r * t->shape[i] + (t->shape[i] == 1 ? 0 : idx[oi]);
	}
	return r;
}

TEST_F(ops, eltwise_all_ops_and_dtypes)
{
	static const struct {
		unsigned int dt, ra, rb, ro;
		uint32_t sa[4], sb[4], so[4];
		unsigned int act;
	} cases[] = {
		{ VNPU_DT_F32, 2, 2, 2, { 3, 5 }, { 3, 5 }, { 3, 5 } },
		{ VNPU_DT_F32, 1, 1, 1, { 1 }, { 1 }, { 1 } },
		{ VNPU_DT_F32, 3, 1, 3, { 2, 3, 7 }, { 7 }, { 2, 3, 7 },
		  VNPU_ACT_RELU },
		{ VNPU_DT_F32, 4, 2, 4, { 2, 1, 3, 1 }, { 3, 5 },
		  { 2, 4, 3, 5 }, VNPU_ACT_SIGMOID },
		{ VNPU_DT_BF16, 2, 2, 2, { 4, 1 }, { 1, 6 }, { 4, 6 } },
		{ VNPU_DT_I8, 2, 2, 2, { 5, 3 }, { 5, 1 }, { 5, 3 },
		  VNPU_ACT_RELU6 },
		{ VNPU_DT_U8, 1, 1, 1, { 9 }, { 1 }, { 9 } },
		{ VNPU_DT_I32, 2, 2, 2, { 3, 4 }, { 3, 4 }, { 3, 4 } },
	};

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		for (unsigned int op = 0; op < VNPU_ELT_COUNT; op++) {
			unsigned int dt = cases[k].dt;
			struct tt a = mk(F, dt, cases[k].ra, cases[k].sa, NULL);
			struct tt b = mk(F, dt, cases[k].rb, cases[k].sb, NULL);
			struct tt o = mk(F, dt, cases[k].ro, cases[k].so, NULL);
			double *av, *bv, *ov;

			if (dt == VNPU_DT_I8 || dt == VNPU_DT_U8) {
				quant(&a, 0.05f, dt == VNPU_DT_U8 ? 100 : 3);
				quant(&b, 0.07f, dt == VNPU_DT_U8 ? 128 : -1);
				quant(&o, 0.1f, dt == VNPU_DT_U8 ? 90 : 0);
			}
			fill_rand(F, &a);
			fill_rand(F, &b);
			if (dt == VNPU_DT_I32)
				rawput(&b, t_at(F, &b, 1, NULL), 0);
			C->n = 0;
			cmd_elt(C, &a, &b, &o, op, cases[k].act);
			ASSERT_EQ(VNPU_JOB_OK, run(F, C, R))
				TH_LOG("case %zu op %u", k, op);
			av = dt == VNPU_DT_I32 ? dense(F, &a) : dense_real(F, &a);
			bv = dt == VNPU_DT_I32 ? dense(F, &b) : dense_real(F, &b);
			ov = dense(F, &o);
			for (uint64_t i = 0; i < t_elems(&o); i++) {
				double x = av[bidx(&a, &o, i)];
				double y = bv[bidx(&b, &o, i)];
				double want;

				if (dt == VNPU_DT_I32) {
					want = ref_elt_i32(op, x, y);
					ASSERT_EQ(want, ov[i]);
					continue;
				}
				want = ref_act(cases[k].act,
					       ref_elt(op, x, y));
				if (dt == VNPU_DT_I8 || dt == VNPU_DT_U8) {
					ASSERT_EQ(expect_store(&o, want, 0),
						  ov[i])
						TH_LOG("case %zu op %u el %lu",
						       k, op,
						       (unsigned long)i);
				} else {
					want = expect_store(&o, want, 0);
					ASSERT_TRUE(close_to(ov[i], want, want,
							     tol_of(dt)))
						TH_LOG("case %zu op %u el %lu "
						       "got %g want %g", k, op,
						       (unsigned long)i, ov[i],
						       want);
				}
			}
			free(av);
			free(bv);
			free(ov);
			F->brk = CMD_AREA;
		}
	}
}

TEST_F(ops, eltwise_in_place_and_int_edges)
{
	uint32_t s4[1] = { 4 };
	struct tt a = mk(F, VNPU_DT_I32, 1, s4, NULL);
	struct tt b = mk(F, VNPU_DT_I32, 1, s4, NULL);
	int32_t av[4] = { INT32_MIN, 7, -7, INT32_MAX };
	int32_t bv[4] = { -1, 0, 2, 1 };

	memcpy(hp(F, a.va), av, 16);
	memcpy(hp(F, b.va), bv, 16);
	cmd_elt(C, &a, &b, &a, VNPU_ELT_DIV, 0);	/* in place */
	ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
	memcpy(av, hp(F, a.va), 16);
	EXPECT_EQ(INT32_MIN, av[0]);
	EXPECT_EQ(0, av[1]);
	EXPECT_EQ(-3, av[2]);
	EXPECT_EQ(INT32_MAX, av[3]);
	C->n = 0;
	cmd_elt(C, &a, &b, &a, VNPU_ELT_ADD, 0);	/* wraps */
	ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
	memcpy(av, hp(F, a.va), 16);
	EXPECT_EQ(INT32_MAX, av[0]);
	EXPECT_EQ(INT32_MIN, av[3]);
}

TEST_F(ops, eltwise_errors)
{
	uint32_t s35[2] = { 3, 5 }, s25[2] = { 2, 5 }, s5[1] = { 5 };
	struct tt a = mk(F, VNPU_DT_F32, 2, s35, NULL);
	struct tt b = mk(F, VNPU_DT_F32, 1, s5, NULL);
	struct tt o = mk(F, VNPU_DT_F32, 2, s35, NULL);
	struct tt bad = mk(F, VNPU_DT_F32, 2, s25, NULL);
	struct tt a8 = mk(F, VNPU_DT_I8, 2, s35, NULL);
	struct tt o32 = mk(F, VNPU_DT_I32, 2, s35, NULL);
	struct tt a32 = mk(F, VNPU_DT_I32, 2, s35, NULL);
	struct tt a8c = a8, a32q = a32, shifted = a;
	struct {
		const struct tt *a, *b, *o;
		unsigned int op, act;
		uint32_t want;
	} cases[] = {
		{ &a, &b, &o, VNPU_ELT_COUNT, 0, VNPU_JOB_BAD_CMD },
		{ &a, &b, &o, 0, VNPU_ACT_COUNT, VNPU_JOB_BAD_CMD },
		{ &bad, &b, &o, 0, 0, VNPU_JOB_BAD_TENSOR },	/* broadcast */
		{ &a, &b, &bad, 0, 0, VNPU_JOB_BAD_TENSOR },
		{ &a8, &b, &o, 0, 0, VNPU_JOB_BAD_DTYPE },
		{ &a32, &a32, &o32, 0, VNPU_ACT_RELU, VNPU_JOB_BAD_DTYPE },
		{ &a8c, &a8, &a8, 0, 0, VNPU_JOB_BAD_QUANT },
		{ &a32q, &a32, &o32, 0, 0, VNPU_JOB_BAD_QUANT },
		{ &a, &b, &shifted, 0, 0, VNPU_JOB_BAD_TENSOR },	/* partial alias */
	};

	quant_ch(F, &a8c, 1, 0.1f, 0);
	quant(&a32q, 2, 0);
	shifted.va += 4;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		C->n = 0;
		cmd_elt(C, cases[i].a, cases[i].b, cases[i].o, cases[i].op,
			cases[i].act);
		EXPECT_EQ(cases[i].want, run(F, C, R)) TH_LOG("case %zu", i);
	}
}

/* ---- ACTIVATION / SOFTMAX / REDUCE ---- */

static void cmd_unary(struct cb *c, unsigned int op, const struct tt *in,
		      const struct tt *out, uint32_t param)
{
	c_hdr(c, op);
	c_t(c, in);
	c_t(c, out);
	c_u32(c, param);
	c_u32(c, 0);
}

TEST_F(ops, activation_all)
{
	static const unsigned int dts[] = { VNPU_DT_F32, VNPU_DT_BF16,
					    VNPU_DT_I8, VNPU_DT_U8 };
	uint32_t shape[3] = { 3, 1, 7 }, istride[3] = { 40, 9, 5 };

	for (int dense_in = 0; dense_in < 2; dense_in++)
	for (size_t d = 0; d < ARRAY_SIZE(dts); d++) {
		for (unsigned int act = 1; act < VNPU_ACT_COUNT; act++) {
			struct tt in = mk(F, dts[d], 3, shape,
					  dense_in ? NULL : istride);
			struct tt out = mk(F, dts[d], 3, shape, NULL);
			double *iv, *ov;

			if (dts[d] == VNPU_DT_I8) {
				quant(&in, 0.05f, -3);
				quant(&out, 0.03f, 2);
			} else if (dts[d] == VNPU_DT_U8) {
				quant(&in, 0.04f, 128);
				quant(&out, 0.02f, 100);
			}
			fill_rand(F, &in);
			if (dts[d] == VNPU_DT_F32)	/* large values too */
				for (int i = 0; i < 5; i++)
					rawput(&in, t_at(F, &in, i, NULL),
					       (i - 2) * 7.5);
			C->n = 0;
			cmd_unary(C, VNPU_OP_ACTIVATION, &in, &out, act);
			ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
			iv = dense_real(F, &in);
			ov = dense(F, &out);
			for (uint64_t i = 0; i < t_elems(&out); i++) {
				double want = expect_store(&out,
						ref_act(act, iv[i]), 0);

				if (dts[d] == VNPU_DT_I8 || dts[d] == VNPU_DT_U8) {
					ASSERT_EQ(want, ov[i]);
				} else {
					ASSERT_TRUE(close_to(ov[i], want, want,
							     tol_of(dts[d])))
						TH_LOG("act %u got %g want %g",
						       act, ov[i], want);
				}
			}
			free(iv);
			free(ov);
			F->brk = CMD_AREA;
		}
	}
}

TEST_F(ops, activation_in_place_and_errors)
{
	uint32_t s[2] = { 2, 3 }, s2[2] = { 3, 2 };
	struct tt a = mk(F, VNPU_DT_F32, 2, s, NULL);
	struct tt b = mk(F, VNPU_DT_F32, 2, s2, NULL);
	struct tt i32 = mk(F, VNPU_DT_I32, 2, s, NULL);
	struct tt i8 = mk(F, VNPU_DT_I8, 2, s, NULL);
	struct tt i8c = i8;
	float v[6] = { -1, 2, -3, 4, -5, 6 };

	memcpy(hp(F, a.va), v, sizeof(v));
	cmd_unary(C, VNPU_OP_ACTIVATION, &a, &a, VNPU_ACT_RELU);
	ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
	memcpy(v, hp(F, a.va), sizeof(v));
	EXPECT_EQ(0, v[0]);
	EXPECT_EQ(6, v[5]);
	quant_ch(F, &i8c, 0, 0.1f, 0);

	C->n = 0;
	cmd_unary(C, VNPU_OP_ACTIVATION, &a, &b, VNPU_ACT_NONE);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_unary(C, VNPU_OP_ACTIVATION, &a, &b, VNPU_ACT_COUNT);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_unary(C, VNPU_OP_ACTIVATION, &a, &b, VNPU_ACT_RELU);
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_unary(C, VNPU_OP_ACTIVATION, &i32, &i32, VNPU_ACT_RELU);
	EXPECT_EQ(VNPU_JOB_BAD_DTYPE, run(F, C, R));
	C->n = 0;
	cmd_unary(C, VNPU_OP_ACTIVATION, &a, &i8, VNPU_ACT_RELU);
	EXPECT_EQ(VNPU_JOB_BAD_DTYPE, run(F, C, R));
	C->n = 0;
	cmd_unary(C, VNPU_OP_ACTIVATION, &i8c, &i8, VNPU_ACT_RELU);
	EXPECT_EQ(VNPU_JOB_BAD_QUANT, run(F, C, R));
	C->n = 0;
	cmd_unary(C, VNPU_OP_ACTIVATION, &a, &a, VNPU_ACT_RELU);
	C->b[C->n - 1] = 1;
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
}

TEST_F(ops, softmax_every_axis)
{
	static const unsigned int dts[] = { VNPU_DT_F32, VNPU_DT_BF16,
					    VNPU_DT_I8 };
	uint32_t shape[4] = { 2, 3, 5, 4 };

	for (size_t d = 0; d < ARRAY_SIZE(dts); d++) {
		for (unsigned int ax = 0; ax < 4; ax++) {
			struct tt in = mk(F, dts[d], 4, shape, NULL);
			struct tt out = mk(F, dts[d], 4, shape, NULL);
			int outer = 1, inner = 1;
			double *iv, *ov, *ref;

			if (dts[d] == VNPU_DT_I8) {
				quant(&in, 0.1f, 0);
				quant(&out, 1 / 256.0f, -128);
			}
			for (unsigned int i = 0; i < ax; i++)
				outer *= shape[i];
			for (unsigned int i = ax + 1; i < 4; i++)
				inner *= shape[i];
			fill_rand(F, &in);
			C->n = 0;
			cmd_unary(C, VNPU_OP_SOFTMAX, &in, &out, ax);
			ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
			iv = dense_real(F, &in);
			ov = dense(F, &out);
			ref = malloc(t_elems(&in) * sizeof(double));
			ref_softmax(outer, shape[ax], inner, iv, ref);
			for (uint64_t i = 0; i < t_elems(&out); i++) {
				double want = expect_store(&out, ref[i], 0);

				if (dts[d] == VNPU_DT_I8) {
					ASSERT_EQ(want, ov[i]);
				} else {
					ASSERT_TRUE(close_to(ov[i], want, want,
							     tol_of(dts[d])));
				}
			}
			free(iv);
			free(ov);
			free(ref);
			F->brk = CMD_AREA;
		}
	}
}

TEST_F(ops, softmax_errors)
{
	uint32_t s[2] = { 2, 3 };
	struct tt a = mk(F, VNPU_DT_F32, 2, s, NULL);
	struct tt b = mk(F, VNPU_DT_F32, 2, s, NULL);

	cmd_unary(C, VNPU_OP_SOFTMAX, &a, &b, 2);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_unary(C, VNPU_OP_SOFTMAX, &a, &a, 1);	/* no in-place */
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
}

TEST_F(ops, reduce_all)
{
	static const unsigned int dts[] = { VNPU_DT_F32, VNPU_DT_BF16,
					    VNPU_DT_I8 };
	int shape[4] = { 3, 4, 1, 5 };
	uint32_t ushape[4] = { 3, 4, 1, 5 };
	static const unsigned int masks[] = { 1, 2, 8, 5, 10, 15, 4 };

	for (size_t d = 0; d < ARRAY_SIZE(dts); d++)
	for (unsigned int op = 0; op < VNPU_RED_COUNT; op++)
	for (size_t m = 0; m < ARRAY_SIZE(masks); m++) {
		uint32_t os[4];
		struct tt in, out;
		double *iv, *ov, ref[64];

		for (int i = 0; i < 4; i++)
			os[i] = (masks[m] >> i) & 1 ? 1 : ushape[i];
		in = mk(F, dts[d], 4, ushape, NULL);
		out = mk(F, dts[d], 4, os, NULL);
		if (dts[d] == VNPU_DT_I8) {
			quant(&in, 0.05f, 1);
			quant(&out, 0.2f, -2);
		}
		fill_rand(F, &in);
		C->n = 0;
		cmd_unary(C, VNPU_OP_REDUCE, &in, &out,
			  op | masks[m] << VNPU_RED_AXES_SHIFT);
		ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
		iv = dense_real(F, &in);
		ov = dense(F, &out);
		ref_reduce(shape, masks[m], op, iv, ref);
		for (uint64_t i = 0; i < t_elems(&out); i++) {
			double want = expect_store(&out, ref[i], 0);

			if (dts[d] == VNPU_DT_I8) {
				ASSERT_EQ(want, ov[i]);
			} else {
				ASSERT_TRUE(close_to(ov[i], want, 60,
						     tol_of(dts[d])))
					TH_LOG("op %u mask %u got %g want %g",
					       op, masks[m], ov[i], want);
			}
		}
		free(iv);
		free(ov);
		F->brk = CMD_AREA;
	}
}

TEST_F(ops, reduce_errors)
{
	uint32_t s[2] = { 2, 3 }, s1[2] = { 1, 3 }, s3[1] = { 3 };
	struct tt a = mk(F, VNPU_DT_F32, 2, s, NULL);
	struct tt o = mk(F, VNPU_DT_F32, 2, s1, NULL);
	struct tt o1 = mk(F, VNPU_DT_F32, 1, s3, NULL);
	struct {
		const struct tt *o;
		uint32_t param, want;
	} cases[] = {
		{ &o, VNPU_RED_COUNT | 1 << 8, VNPU_JOB_BAD_CMD },
		{ &o, VNPU_RED_SUM, VNPU_JOB_BAD_CMD },		/* no axes */
		{ &o, VNPU_RED_SUM | 4 << 8, VNPU_JOB_BAD_CMD },	/* >= rank */
		{ &o, VNPU_RED_SUM | 1 << 8 | 1 << 12, VNPU_JOB_BAD_CMD },
		{ &o, VNPU_RED_SUM | 2 << 8, VNPU_JOB_BAD_TENSOR },
		{ &o1, VNPU_RED_SUM | 1 << 8, VNPU_JOB_BAD_TENSOR },	/* rank */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		C->n = 0;
		cmd_unary(C, VNPU_OP_REDUCE, &a, cases[i].o, cases[i].param);
		EXPECT_EQ(cases[i].want, run(F, C, R)) TH_LOG("case %zu", i);
	}
}

/* ---- LAYERNORM / RMSNORM ---- */

static void cmd_norm(struct cb *c, unsigned int op, const struct tt *in,
		     const struct tt *g, const struct tt *b,
		     const struct tt *out, float eps)
{
	c_hdr(c, op);
	c_t(c, in);
	c_t(c, g);
	c_t(c, b);
	c_t(c, out);
	memcpy(c->b + c->n, &eps, 4);
	c->n += 8;
}

TEST_F(ops, norms)
{
	static const unsigned int dts[] = { VNPU_DT_F32, VNPU_DT_BF16,
					    VNPU_DT_I8 };
	uint32_t shape[3] = { 2, 3, 9 }, cs[1] = { 9 };

	for (size_t d = 0; d < ARRAY_SIZE(dts); d++)
	for (int rms = 0; rms < 2; rms++)
	for (int affine = 0; affine < 2; affine++) {
		struct tt in = mk(F, dts[d], 3, shape, NULL);
		struct tt out = mk(F, dts[d], 3, shape, NULL);
		struct tt g = mk(F, VNPU_DT_F32, 1, cs, NULL);
		struct tt b = mk(F, VNPU_DT_BF16, 1, cs, NULL);
		double *iv, *ov, *gv, *bv, ref[54];

		if (dts[d] == VNPU_DT_I8) {
			quant(&in, 0.02f, 4);
			quant(&out, 0.03f, -1);
		}
		fill_rand(F, &in);
		fill_rand(F, &g);
		fill_rand(F, &b);
		C->n = 0;
		cmd_norm(C, rms ? VNPU_OP_RMSNORM : VNPU_OP_LAYERNORM, &in,
			 affine ? &g : NULL, affine ? &b : NULL, &out, 1e-5f);
		ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
		iv = dense_real(F, &in);
		ov = dense(F, &out);
		gv = dense(F, &g);
		bv = dense(F, &b);
		ref_norm(6, 9, iv, affine ? gv : NULL, affine ? bv : NULL,
			 (double)1e-5f, rms, ref);
		for (int i = 0; i < 54; i++) {
			double want = expect_store(&out, ref[i], 0);

			if (dts[d] == VNPU_DT_I8) {
				ASSERT_EQ(want, ov[i]);
			} else {
				ASSERT_TRUE(close_to(ov[i], want, want,
						     tol_of(dts[d])))
					TH_LOG("rms %d el %d got %g want %g",
					       rms, i, ov[i], want);
			}
		}
		free(iv);
		free(ov);
		free(gv);
		free(bv);
		F->brk = CMD_AREA;
	}
}

TEST_F(ops, norm_errors)
{
	uint32_t s[2] = { 2, 4 }, c4[1] = { 4 }, c3[1] = { 3 };
	struct tt in = mk(F, VNPU_DT_F32, 2, s, NULL);
	struct tt out = mk(F, VNPU_DT_F32, 2, s, NULL);
	struct tt g3 = mk(F, VNPU_DT_F32, 1, c3, NULL);
	struct tt g8 = mk(F, VNPU_DT_I8, 1, c4, NULL);

	cmd_norm(C, VNPU_OP_LAYERNORM, &in, NULL, NULL, &out, NAN);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_norm(C, VNPU_OP_RMSNORM, &in, NULL, NULL, &out, -1);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_norm(C, VNPU_OP_LAYERNORM, &in, &g3, NULL, &out, 0);
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_norm(C, VNPU_OP_LAYERNORM, &in, NULL, &g8, &out, 0);
	EXPECT_EQ(VNPU_JOB_BAD_DTYPE, run(F, C, R));
	C->n = 0;
	cmd_norm(C, VNPU_OP_LAYERNORM, &in, NULL, NULL, &in, 0);
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
}

/* ---- POOL2D ---- */

static void cmd_pool(struct cb *c, const struct tt *in, const struct tt *out,
		     const uint16_t p[8], unsigned int mode)
{
	c_hdr(c, VNPU_OP_POOL2D);
	c_t(c, in);
	c_t(c, out);
	for (int i = 0; i < 8; i++)
		c_u16(c, p[i]);
	c_u32(c, mode);
	c_u32(c, 0);
}

TEST_F(ops, pool_all)
{
	static const struct {
		unsigned int dt, mode;
		int n, h, w, c;
		uint16_t p[8];	/* kh kw sh sw pt pb pl pr */
	} cases[] = {
		{ VNPU_DT_F32, VNPU_POOL_MAX, 2, 7, 6, 3, { 3, 3, 2, 2, 1, 1,
							     1, 1 } },
		{ VNPU_DT_F32, VNPU_POOL_AVG, 1, 5, 5, 2, { 2, 3, 1, 2, 1, 0,
							     2, 1 } },
		{ VNPU_DT_F32, VNPU_POOL_AVG, 1, 1, 1, 1, { 1, 1, 1, 1 } },
		{ VNPU_DT_BF16, VNPU_POOL_MAX, 1, 4, 4, 5, { 2, 2, 2, 2 } },
		{ VNPU_DT_I8, VNPU_POOL_AVG, 1, 6, 5, 4, { 3, 3, 1, 1, 1, 1, 1,
							    1 } },
		{ VNPU_DT_U8, VNPU_POOL_MAX, 2, 3, 3, 2, { 2, 2, 1, 1 } },
		{ VNPU_DT_F32, VNPU_POOL_GLOBAL_AVG, 2, 5, 7, 3 },
		{ VNPU_DT_F32, VNPU_POOL_GLOBAL_MAX, 1, 4, 3, 6 },
		{ VNPU_DT_I8, VNPU_POOL_GLOBAL_AVG, 1, 3, 3, 2 },
		/* F32 vector blocks of 16 and 4 channels, then single ones */
		{ VNPU_DT_F32, VNPU_POOL_MAX, 2, 6, 5, 37, { 3, 2, 2, 1, 1, 1,
							     1, 0 } },
		{ VNPU_DT_F32, VNPU_POOL_AVG, 1, 5, 4, 21, { 2, 2, 2, 2, 1, 0,
							     0, 1 } },
		{ VNPU_DT_F32, VNPU_POOL_GLOBAL_MAX, 1, 3, 4, 20 },
		{ VNPU_DT_F32, VNPU_POOL_GLOBAL_AVG, 2, 4, 3, 16 },
	};

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		const uint16_t *p = cases[k].p;
		bool glob = cases[k].mode >= VNPU_POOL_GLOBAL_MAX;
		int kh = glob ? cases[k].h : p[0], kw = glob ? cases[k].w : p[1];
		int sh = glob ? 1 : p[2], sw = glob ? 1 : p[3];
		int oh = (cases[k].h + p[4] + p[5] - kh) / sh + 1;
		int ow = (cases[k].w + p[6] + p[7] - kw) / sw + 1;
		uint32_t is[4] = { cases[k].n, cases[k].h, cases[k].w,
				   cases[k].c };
		uint32_t os[4] = { cases[k].n, oh, ow, cases[k].c };
		struct tt in = mk(F, cases[k].dt, 4, is, NULL);
		struct tt out = mk(F, cases[k].dt, 4, os, NULL);
		int max = cases[k].mode == VNPU_POOL_MAX ||
			  cases[k].mode == VNPU_POOL_GLOBAL_MAX;
		double *iv, *ov, *ref;

		if (cases[k].dt == VNPU_DT_I8 || cases[k].dt == VNPU_DT_U8) {
			quant(&in, 0.1f, cases[k].dt == VNPU_DT_U8 ? 128 : 0);
			quant(&out, 0.05f, cases[k].dt == VNPU_DT_U8 ? 128 : 1);
		}
		fill_rand(F, &in);
		C->n = 0;
		cmd_pool(C, &in, &out, p, cases[k].mode);
		ASSERT_EQ(VNPU_JOB_OK, run(F, C, R)) TH_LOG("case %zu", k);
		iv = dense_real(F, &in);
		ov = dense(F, &out);
		ref = malloc(t_elems(&out) * sizeof(double));
		ref_pool(cases[k].n, cases[k].h, cases[k].w, cases[k].c, kh, kw,
			 sh, sw, p[4], p[6], oh, ow, max, iv, ref);
		for (uint64_t i = 0; i < t_elems(&out); i++) {
			double want = expect_store(&out, ref[i], 0);

			if (cases[k].dt == VNPU_DT_I8 ||
			    cases[k].dt == VNPU_DT_U8) {
				ASSERT_EQ(want, ov[i]);
			} else {
				ASSERT_TRUE(close_to(ov[i], want, want,
						     tol_of(cases[k].dt)))
					TH_LOG("case %zu el %lu", k,
					       (unsigned long)i);
			}
		}
		free(iv);
		free(ov);
		free(ref);
		F->brk = CMD_AREA;
	}
}

/*
 * F32 pools with contiguous channels (the vector path) give the same bits
 * as with channels two elements apart (the generic per-element loop), also
 * for NaN, infinities and signed zeros, in every window mode (a mean that
 * is NaN only has to be NaN).
 */
TEST_F(ops, pool_f32_fast_path_bit_exact)
{
	static const struct {
		unsigned int mode;
		uint16_t p[8];	/* kh kw sh sw pt pb pl pr */
	} cases[] = {
		{ VNPU_POOL_MAX, { 3, 3, 2, 1, 1, 1, 1, 1 } },
		{ VNPU_POOL_AVG, { 3, 2, 1, 2, 2, 1, 1, 0 } },
		{ VNPU_POOL_MAX, { 2, 2, 2, 2 } },
		{ VNPU_POOL_GLOBAL_MAX },
		{ VNPU_POOL_GLOBAL_AVG },
	};
	static const float special[] = { NAN, -NAN, INFINITY, -INFINITY,
					 0.0f, -0.0f, 1e30f, -1e-30f };
	const uint32_t n = 2, h = 5, w = 6, c = 41;

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		const uint16_t *p = cases[k].p;
		bool glob = cases[k].mode >= VNPU_POOL_GLOBAL_MAX;
		uint32_t kh = glob ? h : p[0], kw = glob ? w : p[1];
		uint32_t sh = glob ? 1 : p[2], sw = glob ? 1 : p[3];
		uint32_t is[4] = { n, h, w, c };
		uint32_t ss[4] = { h * w * c * 2, w * c * 2, c * 2, 2 };
		uint32_t os[4] = { n, (h + p[4] + p[5] - kh) / sh + 1,
				   (w + p[6] + p[7] - kw) / sw + 1, c };
		struct tt in = mk(F, VNPU_DT_F32, 4, is, NULL);
		struct tt ins = mk(F, VNPU_DT_F32, 4, is, ss);
		struct tt out = mk(F, VNPU_DT_F32, 4, os, NULL);
		struct tt outs = mk(F, VNPU_DT_F32, 4, os, NULL);
		bool max = cases[k].mode == VNPU_POOL_MAX ||
			   cases[k].mode == VNPU_POOL_GLOBAL_MAX;

		fill_rand(F, &in);
		for (uint64_t i = 0; i < t_elems(&in); i++) {
			float v;

			if (rnd() % 5 == 0)
				memcpy(t_at(F, &in, i, NULL),
				       &special[rnd() % ARRAY_SIZE(special)],
				       4);
			memcpy(&v, t_at(F, &in, i, NULL), 4);
			memcpy(t_at(F, &ins, i, NULL), &v, 4);
		}
		C->n = 0;
		cmd_pool(C, &in, &out, p, cases[k].mode);
		ASSERT_EQ(VNPU_JOB_OK, run(F, C, R)) TH_LOG("case %zu", k);
		C->n = 0;
		cmd_pool(C, &ins, &outs, p, cases[k].mode);
		ASSERT_EQ(VNPU_JOB_OK, run(F, C, R)) TH_LOG("case %zu", k);
		for (uint64_t i = 0; i < t_elems(&out); i++) {
			uint32_t a, b;

			memcpy(&a, t_at(F, &out, i, NULL), 4);
			memcpy(&b, t_at(F, &outs, i, NULL), 4);
			/*
			 * Which NaN a sum of NaNs gives depends on the
			 * compiler's operand order (x86 keeps the first).
			 */
			if (!max && isnan(rawget(&out, (uint8_t *)&a)) &&
			    isnan(rawget(&out, (uint8_t *)&b)))
				continue;
			ASSERT_EQ(a, b) TH_LOG("case %zu el %lu", k,
					       (unsigned long)i);
		}
		F->brk = CMD_AREA;
	}
}

TEST_F(ops, pool_errors)
{
	uint32_t is[4] = { 1, 4, 4, 2 }, os[4] = { 1, 2, 2, 2 },
		 os1[4] = { 1, 1, 1, 2 }, i3[3] = { 4, 4, 2 };
	struct tt in = mk(F, VNPU_DT_F32, 4, is, NULL);
	struct tt out = mk(F, VNPU_DT_F32, 4, os, NULL);
	struct tt g = mk(F, VNPU_DT_F32, 4, os1, NULL);
	struct tt r3 = mk(F, VNPU_DT_F32, 3, i3, NULL);
	struct tt o8 = mk(F, VNPU_DT_I8, 4, os, NULL);
	static const uint16_t ok[8] = { 2, 2, 2, 2 }, k0[8] = { 0, 2, 2, 2 },
		s0[8] = { 2, 2, 0, 2 }, pad[8] = { 2, 2, 2, 2, 2 },
		big[8] = { 3, 3, 2, 2 }, z[8] = { 0 };

	cmd_pool(C, &in, &out, ok, VNPU_POOL_COUNT);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_pool(C, &in, &out, k0, VNPU_POOL_MAX);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_pool(C, &in, &out, s0, VNPU_POOL_MAX);
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_pool(C, &in, &out, pad, VNPU_POOL_AVG);	/* pad >= kernel */
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_pool(C, &in, &g, ok, VNPU_POOL_GLOBAL_MAX);	/* fields set */
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	C->n = 0;
	cmd_pool(C, &in, &out, big, VNPU_POOL_MAX);	/* wrong OH */
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_pool(C, &in, &out, z, VNPU_POOL_GLOBAL_AVG);	/* OH != 1 */
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_pool(C, &r3, &out, ok, VNPU_POOL_MAX);
	EXPECT_EQ(VNPU_JOB_BAD_TENSOR, run(F, C, R));
	C->n = 0;
	cmd_pool(C, &in, &o8, ok, VNPU_POOL_MAX);
	EXPECT_EQ(VNPU_JOB_BAD_DTYPE, run(F, C, R));
}

/* ---- QUANTIZE / DEQUANTIZE / CAST ---- */

static void cmd_conv_t(struct cb *c, unsigned int op, const struct tt *in,
		       const struct tt *out)
{
	c_hdr(c, op);
	c_t(c, in);
	c_t(c, out);
}

TEST_F(ops, quantize_rounding_and_saturation)
{
	uint32_t s[1] = { 12 };
	struct tt in = mk(F, VNPU_DT_F32, 1, s, NULL);
	struct tt out = mk(F, VNPU_DT_I8, 1, s, NULL);
	float v[12] = { 2.5f, -2.5f, 3.5f, -3.5f, 0.5f, 1.5f, 1000, -1000,
			NAN, INFINITY, -0.49f, 2.51f };
	int8_t want[12] = { 2 + 1, -2 + 1, 4 + 1, -4 + 1, 0 + 1, 2 + 1, 127,
			    -128, 1, 127, 0 + 1, 3 + 1 };
	int8_t got[12];

	memcpy(hp(F, in.va), v, sizeof(v));
	quant(&out, 1.0f, 1);
	cmd_conv_t(C, VNPU_OP_QUANTIZE, &in, &out);
	ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
	memcpy(got, hp(F, out.va), 12);
	for (int i = 0; i < 12; i++) {
		EXPECT_EQ(want[i], got[i]) TH_LOG("el %d", i);
	}
	EXPECT_EQ(48, R->bytes_read);
	EXPECT_EQ(12, R->bytes);
}

TEST_F(ops, quantize_dequantize_per_tensor_and_channel)
{
	static const unsigned int qdts[] = { VNPU_DT_I8, VNPU_DT_U8,
					     VNPU_DT_I32 };
	uint32_t shape[3] = { 3, 4, 5 };

	for (size_t d = 0; d < ARRAY_SIZE(qdts); d++)
	for (int pc = 0; pc < 2; pc++)
	for (int fdt = VNPU_DT_F32; fdt <= VNPU_DT_BF16; fdt++) {
		struct tt f = mk(F, fdt, 3, shape, NULL);
		struct tt q = mk(F, qdts[d], 3, shape, NULL);
		struct tt back = mk(F, fdt, 3, shape, NULL);
		int32_t zp = qdts[d] == VNPU_DT_U8 ? 128 :
			     qdts[d] == VNPU_DT_I8 ? -3 : 0;
		double *fv, *qv, *bv;

		if (pc)
			quant_ch(F, &q, 1, 0.01f, zp ? zp : 1);
		else
			quant(&q, 0.0123f, zp);
		if (pc && qdts[d] == VNPU_DT_I32)
			for (int i = 0; i < 4; i++) {
				q.cz[i] = 0;
				memset(hp(F, q.qva + 8 * i + 4), 0, 4);
			}
		fill_rand(F, &f);
		for (int i = 0; i < 3; i++)	/* saturating values */
			rawput(&f, t_at(F, &f, i, NULL), (i - 1) * 100.0);
		C->n = 0;
		cmd_conv_t(C, VNPU_OP_QUANTIZE, &f, &q);
		cmd_conv_t(C, VNPU_OP_DEQUANTIZE, &q, &back);
		ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
		EXPECT_EQ(2, R->commands);
		fv = dense(F, &f);
		qv = dense(F, &q);
		bv = dense(F, &back);
		for (uint64_t i = 0; i < t_elems(&f); i++) {
			unsigned int c = t_ch(&q, i);
			double lo, hi, dq;

			irange(qdts[d], &lo, &hi);
			ASSERT_EQ(ref_round_sat((double)fv[i] /
						(double)t_scale(&q, c),
						t_zp(&q, c), lo, hi), qv[i])
				TH_LOG("el %lu", (unsigned long)i);
			dq = (float)((double)t_scale(&q, c) *
				     (qv[i] - t_zp(&q, c)));
			if (fdt == VNPU_DT_BF16)
				dq = ref_bf16(dq);
			ASSERT_EQ(dq, bv[i]);
		}
		free(fv);
		free(qv);
		free(bv);
		F->brk = CMD_AREA;
	}
}

TEST_F(ops, cast_every_pair)
{
	uint32_t s[1] = { 10 };
	static const double vals[10] = { 0, 1, -1, 2.5, -2.5, 127.5, 300,
					 -300, 1e10, 16777217 };

	for (unsigned int from = 1; from < VNPU_DT_COUNT; from++)
	for (unsigned int to = 1; to < VNPU_DT_COUNT; to++) {
		struct tt in = mk(F, from, 1, s, NULL);
		struct tt out = mk(F, to, 1, s, NULL);
		double *iv, *ov;

		for (int i = 0; i < 10; i++) {
			double v = vals[i], lo, hi;

			if (from != VNPU_DT_F32 && from != VNPU_DT_BF16) {
				irange(from, &lo, &hi);
				v = v < lo ? lo : v > hi ? hi : trunc(v);
			}
			rawput(&in, t_at(F, &in, i, NULL), v);
		}
		C->n = 0;
		cmd_conv_t(C, VNPU_OP_CAST, &in, &out);
		ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
		iv = dense(F, &in);
		ov = dense(F, &out);
		for (int i = 0; i < 10; i++) {
			double want;

			if (to == VNPU_DT_F32)
				want = (float)iv[i];
			else if (to == VNPU_DT_BF16)
				want = ref_bf16((float)iv[i]);
			else {
				double lo, hi;

				irange(to, &lo, &hi);
				want = ref_round_sat(iv[i], 0, lo, hi);
			}
			ASSERT_EQ(want, ov[i]) TH_LOG("%u -> %u el %d", from,
						      to, i);
		}
		free(iv);
		free(ov);
		F->brk = CMD_AREA;
	}
}

TEST_F(ops, convert_errors)
{
	uint32_t s[1] = { 4 }, s5[1] = { 5 };
	struct tt f = mk(F, VNPU_DT_F32, 1, s, NULL);
	struct tt f5 = mk(F, VNPU_DT_F32, 1, s5, NULL);
	struct tt q = mk(F, VNPU_DT_I8, 1, s, NULL);
	struct tt i8 = mk(F, VNPU_DT_I8, 1, s, NULL);
	struct tt f2 = mk(F, VNPU_DT_F32, 1, s, NULL);
	struct {
		unsigned int op;
		const struct tt *in, *out;
		uint32_t want;
	} cases[] = {
		{ VNPU_OP_QUANTIZE, &q, &q, VNPU_JOB_BAD_DTYPE },
		{ VNPU_OP_QUANTIZE, &f, &f2, VNPU_JOB_BAD_DTYPE },
		{ VNPU_OP_QUANTIZE, &f, &i8, VNPU_JOB_BAD_QUANT },
		{ VNPU_OP_DEQUANTIZE, &f, &f2, VNPU_JOB_BAD_DTYPE },
		{ VNPU_OP_DEQUANTIZE, &q, &i8, VNPU_JOB_BAD_DTYPE },
		{ VNPU_OP_DEQUANTIZE, &i8, &f, VNPU_JOB_BAD_QUANT },
		{ VNPU_OP_CAST, &q, &f, VNPU_JOB_BAD_QUANT },
		{ VNPU_OP_CAST, &f, &f5, VNPU_JOB_BAD_TENSOR },
	};

	quant(&q, 0.5f, 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		C->n = 0;
		cmd_conv_t(C, cases[i].op, cases[i].in, cases[i].out);
		EXPECT_EQ(cases[i].want, run(F, C, R)) TH_LOG("case %zu", i);
	}
}

/* ---- Semaphores and barrier ---- */

static void cmd_sem(struct cb *c, unsigned int op, uint64_t va,
		    uint32_t value, uint32_t sop, uint32_t tmo)
{
	c_hdr(c, op);
	c_u64(c, va);
	c_u32(c, value);
	c_u32(c, sop);
	c_u32(c, tmo);
	c_u32(c, 0);
}

static uint32_t sem_get(struct fake *f, uint64_t va)
{
	uint32_t v;

	memcpy(&v, hp(f, va), 4);
	return v;
}

TEST_F(ops, semaphores_and_barrier)
{
	uint64_t sem = fk_alloc(F, 8);

	cmd_sem(C, VNPU_OP_SEM_SIGNAL, sem, 5, VNPU_SEM_SET, 0);
	cmd_sem(C, VNPU_OP_SEM_SIGNAL, sem, 3, VNPU_SEM_ADD, 0);
	c_hdr(C, VNPU_OP_BARRIER);
	cmd_sem(C, VNPU_OP_SEM_WAIT, sem, 8, VNPU_SEM_EQ, 1000);
	cmd_sem(C, VNPU_OP_SEM_WAIT, sem, 7, VNPU_SEM_GE, 1000);
	ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
	EXPECT_EQ(8, sem_get(F, sem));
	EXPECT_EQ(5, R->commands);
	/* ADD wraps. */
	C->n = 0;
	cmd_sem(C, VNPU_OP_SEM_SIGNAL, sem, 0xfffffffe, VNPU_SEM_ADD, 0);
	ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
	EXPECT_EQ(6, sem_get(F, sem));
}

TEST_F(ops, sem_wait_until_changed)
{
	uint64_t sem = fk_alloc(F, 8);

	/* The fake memory stores 9 on the third poll. */
	F->sem_va = sem;
	F->sem_after = 9;
	cmd_sem(C, VNPU_OP_SEM_WAIT, sem, 9, VNPU_SEM_EQ, 0);
	ASSERT_EQ(VNPU_JOB_OK, run(F, C, R));
	EXPECT_EQ(3, F->sem_polls);
}

TEST_F(ops, sem_wait_timeout_and_abort)
{
	uint64_t sem = fk_alloc(F, 8);

	cmd_sem(C, VNPU_OP_SEM_WAIT, sem, 1, VNPU_SEM_EQ, 2000);
	EXPECT_EQ(VNPU_JOB_SEM_TIMEOUT, run(F, C, R));
	EXPECT_EQ(0, R->cmd_index);
	/* A reset ends the wait even with the longest limit. */
	F->abort_after = 5;
	C->n = 0;
	cmd_sem(C, VNPU_OP_SEM_WAIT, sem, 1, VNPU_SEM_GE, 0);
	EXPECT_EQ(VNPU_JOB_ABORTED, run(F, C, R));
}

TEST_F(ops, sem_errors)
{
	uint64_t sem = fk_alloc(F, 8);
	struct {
		unsigned int op;
		uint64_t va;
		uint32_t sop, tmo, want;
	} cases[] = {
		{ VNPU_OP_SEM_WAIT, sem + 2, 0, 1, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_SEM_WAIT, sem, 2, 1, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_SEM_WAIT, sem, 0, VNPU_SEM_TIMEOUT_MAX_US + 1,
		  VNPU_JOB_BAD_CMD },
		{ VNPU_OP_SEM_SIGNAL, sem + 1, 0, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_SEM_SIGNAL, sem, 2, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_SEM_SIGNAL, sem, 0, 5, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_SEM_WAIT, 0x1000, 0, 1, VNPU_JOB_MMU_FAULT },
		{ VNPU_OP_SEM_SIGNAL, 0x1000, 0, 0, VNPU_JOB_MMU_FAULT },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		C->n = 0;
		cmd_sem(C, cases[i].op, cases[i].va, 0, cases[i].sop,
			cases[i].tmo);
		EXPECT_EQ(cases[i].want, run(F, C, R)) TH_LOG("case %zu", i);
	}
	/* Reserved word. */
	C->n = 0;
	cmd_sem(C, VNPU_OP_SEM_SIGNAL, sem, 0, 0, 0);
	C->b[C->n - 1] = 1;
	EXPECT_EQ(VNPU_JOB_BAD_CMD, run(F, C, R));
	/* ADD needs READ as well as WRITE. */
	F->deny_va = sem;
	F->deny_len = 4;
	F->deny_access = VNPU_ACCESS_READ;
	C->n = 0;
	cmd_sem(C, VNPU_OP_SEM_SIGNAL, sem, 1, VNPU_SEM_ADD, 0);
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, run(F, C, R));
	C->n = 0;
	cmd_sem(C, VNPU_OP_SEM_SIGNAL, sem, 1, VNPU_SEM_SET, 0);
	EXPECT_EQ(VNPU_JOB_OK, run(F, C, R));
	F->deny_access = 0;
}

/* Engines run jobs on several threads at once: the math must not mind. */
struct gemm_thread {
	struct fake f;
	unsigned int m, n, k, iters;
	int ok;
};

static void *gemm_thread_fn(void *arg)
{
	struct gemm_thread *g = arg;
	struct fake *f = &g->f;
	unsigned int M = g->m, N = g->n, K = g->k;
	struct tt a = mk_mat(f, VNPU_DT_F32, 0, M, K, 0, 0);
	struct tt b = mk_mat(f, VNPU_DT_F32, 0, K, N, 0, 0);
	struct tt out = mk_mat(f, VNPU_DT_F32, 0, M, N, 0, 0);
	struct cb c = { .n = 0 };
	VnpuJobResult r;
	double *av, *bv, *ov, *ref, *sa;

	for (uint64_t i = 0; i < t_elems(&a); i++)
		rawput(&a, t_at(f, &a, i, NULL), (double)(i % 13) / 7 - 0.9);
	for (uint64_t i = 0; i < t_elems(&b); i++)
		rawput(&b, t_at(f, &b, i, NULL), (double)(i % 11) / 5 - 1);
	cmd_gemm(&c, &a, &b, NULL, &out, 0);
	g->ok = 1;
	av = dense(f, &a);
	bv = dense(f, &b);
	ref = malloc((size_t)M * N * sizeof(double));
	sa = malloc((size_t)M * N * sizeof(double));
	ref_matmul(M, N, K, av, bv, NULL, ref, sa);
	for (unsigned int it = 0; it < g->iters && g->ok; it++) {
		memset(hp(f, out.va), 0, t_span(&out));
		if (run(f, &c, &r) != VNPU_JOB_OK)
			g->ok = 0;
		ov = dense(f, &out);
		for (unsigned int i = 0; i < M * N; i++)
			if (!close_to(ov[i], ref[i], sa[i], 1e-5))
				g->ok = 0;
		free(ov);
	}
	free(av);
	free(bv);
	free(ref);
	free(sa);
	return NULL;
}

static void run_concurrent_gemm(struct __test_metadata *_metadata,
				unsigned int m, unsigned int n, unsigned int k,
				unsigned int iters)
{
	struct gemm_thread g[3];
	pthread_t th[3];

	for (int i = 0; i < 3; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].m = m;
		g[i].n = n;
		g[i].k = k;
		g[i].iters = iters;
		g[i].f.mem = calloc(1, MEM_SIZE);
		ASSERT_NE(NULL, g[i].f.mem);
		g[i].f.brk = CMD_AREA;
		g[i].f.chunk = i == 1 ? PG : 0;
		g[i].f.abort_after = -1;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, gemm_thread_fn, &g[i]));
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(1, g[i].ok) TH_LOG("thread %d", i);
		EXPECT_EQ(0, g[i].f.live);
		free(g[i].f.mem);
	}
}

TEST(concurrent_gemm)
{
	run_concurrent_gemm(_metadata, 96, 72, 80, 20);
}

/*
 * Large F32 GEMMs from three threads: one job at a time has the panel
 * pool, the others compute their panels alone.
 */
TEST(concurrent_gemm_panels)
{
	setenv("VNPU_ENGINE_GEMM_THREADS", "2", 1);
	run_concurrent_gemm(_metadata, 160, 256, 420, 4);
	unsetenv("VNPU_ENGINE_GEMM_THREADS");
}

/*
 * int8 and bf16 GEMM from several threads at once, each with its own
 * shapes (the oneDNN primitives are cached per thread): exact int32 sums
 * and bf16 within tolerance, 20 rounds each.
 */
static void *gemm_lowp_thread_fn(void *arg)
{
	struct gemm_thread *g = arg;
	struct fake *f = &g->f;
	int M = 24 + 8 * g->ok, N = 40 - 4 * g->ok, K = 56 + g->ok;
	struct tt a = mk_mat(f, VNPU_DT_U8, 0, M, K, 0, 0);
	struct tt b = mk_mat(f, VNPU_DT_I8, 0, K, N, g->ok == 1, 0);
	struct tt o = mk_mat(f, VNPU_DT_I32, 0, M, N, 0, 0);
	struct tt ha = mk_mat(f, VNPU_DT_BF16, 0, M, K, 0, 0);
	struct tt hb = mk_mat(f, VNPU_DT_BF16, 0, K, N, 0, 0);
	struct tt ho = mk_mat(f, VNPU_DT_F32, 0, M, N, 0, 0);
	struct cb ci = { .n = 0 }, ch = { .n = 0 };
	int32_t *ai = malloc(M * K * 4), *bi = malloc(K * N * 4);
	int32_t *acc = malloc(M * N * 4), zb[64];
	double *av, *bv, *ov, *ref = malloc(M * N * 8), *sa = malloc(M * N * 8);
	VnpuJobResult r;

	quant(&a, 1, 100 + g->ok);
	quant(&b, 1, -3);
	for (uint64_t i = 0; i < t_elems(&a); i++) {
		rawput(&a, t_at(f, &a, i, NULL), (i * 37 + g->ok) % 256);
		rawput(&ha, t_at(f, &ha, i, NULL), ref_bf16((double)(i % 17) / 9 - 0.8));
	}
	for (uint64_t i = 0; i < t_elems(&b); i++) {
		rawput(&b, t_at(f, &b, i, NULL), (int)((i * 53) % 256) - 128);
		rawput(&hb, t_at(f, &hb, i, NULL), ref_bf16((double)(i % 7) / 3 - 1));
	}
	cmd_gemm(&ci, &a, &b, NULL, &o, 0);
	cmd_gemm(&ch, &ha, &hb, NULL, &ho, 0);
	av = dense(f, &a);
	bv = dense(f, &b);
	for (int i = 0; i < M * K; i++)
		ai[i] = av[i];
	for (int i = 0; i < K * N; i++)
		bi[i] = bv[i];
	for (int j = 0; j < N; j++)
		zb[j] = -3;
	ref_matmul_int(M, N, K, ai, a.zp, bi, zb, NULL, acc);
	free(av);
	free(bv);
	av = dense(f, &ha);
	bv = dense(f, &hb);
	ref_matmul(M, N, K, av, bv, NULL, ref, sa);
	g->ok = 1;
	for (int it = 0; it < 20 && g->ok; it++) {
		memset(hp(f, o.va), 0, t_span(&o));
		memset(hp(f, ho.va), 0, t_span(&ho));
		if (run(f, &ci, &r) != VNPU_JOB_OK || run(f, &ch, &r) != VNPU_JOB_OK)
			g->ok = 0;
		ov = dense(f, &o);
		for (int i = 0; i < M * N; i++)
			if (ov[i] != acc[i])
				g->ok = 0;
		free(ov);
		ov = dense(f, &ho);
		for (int i = 0; i < M * N; i++)
			if (!close_to(ov[i], ref[i], sa[i], 1e-2))
				g->ok = 0;
		free(ov);
	}
	free(av);
	free(bv);
	free(ai);
	free(bi);
	free(acc);
	free(ref);
	free(sa);
	return NULL;
}

TEST(concurrent_gemm_int8_bf16)
{
	struct gemm_thread g[3];
	pthread_t th[3];

	for (int i = 0; i < 3; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].f.mem = calloc(1, MEM_SIZE);
		ASSERT_NE(NULL, g[i].f.mem);
		g[i].f.brk = CMD_AREA;
		g[i].f.chunk = i == 2 ? PG : 0;
		g[i].f.abort_after = -1;
		g[i].ok = i;		/* the thread's shape variant */
		ASSERT_EQ(0, pthread_create(&th[i], NULL, gemm_lowp_thread_fn,
					    &g[i]));
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(1, g[i].ok) TH_LOG("thread %d", i);
		EXPECT_EQ(0, g[i].f.live);
		free(g[i].f.mem);
	}
}

/* Every opcode's word count matches its struct. */
TEST(isa_word_counts)
{
	EXPECT_EQ(1, vnpu_cmd_words(VNPU_OP_BARRIER));
	EXPECT_EQ(4, vnpu_cmd_words(VNPU_OP_SEM_WAIT));
	EXPECT_EQ(4, vnpu_cmd_words(VNPU_OP_SEM_SIGNAL));
	EXPECT_EQ(18, vnpu_cmd_words(VNPU_OP_COPY_ND));
	EXPECT_EQ(34, vnpu_cmd_words(VNPU_OP_GEMM));
	EXPECT_EQ(36, vnpu_cmd_words(VNPU_OP_CONV2D));
	EXPECT_EQ(26, vnpu_cmd_words(VNPU_OP_ELTWISE));
	EXPECT_EQ(18, vnpu_cmd_words(VNPU_OP_ACTIVATION));
	EXPECT_EQ(18, vnpu_cmd_words(VNPU_OP_SOFTMAX));
	EXPECT_EQ(34, vnpu_cmd_words(VNPU_OP_LAYERNORM));
	EXPECT_EQ(34, vnpu_cmd_words(VNPU_OP_RMSNORM));
	EXPECT_EQ(18, vnpu_cmd_words(VNPU_OP_REDUCE));
	EXPECT_EQ(20, vnpu_cmd_words(VNPU_OP_POOL2D));
	EXPECT_EQ(17, vnpu_cmd_words(VNPU_OP_QUANTIZE));
	EXPECT_EQ(17, vnpu_cmd_words(VNPU_OP_DEQUANTIZE));
	EXPECT_EQ(17, vnpu_cmd_words(VNPU_OP_CAST));
	EXPECT_EQ(0, vnpu_cmd_words(VNPU_OP_COUNT));
}

TEST_HARNESS_MAIN
