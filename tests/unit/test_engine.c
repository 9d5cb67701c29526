// SPDX-License-Identifier: MIT
/*
 * Host unit tests of the vnpu command engine (qemu-device/engine), with a
 * fake flat memory and a fake page mapping instead of QEMU: every command,
 * every validation error, odd sizes, page-crossing transfers, zero sizes,
 * aborts, descriptor checks and the MMU walk.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "vnpu_engine.h"

#define PG		VNPU_PAGE_SIZE
#define NPAGES		64
#define VA0		0x40000000ull	/* fake VA page i is VA0 + i * PG */
#define CLOCK		0x1122334455667788ull

#define P_R		VNPU_PTE_READ
#define P_W		VNPU_PTE_WRITE
#define P_RW		(P_R | P_W)

/* Fake address space: VA page i -> physical page map[i] with perms. */
struct fake {
	uint8_t *mem;			/* NPAGES physical pages */
	int phys[NPAGES];		/* -1: unmapped */
	uint64_t perm[NPAGES];
	int dma_error_page;		/* VA page whose target is "not RAM" */
	int maps, live;			/* map calls, maps not yet unmapped */
	uint64_t max_chunk;		/* clamp chunk lengths (0 = page) */
	int abort_after;		/* should_abort true after N polls */
	int polls;
	int broken;			/* map returns len 0 */
};

static uint32_t fake_map(void *opaque, uint64_t va, uint64_t len,
			 unsigned int access, VnpuMapping *m)
{
	struct fake *f = opaque;
	uint64_t page = (va - VA0) / PG, off = va % PG, n;

	f->maps++;
	if (va < VA0 || page >= NPAGES || f->phys[page] < 0)
		return VNPU_JOB_MMU_FAULT;
	if (!(f->perm[page] & vnpu_mmu_access_perm(access)))
		return VNPU_JOB_MMU_FAULT;
	if ((int)page == f->dma_error_page)
		return VNPU_JOB_DMA_ERROR;
	n = PG - off;
	if (f->max_chunk && n > f->max_chunk)
		n = f->max_chunk;
	if (n > len)
		n = len;
	m->host = f->mem + f->phys[page] * PG + off;
	m->len = f->broken ? 0 : n;
	f->live++;
	return VNPU_JOB_OK;
}

static void fake_unmap(void *opaque, VnpuMapping *m, unsigned int access,
		       uint64_t done)
{
	struct fake *f = opaque;

	f->live--;
}

static uint64_t fake_clock(void *opaque)
{
	return CLOCK;
}

static bool fake_abort(void *opaque)
{
	struct fake *f = opaque;

	return f->abort_after >= 0 && f->polls++ >= f->abort_after;
}

static const VnpuMemOps fake_ops = {
	.map = fake_map,
	.unmap = fake_unmap,
	.clock_ns = fake_clock,
	.should_abort = fake_abort,
};

/* Command buffer builder: lives in VA page 0 (and 1), read-only. */
struct cmds {
	uint8_t b[2 * PG];
	uint32_t len;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }

static void hdr(struct cmds *c, uint16_t op, uint16_t len, uint32_t flags)
{
	memset(c->b + c->len, 0, len * 8);
	put16(c->b + c->len, op);
	put16(c->b + c->len + 2, len);
	vnpu_st32(c->b + c->len + 4, flags);
}

static void nop(struct cmds *c)
{
	hdr(c, VNPU_OP_NOP, 1, 0);
	c->len += 8;
}

static void fill(struct cmds *c, uint64_t dst, uint64_t size, uint32_t pat)
{
	hdr(c, VNPU_OP_FILL, 4, 0);
	vnpu_st64(c->b + c->len + 8, dst);
	vnpu_st64(c->b + c->len + 16, size);
	vnpu_st32(c->b + c->len + 24, pat);
	c->len += 32;
}

static void copy(struct cmds *c, uint64_t src, uint64_t dst, uint64_t size)
{
	hdr(c, VNPU_OP_COPY, 4, 0);
	vnpu_st64(c->b + c->len + 8, src);
	vnpu_st64(c->b + c->len + 16, dst);
	vnpu_st64(c->b + c->len + 24, size);
	c->len += 32;
}

static void ts(struct cmds *c, uint64_t dst)
{
	hdr(c, VNPU_OP_TIMESTAMP, 2, 0);
	vnpu_st64(c->b + c->len + 8, dst);
	c->len += 16;
}

static uint64_t va(int page, uint64_t off)
{
	return VA0 + page * PG + off;
}

FIXTURE(engine) {
	struct fake f;
	struct cmds c;
	VnpuJobResult r;
};

FIXTURE_SETUP(engine)
{
	memset(&self->f, 0, sizeof(self->f));
	self->f.mem = calloc(NPAGES, PG);
	ASSERT_NE(NULL, self->f.mem);
	/* Identity-ish: VA page i -> physical page i, read-write. Pages 0-1
	 * hold commands (read-only); 62-63 are unmapped. */
	for (int i = 0; i < NPAGES; i++) {
		self->f.phys[i] = i < NPAGES - 2 ? i : -1;
		self->f.perm[i] = i < 2 ? P_R : P_RW;
	}
	self->f.dma_error_page = -1;
	self->f.abort_after = -1;
	memset(&self->c, 0, sizeof(self->c));
}

