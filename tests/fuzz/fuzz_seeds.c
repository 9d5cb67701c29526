// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Seed corpus for the engine fuzz target: one valid command buffer per
 * opcode (and a few multi-command jobs), with tensors in the fuzz target's
 * data area. Usage: fuzz_seeds DIR
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnpu_device.h"
#include "fuzz_engine.h"

#define DATA_BYTES	8192

static uint8_t buf[FUZZ_CMD_MAX];
static size_t len;

static void put(const void *p, size_t n)
{
	memcpy(buf + len, p, n);
	len += n;
}

static void u16(uint16_t v) { put(&v, 2); }
static void u32(uint32_t v) { put(&v, 4); }
static void u64(uint64_t v) { put(&v, 8); }

static void hdr(uint16_t op, uint16_t words)
{
	u16(op);
	u16(words);
	u32(0);
}

/* Dense tensor at data offset @off. qmode 1: per-tensor, 2: per-channel. */
static void tensor(uint32_t off, uint8_t dt, uint8_t rank,
		   const uint32_t *shape, uint8_t qmode, uint8_t qaxis)
{
	uint32_t stride[4] = { 0 }, s = 1, zero = 0;
	float scale = 0.05f;
	uint8_t b[4] = { dt, rank, qmode, qmode == 2 ? qaxis : 0 };

	for (int i = rank - 1; i >= 0; i--) {
		stride[i] = s;
		s *= shape[i];
	}
	u64(FUZZ_DATA_VA + off);
	put(b, 4);
	u32(0);
	for (int i = 0; i < 4; i++)
		u32(i < rank ? shape[i] : 0);
	for (int i = 0; i < 4; i++)
		u32(stride[i]);
	if (qmode == 1) {
		put(&scale, 4);
		u32(0);
	} else {
		u32(0);
		u32(0);
	}
	u64(qmode == 2 ? FUZZ_DATA_VA + 7168 : 0);
	(void)zero;
}

static void none(void)
{
	uint8_t z[64] = { 0 };

	put(z, 64);
}

static void emit(const char *dir, const char *name)
{
	static uint8_t data[DATA_BYTES];
	char path[512];
	uint8_t head[3] = { 0, len & 0xff, len >> 8 };
	FILE *f;

	for (int i = 0; i < DATA_BYTES / 4; i++) {
		float v = (float)((i * 37) % 19 - 9) / 8.0f;

		memcpy(data + 4 * i, &v, 4);
	}
	/* per-channel parameters at 7168: scale 0.1, zero point 0 */
	for (int i = 0; i < 64; i++) {
		float sc = 0.1f;

		memcpy(data + 7168 + 8 * i, &sc, 4);
		memset(data + 7168 + 8 * i + 4, 0, 4);
	}
	for (int mode = 0; mode < 2; mode++) {
		head[0] = mode;
		snprintf(path, sizeof(path), "%s/%s-%d", dir, name, mode);
		f = fopen(path, "wb");
		if (!f) {
			perror(path);
			exit(1);
		}
		fwrite(head, 1, 3, f);
		fwrite(buf, 1, len, f);
		fwrite(data, 1, DATA_BYTES, f);
		fclose(f);
	}
	len = 0;
}

