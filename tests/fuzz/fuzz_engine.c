// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the vnpu engine's command decoder and ops: runs
 * one command buffer (see fuzz_engine.h for the input format) against a
 * small fake address space; the start of the data area also goes through
 * the descriptor decoder/check and the MMU walk (as page tables). Built with -fsanitize=fuzzer,address,undefined:
 * any out-of-bounds access, leak, undefined behaviour, crash or hang is a
 * finding. The engine must only ever return a status.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vnpu_engine.h"
#include "fuzz_engine.h"

/* Time one input may take before the fake device "resets" the job. */
#define FUZZ_BUDGET_NS	(50 * 1000 * 1000ull)

struct fz {
	uint8_t *cmd;		/* FUZZ_CMD_MAX bytes, exact allocations: */
	uint8_t *data;		/* ASan sees any overrun */
	uint32_t cmd_size;
	uint64_t chunk;
	uint64_t start_ns;
	int live;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint32_t fz_map(void *opaque, uint64_t va, uint64_t len,
		       unsigned int access, VnpuMapping *m)
{
	struct fz *f = opaque;
	uint8_t *base;
	uint64_t off, size, n;

	if (va >= FUZZ_CMD_VA && va - FUZZ_CMD_VA < f->cmd_size) {
		if (access == VNPU_ACCESS_WRITE)
			return VNPU_JOB_MMU_FAULT;
		base = f->cmd;
		off = va - FUZZ_CMD_VA;
		size = f->cmd_size;
	} else if (va >= FUZZ_DATA_VA && va - FUZZ_DATA_VA < FUZZ_DATA_SIZE) {
		base = f->data;
		off = va - FUZZ_DATA_VA;
		size = FUZZ_DATA_SIZE;
		if (access == VNPU_ACCESS_WRITE) {
			if (off >= FUZZ_DATA_SIZE - FUZZ_RO_SIZE)
				return VNPU_JOB_MMU_FAULT;
			size = FUZZ_DATA_SIZE - FUZZ_RO_SIZE;
		}
	} else {
		return VNPU_JOB_MMU_FAULT;
	}
	n = size - off;
	if (f->chunk && n > f->chunk - va % f->chunk)
		n = f->chunk - va % f->chunk;
	if (n > len)
		n = len;
	m->host = base + off;
	m->len = n;
	f->live++;
	return VNPU_JOB_OK;
}

static void fz_unmap(void *opaque, VnpuMapping *m, unsigned int access,
		     uint64_t done)
{
	struct fz *f = opaque;

	if (done > m->len)
		abort();
	f->live--;
}

static uint64_t fz_clock(void *opaque)
{
	return 42;
}

static bool fz_abort(void *opaque)
{
	struct fz *f = opaque;

	return now_ns() - f->start_ns > FUZZ_BUDGET_NS;
}

static const VnpuMemOps fz_ops = {
	.map = fz_map,
	.unmap = fz_unmap,
	.clock_ns = fz_clock,
	.should_abort = fz_abort,
};

/* Page-table reads for the MMU walk: guest-physical = data offset. */
static bool fz_read_pte(void *opaque, uint64_t gpa, uint64_t *pte)
{
	struct fz *f = opaque;

	if (gpa > FUZZ_DATA_SIZE - 8 || (gpa & 7))
		return false;
	*pte = vnpu_ld64(f->data + gpa);
	return true;
}

/* Descriptor decoding and the MMU walk, on the data area. */
static void fz_desc_and_mmu(struct fz *f)
{
	struct vnpu_desc d;
	VnpuXlate x;
	uint64_t va = vnpu_ld64(f->data + 64), pgd = vnpu_ld64(f->data + 72);
	uint32_t st;

	vnpu_desc_decode(f->data, &d);
	st = vnpu_desc_check(&d);
	if (st != VNPU_JOB_OK && st != VNPU_JOB_BAD_DESC)
		abort();
	for (unsigned int acc = VNPU_ACCESS_READ; acc <= VNPU_ACCESS_EXEC;
	     acc <<= 1) {
		st = vnpu_mmu_walk(fz_read_pte, f, pgd % FUZZ_DATA_SIZE, va, acc,
				   &x);
		if (st != VNPU_JOB_OK && st != VNPU_JOB_MMU_FAULT &&
		    st != VNPU_JOB_DMA_ERROR)
			abort();
		if (st == VNPU_JOB_OK &&
		    (x.page_size != VNPU_PAGE_SIZE &&
		     x.page_size != 1ull << VNPU_HUGE_SHIFT))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static const uint64_t chunks[4] = { 0, 4096, 24, 8 };
	struct fz f = { 0 };
	VnpuJobResult res;
	size_t n;

	if (size < 3)
		return 0;
	f.chunk = chunks[in[0] & 3];
	f.cmd_size = (in[1] | in[2] << 8) & ~7u;
	in += 3;
	size -= 3;
	if (f.cmd_size > FUZZ_CMD_MAX)
		f.cmd_size = FUZZ_CMD_MAX;
	if (f.cmd_size > (size & ~7u))
		f.cmd_size = size & ~7u;
	f.cmd = malloc(f.cmd_size ? f.cmd_size : 1);
	f.data = malloc(FUZZ_DATA_SIZE);
	if (!f.cmd || !f.data)
		abort();
	memcpy(f.cmd, in, f.cmd_size);
	in += f.cmd_size;
	size -= f.cmd_size;
	memset(f.data, 0x3c, FUZZ_DATA_SIZE);
	n = size < FUZZ_DATA_SIZE ? size : FUZZ_DATA_SIZE;
	memcpy(f.data, in, n);
	f.start_ns = now_ns();
	fz_desc_and_mmu(&f);

	vnpu_engine_run(&fz_ops, &f, FUZZ_CMD_VA, f.cmd_size, &res);

	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "status %u at command %u of %u bytes\n",
			res.status, res.cmd_index, f.cmd_size);
	/* The result is consistent, and every mapping was released. */
	if (f.live || res.commands > f.cmd_size / 8 ||
	    res.status > VNPU_JOB_SEM_TIMEOUT ||
	    (res.status == VNPU_JOB_OK && res.cmd_index) ||
	    (res.status != VNPU_JOB_OK && res.cmd_index != res.commands))
		abort();
	free(f.cmd);
	free(f.data);
	return 0;
}