FIXTURE_TEARDOWN(engine)
{
	free(self->f.mem);
}

/* Copy the commands into VA pages 0-1 and run them. */
static uint32_t run_at(struct fake *f, struct cmds *c, uint64_t cmd_va,
		       VnpuJobResult *r)
{
	uint64_t off = cmd_va - VA0;

	memcpy(f->mem + f->phys[0] * PG + off, c->b, c->len);
	vnpu_engine_run(&fake_ops, f, cmd_va, c->len, r);
	return r->status;
}

#define RUN()	run_at(&self->f, &self->c, VA0, &self->r)
#define MEM(page, off)	(self->f.mem + (page) * PG + (off))

/* ------------------------------------------------------------------ */

TEST_F(engine, nop_and_empty)
{
	nop(&self->c);
	nop(&self->c);
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	EXPECT_EQ(0, self->r.cmd_index);
	EXPECT_EQ(2, self->r.commands);
	EXPECT_EQ(0, self->r.bytes);
	EXPECT_EQ(0, self->f.live);

	self->c.len = 0;
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	EXPECT_EQ(0, self->r.commands);
}

TEST_F(engine, fill_patterns_and_odd_sizes)
{
	static const uint64_t sizes[] = {
		1, 2, 3, 4, 5, 7, 63, 64, 65, 127, 4095, 4096, 4097, 3 * PG + 5,
	};
	static const uint64_t offs[] = { 0, 1, 2, 3, 61, PG - 1 };

	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (unsigned int o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
			uint64_t size = sizes[s], off = offs[o];
			uint8_t *d = MEM(4, 0);

			memset(d, 0xee, 6 * PG);
			self->c.len = 0;
			fill(&self->c, va(4, 8 + off), size, 0xa1b2c3d4);
			ASSERT_EQ(VNPU_JOB_OK, RUN());
			ASSERT_EQ(size, self->r.bytes);
			ASSERT_EQ(0xee, d[8 + off - 1]);
			ASSERT_EQ(0xee, d[8 + off + size]);
			for (uint64_t i = 0; i < size; i++) {
				static const uint8_t p[4] = { 0xd4, 0xc3, 0xb2, 0xa1 };

				if (d[8 + off + i] != p[i % 4]) {
					TH_LOG("size %llu off %llu byte %llu",
					       (unsigned long long)size,
					       (unsigned long long)off,
					       (unsigned long long)i);
					ASSERT_EQ(p[i % 4], d[8 + off + i]);
				}
			}
		}
	}
	EXPECT_EQ(0, self->f.live);
}

TEST_F(engine, fill_uniform_and_zero)
{
	memset(MEM(4, 0), 0, 2 * PG);
	fill(&self->c, va(4, 100), PG, 0x77777777);
	fill(&self->c, va(4, 0), 0, 0x11111111);
	fill(&self->c, va(62, 0), 0, 0x11111111);	/* unmapped, but empty */
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	EXPECT_EQ(0, *MEM(4, 99));
	EXPECT_EQ(0x77, *MEM(4, 100));
	EXPECT_EQ(0x77, *MEM(5, 99));
	EXPECT_EQ(0, *MEM(5, 100));
	EXPECT_EQ(PG, self->r.bytes);
}

/* Chunks smaller than a page (e.g. RAM block boundaries) keep the phase. */
TEST_F(engine, fill_small_chunks)
{
	self->f.max_chunk = 3;
	fill(&self->c, va(4, 1), 50, 0x04030201);
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(1 + i % 4, *MEM(4, 1 + i));
	EXPECT_EQ(0, *MEM(4, 51));
}

TEST_F(engine, fill_bad)
{
	uint8_t *f;

	fill(&self->c, va(4, 0), VNPU_XFER_MAX + 1, 0);
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());

	self->c.len = 0;
	fill(&self->c, ~0ull - 2, 4, 0);		/* wraps */
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());

	self->c.len = 0;
	nop(&self->c);
	fill(&self->c, va(4, 0), 4, 0);
	vnpu_st32(self->c.b + 8 + 28, 1);		/* rsvd */
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	EXPECT_EQ(1, self->r.cmd_index);
	f = MEM(4, 0);
	EXPECT_EQ(0, f[0]);
}

TEST_F(engine, fill_fault_midway)
{
	/* Page 6 is read-only: bytes before it are written, then a fault. */
	self->f.perm[6] = P_R;
	memset(MEM(5, 0), 0, 2 * PG);
	nop(&self->c);
	fill(&self->c, va(5, PG - 10), 20, 0x55555555);
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, RUN());
	EXPECT_EQ(1, self->r.cmd_index);
	EXPECT_EQ(va(6, 0), self->r.fault_va);
	EXPECT_EQ(VNPU_ACCESS_WRITE, self->r.fault_access);
	EXPECT_EQ(0x55, *MEM(5, PG - 1));
	EXPECT_EQ(0, *MEM(6, 0));
	EXPECT_EQ(10, self->r.bytes);
	EXPECT_EQ(0, self->f.live);
}