int main(int argc, char **argv)
{
	static const uint32_t m44[2] = { 4, 4 }, v4[1] = { 4 },
		nhwc[4] = { 1, 4, 4, 2 }, w[4] = { 2, 3, 3, 2 },
		pooled[4] = { 1, 2, 2, 2 }, t3[3] = { 2, 2, 4 };
	const char *d = argc > 1 ? argv[1] : ".";

	hdr(VNPU_OP_NOP, 1);
	hdr(VNPU_OP_BARRIER, 1);
	hdr(VNPU_OP_FILL, 4);
	u64(FUZZ_DATA_VA + 4096);
	u64(100);
	u32(0x11223344);
	u32(0);
	hdr(VNPU_OP_COPY, 4);
	u64(FUZZ_DATA_VA);
	u64(FUZZ_DATA_VA + 4096);
	u64(64);
	hdr(VNPU_OP_TIMESTAMP, 2);
	u64(FUZZ_DATA_VA + 5000);
	emit(d, "dma");

	hdr(VNPU_OP_SEM_SIGNAL, 4);
	u64(FUZZ_DATA_VA + 6000);
	u32(3);
	u32(VNPU_SEM_SET);
	u64(0);
	hdr(VNPU_OP_SEM_WAIT, 4);
	u64(FUZZ_DATA_VA + 6000);
	u32(3);
	u32(VNPU_SEM_GE);
	u32(100);
	u32(0);
	emit(d, "sem");

	hdr(VNPU_OP_COPY_ND, 18);
	tensor(0, VNPU_DT_F32, 2, m44, 0, 0);
	tensor(4096, VNPU_DT_F32, 2, m44, 0, 0);
	u32(0x0001);	/* perm { 1, 0, 0, 0 } */
	u32(0);
	emit(d, "copy_nd");

	hdr(VNPU_OP_GEMM, 34);
	tensor(0, VNPU_DT_F32, 2, m44, 0, 0);
	tensor(64, VNPU_DT_F32, 2, m44, 0, 0);
	tensor(128, VNPU_DT_F32, 1, v4, 0, 0);
	tensor(4096, VNPU_DT_F32, 2, m44, 0, 0);
	u32(VNPU_ACT_RELU);
	u32(0);
	emit(d, "gemm_f32");

	hdr(VNPU_OP_GEMM, 34);
	tensor(0, VNPU_DT_I8, 2, m44, 1, 0);
	tensor(64, VNPU_DT_I8, 2, m44, 2, 1);
	tensor(128, VNPU_DT_I32, 1, v4, 0, 0);
	tensor(4096, VNPU_DT_I8, 2, m44, 2, 1);
	u32(VNPU_ACT_NONE);
	u32(0);
	emit(d, "gemm_i8");

	hdr(VNPU_OP_GEMM, 34);
	tensor(0, VNPU_DT_BF16, 3, t3, 0, 0);
	tensor(64, VNPU_DT_BF16, 2, m44, 0, 0);
	none();
	tensor(4096, VNPU_DT_F32, 3, t3, 0, 0);
	u32(0);
	u32(0);
	emit(d, "gemm_bf16");

	for (int dt = VNPU_DT_F32; dt <= VNPU_DT_I8; dt += 2) {
		hdr(VNPU_OP_CONV2D, 36);
		tensor(0, dt, 4, nhwc, dt == VNPU_DT_I8, 0);
		tensor(512, dt, 4, w, dt == VNPU_DT_I8 ? 2 : 0, 0);
		none();
		tensor(4096, dt, 4, nhwc, dt == VNPU_DT_I8, 0);
		for (int i = 0; i < 4; i++)
			u16(1);
		for (int i = 0; i < 4; i++)
			u16(1);
		u32(1);
		u32(VNPU_ACT_RELU6);
		emit(d, dt == VNPU_DT_F32 ? "conv_f32" : "conv_i8");
	}

	hdr(VNPU_OP_ELTWISE, 26);
	tensor(0, VNPU_DT_F32, 2, m44, 0, 0);
	tensor(64, VNPU_DT_F32, 1, v4, 0, 0);
	tensor(4096, VNPU_DT_F32, 2, m44, 0, 0);
	u32(VNPU_ELT_DIV);
	u32(VNPU_ACT_TANH);
	emit(d, "eltwise");

	for (unsigned int op = VNPU_OP_ACTIVATION; op <= VNPU_OP_REDUCE;
	     op++) {
		static const uint32_t red[2] = { 1, 4 };
		char name[32];

		if (op == VNPU_OP_LAYERNORM || op == VNPU_OP_RMSNORM) {
			float eps = 1e-5f;

			hdr(op, 34);
			tensor(0, VNPU_DT_F32, 2, m44, 0, 0);
			tensor(64, VNPU_DT_F32, 1, v4, 0, 0);
			none();
			tensor(4096, VNPU_DT_F32, 2, m44, 0, 0);
			put(&eps, 4);
			u32(0);
		} else {
			hdr(op, 18);
			tensor(0, VNPU_DT_I8, 2, m44, 1, 0);
			tensor(4096, VNPU_DT_I8, 2, op == VNPU_OP_REDUCE ? red :
			       m44, 1, 0);
			u32(op == VNPU_OP_ACTIVATION ? VNPU_ACT_GELU :
			    op == VNPU_OP_SOFTMAX ? 1 :
			    VNPU_RED_MEAN | 1u << VNPU_RED_AXES_SHIFT);
			u32(0);
		}
		snprintf(name, sizeof(name), "op%u", op);
		emit(d, name);
	}

	hdr(VNPU_OP_POOL2D, 20);
	tensor(0, VNPU_DT_F32, 4, nhwc, 0, 0);
	tensor(4096, VNPU_DT_F32, 4, pooled, 0, 0);
	u16(2);
	u16(2);
	u16(2);
	u16(2);
	u64(0);
	u32(VNPU_POOL_AVG);
	u32(0);
	emit(d, "pool");

	for (unsigned int op = VNPU_OP_QUANTIZE; op <= VNPU_OP_CAST; op++) {
		char name[32];

		hdr(op, 17);
		tensor(0, op == VNPU_OP_DEQUANTIZE ? VNPU_DT_I8 : VNPU_DT_F32,
		       2, m44, op == VNPU_OP_DEQUANTIZE ? 2 : 0, 0);
		tensor(4096, op == VNPU_OP_DEQUANTIZE ? VNPU_DT_BF16 :
		       VNPU_DT_I8, 2, m44, op == VNPU_OP_QUANTIZE, 0);
		snprintf(name, sizeof(name), "op%u", op);
		emit(d, name);
	}
	return 0;
}