TEST_F(engine, copy_page_crossing)
{
	static const uint64_t sizes[] = { 1, 3, 8, 100, PG - 1, PG, PG + 1,
					  3 * PG + 77 };

	for (int i = 0; i < 8 * (int)PG; i++)
		*MEM(10, i) = (i * 13 + i / 255) & 0xff;
	for (unsigned int s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t size = sizes[s];

		memset(MEM(30, 0), 0, 8 * PG);
		self->c.len = 0;
		copy(&self->c, va(10, 5), va(30, 4000), size);
		ASSERT_EQ(VNPU_JOB_OK, RUN());
		ASSERT_EQ(size, self->r.bytes);
		ASSERT_EQ(0, memcmp(MEM(10, 5), MEM(30, 4000), size));
		ASSERT_EQ(0, *MEM(30, 4000 + size));
		ASSERT_EQ(0, *MEM(30, 3999));
	}
	EXPECT_EQ(0, self->f.live);
}

/* Scattered physical pages: VA-contiguous, physically reversed. */
TEST_F(engine, copy_scattered)
{
	for (int i = 0; i < 4; i++) {
		self->f.phys[40 + i] = 50 - i;
		self->f.perm[40 + i] = P_R;
	}
	for (int i = 0; i < 4 * (int)PG; i++)
		*MEM(50 - i / (int)PG, i % PG) = i * 7;
	memset(MEM(20, 0), 0, 4 * PG);
	copy(&self->c, va(40, 0), va(20, 0), 4 * PG);
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	for (int i = 0; i < 4 * (int)PG; i++)
		ASSERT_EQ((uint8_t)(i * 7), *MEM(20, i));
}

TEST_F(engine, copy_zero_overlap_and_limits)
{
	copy(&self->c, va(62, 0), va(63, 0), 0);	/* empty: no access */
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	EXPECT_EQ(2, self->f.maps);		/* header and command fetch */

	self->c.len = 0;
	copy(&self->c, va(4, 0), va(4, 10), 11);
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	self->c.len = 0;
	copy(&self->c, va(4, 10), va(4, 0), 11);
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	self->c.len = 0;
	copy(&self->c, va(4, 0), va(4, 0), 1);
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	self->c.len = 0;
	copy(&self->c, va(4, 0), va(4, 10), 10);	/* adjacent: fine */
	copy(&self->c, va(4, 10), va(4, 0), 10);
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	self->c.len = 0;
	copy(&self->c, 0, VNPU_XFER_MAX + 16, VNPU_XFER_MAX + 1);
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	self->c.len = 0;
	copy(&self->c, ~0ull - 8, va(4, 0), 16);
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	self->c.len = 0;
	copy(&self->c, va(4, 0), ~0ull - 8, 16);
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
}

/* Two VAs of one physical page: memmove semantics, no corruption. */
TEST_F(engine, copy_aliased)
{
	self->f.phys[45] = 4;
	for (int i = 0; i < 64; i++)
		*MEM(4, i) = i;
	copy(&self->c, va(4, 0), va(45, 8), 32);
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	for (int i = 0; i < 32; i++)
		ASSERT_EQ(i, *MEM(4, 8 + i));
}

TEST_F(engine, copy_faults)
{
	nop(&self->c);
	copy(&self->c, va(62, 0), va(4, 0), 4);
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, RUN());
	EXPECT_EQ(1, self->r.cmd_index);
	EXPECT_EQ(va(62, 0), self->r.fault_va);
	EXPECT_EQ(VNPU_ACCESS_READ, self->r.fault_access);

	self->c.len = 0;
	copy(&self->c, va(4, 0), va(1, 16), 4);		/* cmd page: RO */
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, RUN());
	EXPECT_EQ(va(1, 16), self->r.fault_va);
	EXPECT_EQ(VNPU_ACCESS_WRITE, self->r.fault_access);

	self->f.perm[7] = P_W;				/* write-only */
	self->c.len = 0;
	copy(&self->c, va(7, 0), va(4, 0), 4);
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, RUN());
	EXPECT_EQ(VNPU_ACCESS_READ, self->r.fault_access);

	self->f.dma_error_page = 8;
	self->c.len = 0;
	copy(&self->c, va(4, 0), va(8, 0), 4);
	ASSERT_EQ(VNPU_JOB_DMA_ERROR, RUN());
	EXPECT_EQ(va(8, 0), self->r.fault_va);
	EXPECT_EQ(0, self->f.live);
}

TEST_F(engine, timestamp)
{
	memset(MEM(4, 0), 0, 32);
	ts(&self->c, va(4, 8));
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	EXPECT_EQ(CLOCK, vnpu_ld64(MEM(4, 8)));
	EXPECT_EQ(0x88, *MEM(4, 8));			/* little-endian */
	EXPECT_EQ(0, vnpu_ld64(MEM(4, 0)));
	EXPECT_EQ(0, vnpu_ld64(MEM(4, 16)));
	EXPECT_EQ(8, self->r.bytes);

	for (int o = 1; o < 8; o++) {
		self->c.len = 0;
		ts(&self->c, va(4, 8 + o));
		ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	}
	self->c.len = 0;
	ts(&self->c, va(0, 64));
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, RUN());
	self->c.len = 0;
	ts(&self->c, va(63, 0));
	ASSERT_EQ(VNPU_JOB_MMU_FAULT, RUN());

	/* Chunks of 3 bytes still produce the whole value. */
	self->f.max_chunk = 3;
	self->c.len = 0;
	ts(&self->c, va(4, 24));
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	EXPECT_EQ(CLOCK, vnpu_ld64(MEM(4, 24)));
}

TEST_F(engine, header_errors)
{
	struct { uint16_t op, len; uint32_t flags; uint32_t status; } t[] = {
		{ VNPU_OP_COUNT, 1, 0, VNPU_JOB_BAD_OPCODE },
		{ 0xffff, 1, 0, VNPU_JOB_BAD_OPCODE },
		{ 0x100, 4, 0, VNPU_JOB_BAD_OPCODE },
		{ VNPU_OP_NOP, 0, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_NOP, 2, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_NOP, 1, 1, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_NOP, 1, 0x80000000, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_FILL, 3, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_FILL, 5, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_COPY, 2, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_TIMESTAMP, 1, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_TIMESTAMP, 4, 0, VNPU_JOB_BAD_CMD },
		{ VNPU_OP_TIMESTAMP, 2, 4, VNPU_JOB_BAD_CMD },
	};

	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		self->c.len = 0;
		nop(&self->c);
		nop(&self->c);
		nop(&self->c);
		hdr(&self->c, t[i].op, t[i].len ? t[i].len : 1, t[i].flags);
		put16(self->c.b + self->c.len + 2, t[i].len);
		self->c.len += 8 * (t[i].len ? t[i].len : 1);
		nop(&self->c);
		ASSERT_EQ(t[i].status, RUN());
		ASSERT_EQ(3, self->r.cmd_index);
		ASSERT_EQ(3, self->r.commands);
	}
}

/* A command whose declared length runs past the end of the buffer. */
TEST_F(engine, truncated_command)
{
	nop(&self->c);
	fill(&self->c, va(4, 0), 4, 0);
	self->c.len -= 8;
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	EXPECT_EQ(1, self->r.cmd_index);
	self->c.len = 16;
	ASSERT_EQ(VNPU_JOB_BAD_CMD, RUN());
	EXPECT_EQ(1, self->r.cmd_index);
}

/* Commands straddle pages; a command in unreadable memory is an EXEC fault. */
TEST_F(engine, fetch)
{
	struct cmds c = { 0 };

	nop(&c);
	fill(&c, va(4, 0), 4, 0x01010101);
	ts(&c, va(4, 8));
	memset(MEM(4, 0), 0, 16);
	/* Start 16 bytes before the end of page 0: the FILL crosses. */
	ASSERT_EQ(VNPU_JOB_OK, run_at(&self->f, &c, va(0, PG - 16), &self->r));
	EXPECT_EQ(1, *MEM(4, 0));
	EXPECT_EQ(CLOCK, vnpu_ld64(MEM(4, 8)));

	/* Page 1 not readable: fault while fetching command 1's body. */
	self->f.perm[1] = P_W | VNPU_PTE_EXEC;
	ASSERT_EQ(VNPU_JOB_MMU_FAULT,
		  run_at(&self->f, &c, va(0, PG - 16), &self->r));
	EXPECT_EQ(1, self->r.cmd_index);
	EXPECT_EQ(va(1, 0), self->r.fault_va);
	EXPECT_EQ(VNPU_ACCESS_EXEC, self->r.fault_access);

	/* Unmapped command buffer. */
	vnpu_engine_run(&fake_ops, &self->f, va(62, 0), 8, &self->r);
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, self->r.status);
	EXPECT_EQ(0, self->r.cmd_index);
	EXPECT_EQ(VNPU_ACCESS_EXEC, self->r.fault_access);
	EXPECT_EQ(0, self->f.live);
}

TEST_F(engine, abort_between_commands)
{
	nop(&self->c);
	fill(&self->c, va(4, 0), 4, 0x09090909);
	fill(&self->c, va(4, 4), 4, 0x08080808);
	memset(MEM(4, 0), 0, 8);
	self->f.abort_after = 2;	/* polls 0 and 1 pass */
	ASSERT_EQ(VNPU_JOB_ABORTED, RUN());
	EXPECT_EQ(2, self->r.cmd_index);
	EXPECT_EQ(9, *MEM(4, 0));
	EXPECT_EQ(0, *MEM(4, 4));

	self->f.polls = 0;
	self->f.abort_after = 0;
	ASSERT_EQ(VNPU_JOB_ABORTED, RUN());
	EXPECT_EQ(0, self->r.cmd_index);
}

/* A map implementation returning nothing must not hang the engine. */
TEST_F(engine, broken_map)
{
	self->f.broken = 1;
	nop(&self->c);
	ASSERT_EQ(VNPU_JOB_DMA_ERROR, RUN());
	EXPECT_EQ(0, self->f.live);
}

TEST_F(engine, big_fill_counts)
{
	/* 60 pages through small and page chunks. */
	fill(&self->c, va(2, 0), 60 * PG, 0);
	ASSERT_EQ(VNPU_JOB_OK, RUN());
	EXPECT_EQ(60 * PG, self->r.bytes);
	EXPECT_EQ(2 + 60, self->f.maps);	/* header, command, pages */
}

/* ------------------------------------------------------------------ */
/* Descriptors                                                         */
/* ------------------------------------------------------------------ */

static struct vnpu_desc good_desc(void)
{
	struct vnpu_desc d = {
		.tag = 1, .cmd_va = 0x1000, .cmd_size = 64, .ctx = 3,
		.flags = VNPU_DESC_F_IRQ,
	};
	return d;
}

TEST(desc_check)
{
	struct vnpu_desc d = good_desc();

	ASSERT_EQ(VNPU_JOB_OK, vnpu_desc_check(&d));
	d.cmd_size = 0;
	ASSERT_EQ(VNPU_JOB_OK, vnpu_desc_check(&d));
	d.cmd_size = VNPU_CMD_MAX_SIZE;
	ASSERT_EQ(VNPU_JOB_OK, vnpu_desc_check(&d));
	d.cmd_size = VNPU_CMD_MAX_SIZE + 8;
	ASSERT_EQ(VNPU_JOB_BAD_DESC, vnpu_desc_check(&d));
	for (int i = 1; i < 8; i++) {
		d = good_desc();
		d.cmd_size += i;
		ASSERT_EQ(VNPU_JOB_BAD_DESC, vnpu_desc_check(&d));
		d = good_desc();
		d.cmd_va += i;
		ASSERT_EQ(VNPU_JOB_BAD_DESC, vnpu_desc_check(&d));
	}
	for (int b = 1; b < 32; b++) {
		d = good_desc();
		d.flags |= 1u << b;
		ASSERT_EQ(VNPU_JOB_BAD_DESC, vnpu_desc_check(&d));
	}
	d = good_desc();
	d.rsvd0 = 1;
	ASSERT_EQ(VNPU_JOB_BAD_DESC, vnpu_desc_check(&d));
	for (int i = 0; i < 4; i++) {
		d = good_desc();
		d.rsvd[i] = 1ull << 63;
		ASSERT_EQ(VNPU_JOB_BAD_DESC, vnpu_desc_check(&d));
	}
	d = good_desc();
	d.cmd_va = ~0ull - 7;
	d.cmd_size = 16;
	ASSERT_EQ(VNPU_JOB_BAD_DESC, vnpu_desc_check(&d));
}

TEST(desc_decode_completion_encode)
{
	uint8_t raw[64], out[32];
	struct vnpu_desc d;
	struct vnpu_completion c = {
		.tag = 0x0102030405060708ull, .status = 0x11223344,
		.cmd_index = 0x55667788, .start_ns = 9, .end_ns = 0xa0ull << 56,
	};

	for (int i = 0; i < 64; i++)
		raw[i] = i;
	vnpu_desc_decode(raw, &d);
	EXPECT_EQ(0x0706050403020100ull, d.tag);
	EXPECT_EQ(0x0f0e0d0c0b0a0908ull, d.cmd_va);
	EXPECT_EQ(0x13121110, d.cmd_size);
	EXPECT_EQ(0x17161514, d.ctx);
	EXPECT_EQ(0x1b1a1918, d.flags);
	EXPECT_EQ(0x1f1e1d1c, d.rsvd0);
	EXPECT_EQ(0x3f3e3d3c3b3a3938ull, d.rsvd[3]);

	vnpu_completion_encode(&c, out);
	EXPECT_EQ(0x08, out[0]);
	EXPECT_EQ(0x44, out[8]);
	EXPECT_EQ(0x88, out[12]);
	EXPECT_EQ(9, out[16]);
	EXPECT_EQ(0xa0, out[31]);
}

TEST(cmd_words)
{
	EXPECT_EQ(1, vnpu_cmd_words(VNPU_OP_NOP));
	EXPECT_EQ(4, vnpu_cmd_words(VNPU_OP_FILL));
	EXPECT_EQ(4, vnpu_cmd_words(VNPU_OP_COPY));
	EXPECT_EQ(2, vnpu_cmd_words(VNPU_OP_TIMESTAMP));
	EXPECT_EQ(0, vnpu_cmd_words(VNPU_OP_COUNT));
	EXPECT_EQ(0, vnpu_cmd_words(0xffff));
}

/* ------------------------------------------------------------------ */
/* MMU walk over real page tables in a fake physical memory            */
/* ------------------------------------------------------------------ */

#define PMEM_PAGES	32

struct pmem {
	uint8_t *m;
	int next;
	int reads;
};

static bool pmem_read(void *opaque, uint64_t gpa, uint64_t *pte)
{
	struct pmem *p = opaque;

	p->reads++;
	if (gpa + 8 > PMEM_PAGES * PG || gpa % 8)
		return false;
	*pte = vnpu_ld64(p->m + gpa);
	return true;
}

static uint64_t pmem_table(struct pmem *p)
{
	return (uint64_t)(p->next++) * PG;
}

static void pmem_set(struct pmem *p, uint64_t table, unsigned int idx,
		     uint64_t pte)
{
	vnpu_st64(p->m + table + idx * 8, pte);
}

FIXTURE(mmu) {
	struct pmem p;
	uint64_t pgd, l1, l2, l3;
	VnpuXlate x;
};

/* VA layout used below: PT indices (1, 2, 3, 4) and a 2 MiB page at
 * (1, 2, 5). */
#define MVA(i3, off)	((1ull << 39) | (2ull << 30) | (3ull << 21) | \
			 ((uint64_t)(i3) << 12) | (off))
#define HVA(off)	((1ull << 39) | (2ull << 30) | (5ull << 21) | (off))

FIXTURE_SETUP(mmu)
{
	self->p.m = calloc(PMEM_PAGES, PG);
	ASSERT_NE(NULL, self->p.m);
	self->p.next = 1;
	self->pgd = pmem_table(&self->p);
	self->l1 = pmem_table(&self->p);
	self->l2 = pmem_table(&self->p);
	self->l3 = pmem_table(&self->p);
	pmem_set(&self->p, self->pgd, 1, self->l1 | VNPU_PTE_VALID);
	pmem_set(&self->p, self->l1, 2, self->l2 | VNPU_PTE_VALID);
	pmem_set(&self->p, self->l2, 3, self->l3 | VNPU_PTE_VALID);
	pmem_set(&self->p, self->l3, 4,
		 0x12345000ull | VNPU_PTE_VALID | P_RW);
	pmem_set(&self->p, self->l3, 5, 0x6000ull | VNPU_PTE_VALID | P_R);
	pmem_set(&self->p, self->l3, 6, 0x7000ull | VNPU_PTE_VALID | P_W);
	pmem_set(&self->p, self->l3, 7, 0x8000ull | P_RW);	/* !VALID */
	pmem_set(&self->p, self->l2, 5, 0x40000000ull | VNPU_PTE_VALID |
		 VNPU_PTE_HUGE | P_RW);
}

FIXTURE_TEARDOWN(mmu)
{
	free(self->p.m);
}

TEST_F(mmu, page_4k)
{
	ASSERT_EQ(VNPU_JOB_OK, vnpu_mmu_walk(pmem_read, &self->p, self->pgd,
					     MVA(4, 0x123), VNPU_ACCESS_WRITE,
					     &self->x));
	EXPECT_EQ(0x12345123ull, self->x.pa);
	EXPECT_EQ(PG, self->x.page_size);
	EXPECT_EQ(4, self->p.reads);
}

TEST_F(mmu, page_2m)
{
	ASSERT_EQ(VNPU_JOB_OK, vnpu_mmu_walk(pmem_read, &self->p, self->pgd,
					     HVA(0x1abcde), VNPU_ACCESS_READ,
					     &self->x));
	EXPECT_EQ(0x401abcdeull, self->x.pa);
	EXPECT_EQ(1ull << 21, self->x.page_size);
	EXPECT_EQ(3, self->p.reads);
}

TEST_F(mmu, permissions)
{
	VnpuXlate *x = &self->x;
	uint64_t g = self->pgd;

	EXPECT_EQ(VNPU_JOB_OK, vnpu_mmu_walk(pmem_read, &self->p, g, MVA(5, 0),
					     VNPU_ACCESS_READ, x));
	EXPECT_EQ(VNPU_JOB_OK, vnpu_mmu_walk(pmem_read, &self->p, g, MVA(5, 0),
					     VNPU_ACCESS_EXEC, x));
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				MVA(5, 0), VNPU_ACCESS_WRITE, x));
	EXPECT_EQ(VNPU_JOB_OK, vnpu_mmu_walk(pmem_read, &self->p, g, MVA(6, 0),
					     VNPU_ACCESS_WRITE, x));
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				MVA(6, 0), VNPU_ACCESS_READ, x));
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				MVA(6, 0), VNPU_ACCESS_EXEC, x));
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				MVA(7, 0), VNPU_ACCESS_READ, x));
}

TEST_F(mmu, unmapped_levels)
{
	VnpuXlate *x = &self->x;
	uint64_t g = self->pgd;

	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				0x1000, VNPU_ACCESS_READ, x));		/* L0 */
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				1ull << 39, VNPU_ACCESS_READ, x));	/* L1 */
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				(1ull << 39) | (2ull << 30), VNPU_ACCESS_READ,
				x));					/* L2 */
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				MVA(8, 0), VNPU_ACCESS_READ, x));	/* L3 */
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				1ull << 48, VNPU_ACCESS_READ, x));
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p, g,
				~0ull, VNPU_ACCESS_READ, x));
}

TEST_F(mmu, bad_huge)
{
	VnpuXlate *x = &self->x;

	/* HUGE at level 0 or 1 is not a page size the MMU knows. */
	pmem_set(&self->p, self->pgd, 1,
		 self->l1 | VNPU_PTE_VALID | VNPU_PTE_HUGE);
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p,
				self->pgd, MVA(4, 0), VNPU_ACCESS_READ, x));
	pmem_set(&self->p, self->pgd, 1, self->l1 | VNPU_PTE_VALID);
	pmem_set(&self->p, self->l1, 2,
		 self->l2 | VNPU_PTE_VALID | VNPU_PTE_HUGE | P_RW);
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p,
				self->pgd, MVA(4, 0), VNPU_ACCESS_READ, x));
	pmem_set(&self->p, self->l1, 2, self->l2 | VNPU_PTE_VALID);
	/* A 2 MiB leaf must be 2 MiB aligned. */
	pmem_set(&self->p, self->l2, 5, 0x40001000ull | VNPU_PTE_VALID |
		 VNPU_PTE_HUGE | P_RW);
	EXPECT_EQ(VNPU_JOB_MMU_FAULT, vnpu_mmu_walk(pmem_read, &self->p,
				self->pgd, HVA(0), VNPU_ACCESS_READ, x));
}

TEST_F(mmu, table_read_error)
{
	pmem_set(&self->p, self->l2, 3, (1ull << 40) | VNPU_PTE_VALID);
	EXPECT_EQ(VNPU_JOB_DMA_ERROR, vnpu_mmu_walk(pmem_read, &self->p,
				self->pgd, MVA(4, 0), VNPU_ACCESS_READ,
				&self->x));
}

TEST_F(mmu, flag_bits_not_address)
{
	/* Permission/flag bits in a table pointer do not leak into it. */
	pmem_set(&self->p, self->l2, 3, self->l3 | VNPU_PTE_VALID | P_RW |
		 VNPU_PTE_EXEC | VNPU_PTE_DEVMEM);
	ASSERT_EQ(VNPU_JOB_OK, vnpu_mmu_walk(pmem_read, &self->p, self->pgd,
					     MVA(4, 8), VNPU_ACCESS_READ,
					     &self->x));
	EXPECT_EQ(0x12345008ull, self->x.pa);
	pmem_set(&self->p, self->l3, 4, 0x12345000ull | VNPU_PTE_VALID | P_R |
		 VNPU_PTE_DEVMEM);
	ASSERT_EQ(VNPU_JOB_OK, vnpu_mmu_walk(pmem_read, &self->p, self->pgd,
					     MVA(4, 8), VNPU_ACCESS_READ,
					     &self->x));
	EXPECT_NE(0, self->x.pte & VNPU_PTE_DEVMEM);
}

/*
 * Long FILL and COPY poll should_abort every VNPU_POLL_BYTES (1 MiB), also
 * inside one large mapping (a contiguous host view): an abort during a
 * 64 MiB transfer stops it early with VNPU_JOB_ABORTED. The commands sit
 * at the start of one flat read-write-execute region.
 */
#define BIG_VA		0x100000000ull
#define BIG_SIZE	(64ull << 20)
#define BIG_CMDS	PG		/* bytes of commands at BIG_VA */

struct big {
	uint8_t *mem;
	uint64_t map_max;		/* clamp mapping lengths (0: none) */
	int abort_after;		/* should_abort true after N polls */
	int polls;
	int live;
};

static uint32_t big_map(void *opaque, uint64_t va, uint64_t len,
			unsigned int access, VnpuMapping *m)
{
	struct big *b = opaque;

	if (va < BIG_VA || va - BIG_VA >= BIG_SIZE)
		return VNPU_JOB_MMU_FAULT;
	if (len > BIG_SIZE - (va - BIG_VA))
		len = BIG_SIZE - (va - BIG_VA);
	if (b->map_max && len > b->map_max)
		len = b->map_max;
	m->host = b->mem + (va - BIG_VA);
	m->len = len;
	b->live++;
	return VNPU_JOB_OK;
}

static void big_unmap(void *opaque, VnpuMapping *m, unsigned int access,
		      uint64_t done)
{
	struct big *b = opaque;

	b->live--;
}

static bool big_abort(void *opaque)
{
	struct big *b = opaque;
	int n = b->polls++;

	return b->abort_after >= 0 && n >= b->abort_after;
}

static const VnpuMemOps big_ops = {
	.map = big_map,
	.unmap = big_unmap,
	.clock_ns = fake_clock,
	.should_abort = big_abort,
};

FIXTURE(big) {
	struct big b;
	struct cmds c;
	VnpuJobResult r;
};

FIXTURE_VARIANT(big) {
	uint64_t map_max;		/* 0: one mapping for the whole range */
};

FIXTURE_VARIANT_ADD(big, one_mapping) {
	.map_max = 0,
};

FIXTURE_VARIANT_ADD(big, page_mappings) {
	.map_max = PG,
};

FIXTURE_SETUP(big)
{
	memset(&self->b, 0, sizeof(self->b));
	self->b.mem = calloc(1, BIG_SIZE);
	ASSERT_NE(NULL, self->b.mem);
	self->b.map_max = variant->map_max;
	self->b.abort_after = -1;
	memset(&self->c, 0, sizeof(self->c));
}

FIXTURE_TEARDOWN(big)
{
	free(self->b.mem);
}

static uint32_t big_run(struct big *b, struct cmds *c, VnpuJobResult *r)
{
	memcpy(b->mem, c->b, c->len);
	vnpu_engine_run(&big_ops, b, BIG_VA, c->len, r);
	return r->status;
}

/* Bytes of @b's memory in [from, to) equal to @v. */
static uint64_t big_count(struct big *b, uint64_t from, uint64_t to,
			  uint8_t v)
{
	uint64_t n = 0;

	for (uint64_t i = from; i < to; i++)
		n += b->mem[i] == v;
	return n;
}

TEST_F(big, fill_abort)
{
	uint64_t size = BIG_SIZE - BIG_CMDS, written;

	fill(&self->c, BIG_VA + BIG_CMDS, size, 0x5a5a5a5a);
	/* Poll 0 is before the command; abort at the 4th poll inside it. */
	self->b.abort_after = 4;
	ASSERT_EQ(VNPU_JOB_ABORTED, big_run(&self->b, &self->c, &self->r));
	EXPECT_EQ(0, self->r.cmd_index);
	EXPECT_EQ(0, self->b.live);
	written = big_count(&self->b, BIG_CMDS, BIG_SIZE, 0x5a);
	/* Part of the output was written, but not all of it. */
	EXPECT_LT(0, written);
	EXPECT_GE(4 * VNPU_POLL_BYTES, written);
	EXPECT_EQ(0, self->b.mem[BIG_SIZE - 1]);
	EXPECT_GE(4 * VNPU_POLL_BYTES, self->r.bytes);
}

TEST_F(big, fill_complete)
{
	uint64_t size = BIG_SIZE - BIG_CMDS;

	fill(&self->c, BIG_VA + BIG_CMDS, size, 0x5a5a5a5a);
	ASSERT_EQ(VNPU_JOB_OK, big_run(&self->b, &self->c, &self->r));
	EXPECT_EQ(size, self->r.bytes);
	EXPECT_EQ(size, big_count(&self->b, BIG_CMDS, BIG_SIZE, 0x5a));
	/* Polled at least once per MiB, not only between commands. */
	EXPECT_LE(size / VNPU_POLL_BYTES, (uint64_t)self->b.polls);
	EXPECT_EQ(0, self->b.live);
}

TEST_F(big, copy_abort)
{
	uint64_t half = BIG_SIZE / 2, size = half - BIG_CMDS, written;

	memset(self->b.mem + BIG_CMDS, 0x33, size);
	copy(&self->c, BIG_VA + BIG_CMDS, BIG_VA + half, size);
	self->b.abort_after = 3;
	ASSERT_EQ(VNPU_JOB_ABORTED, big_run(&self->b, &self->c, &self->r));
	EXPECT_EQ(0, self->r.cmd_index);
	EXPECT_EQ(0, self->b.live);
	written = big_count(&self->b, half, BIG_SIZE, 0x33);
	EXPECT_LT(0, written);
	EXPECT_GE(3 * VNPU_POLL_BYTES, written);
	EXPECT_EQ(0, self->b.mem[half + size - 1]);
}

TEST_F(big, copy_complete)
{
	uint64_t half = BIG_SIZE / 2, size = half - BIG_CMDS;

	memset(self->b.mem + BIG_CMDS, 0x33, size);
	copy(&self->c, BIG_VA + BIG_CMDS, BIG_VA + half, size);
	ASSERT_EQ(VNPU_JOB_OK, big_run(&self->b, &self->c, &self->r));
	EXPECT_EQ(size, self->r.bytes);
	EXPECT_EQ(size, big_count(&self->b, half, half + size, 0x33));
	EXPECT_LE(size / VNPU_POLL_BYTES, (uint64_t)self->b.polls);
	EXPECT_EQ(0, self->b.live);
}

/*
 * A COPY large enough for streaming stores, at odd offsets and an odd
 * size (unaligned head and tail), into a destination between guard bytes.
 */
TEST_F(big, copy_large_odd_offsets)
{
	uint64_t half = BIG_SIZE / 2, size = half - BIG_CMDS - 64 - 7;
	uint64_t src = BIG_CMDS + 3, dst = half + 13;
	uint32_t x = 1;

	for (uint64_t i = 0; i < size; i++) {
		x = x * 1103515245u + 12345u;
		self->b.mem[src + i] = x >> 24;
	}
	memset(self->b.mem + half, 0xee, BIG_SIZE - half);
	copy(&self->c, BIG_VA + src, BIG_VA + dst, size);
	ASSERT_EQ(VNPU_JOB_OK, big_run(&self->b, &self->c, &self->r));
	EXPECT_EQ(size, self->r.bytes);
	EXPECT_EQ(0, memcmp(self->b.mem + dst, self->b.mem + src, size));
	EXPECT_EQ(13, big_count(&self->b, half, dst, 0xee));
	EXPECT_EQ(BIG_SIZE - dst - size,
		  big_count(&self->b, dst + size, BIG_SIZE, 0xee));
	EXPECT_EQ(0, self->b.live);
}

TEST_HARNESS_MAIN
