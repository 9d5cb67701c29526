/* SPDX-License-Identifier: MIT */
/*
 * vnpu job package: the on-disk format written by the compiler
 * (vnpu-compile) and read by libaccel (accel_model_load()).
 * Documentation/accel/vnpu/package.rst describes the same format.
 *
 * Copyright (C) 2026 The vnpu authors
 *
 * All fields are little-endian. A package is a header, a section table and
 * the sections' payloads. Offsets are from the start of the file; every
 * section starts 8-byte aligned.
 *
 * Addresses: the compiler does not know where the runtime's buffer objects
 * will be. Every memory region r of the plan has a nominal device VA,
 * VNPU_PKG_REGION_VA(r); the command stream is written with nominal VAs
 * and the RELOCS section lists the byte offset of every 64-bit VA field in
 * it. The runtime adds (actual base - nominal base) of the field's region
 * to each listed field.
 */
#ifndef VNPU_PACKAGE_H
#define VNPU_PACKAGE_H

#include <stdint.h>

#define VNPU_PKG_MAGIC		"VNPUPKG"	/* 8 bytes with the NUL */
#define VNPU_PKG_VERSION	1

/* Nominal VA of region @r; regions are smaller than 1 << 36 bytes. */
#define VNPU_PKG_REGION_SHIFT	36
#define VNPU_PKG_REGION_VA(r)	((uint64_t)((r) + 1) << VNPU_PKG_REGION_SHIFT)
#define VNPU_PKG_REGION_MAX	(1ull << VNPU_PKG_REGION_SHIFT)

struct vnpu_pkg_header {
	char magic[8];		/* VNPU_PKG_MAGIC */
	uint32_t version;	/* VNPU_PKG_VERSION */
	uint32_t header_size;	/* sizeof(struct vnpu_pkg_header) */
	uint64_t file_size;	/* bytes, whole file */
	uint64_t checksum;	/* FNV-1a 64 of bytes [header_size, file_size) */
	uint32_t num_sections;
	uint32_t flags;		/* VNPU_PKG_F_* */
	uint64_t sections_offset; /* struct vnpu_pkg_section[num_sections] */
	uint32_t num_layers;	/* entries of the LAYERS section */
	uint32_t rsvd[3];
};

#define VNPU_PKG_F_INT8		(1u << 0)	/* int8-quantised model */

struct vnpu_pkg_section {
	uint32_t type;		/* VNPU_PKG_SEC_* (each at most once) */
	uint32_t count;		/* entries (fixed-size sections) */
	uint64_t offset;
	uint64_t size;		/* bytes */
};

#define VNPU_PKG_SEC_STRTAB	1	/* NUL-terminated names */
#define VNPU_PKG_SEC_REGIONS	2	/* struct vnpu_pkg_region[] */
#define VNPU_PKG_SEC_TENSORS	3	/* struct vnpu_pkg_tensor[] */
#define VNPU_PKG_SEC_IO		4	/* struct vnpu_pkg_io[] */
#define VNPU_PKG_SEC_CMDS	5	/* the command stream */
#define VNPU_PKG_SEC_RELOCS	6	/* struct vnpu_pkg_reloc[] */
#define VNPU_PKG_SEC_LAYERS	7	/* struct vnpu_pkg_layer[] */
#define VNPU_PKG_SEC_DATA	8	/* initial contents of CONST regions */
#define VNPU_PKG_SEC_MAX	8

/* A memory region: one buffer object at run time. */
struct vnpu_pkg_region {
	uint32_t name;		/* STRTAB offset */
	uint32_t kind;		/* VNPU_PKG_REG_* */
	uint32_t placement;	/* VNPU_PKG_PLACE_* */
	uint32_t io_index;	/* INPUT/OUTPUT: index in the IO section */
	uint64_t size;		/* bytes, >= 1 */
	uint64_t data_offset;	/* CONST: offset in the DATA section */
	uint64_t data_size;	/* CONST: bytes of initial data (rest zero) */
};

#define VNPU_PKG_REG_CONST	1	/* weights, constants: loaded once */
#define VNPU_PKG_REG_SCRATCH	2	/* intermediates (liveness-shared) */
#define VNPU_PKG_REG_INPUT	3	/* one model input */
#define VNPU_PKG_REG_OUTPUT	4	/* one model output */
#define VNPU_PKG_REG_PROFILE	5	/* u64 timestamps, one per layer + 1 */

#define VNPU_PKG_PLACE_HOST	0	/* system memory */
#define VNPU_PKG_PLACE_DEVMEM	1	/* device memory ("SRAM") if present */

/* Allocation plan entry: where a tensor of the lowered graph lives. */
struct vnpu_pkg_tensor {
	uint32_t name;		/* STRTAB offset */
	uint32_t region;	/* index in REGIONS */
	uint64_t offset;	/* bytes into the region */
	uint64_t size;		/* bytes */
	uint8_t dtype;		/* VNPU_DT_* */
	uint8_t rank;
	uint8_t layout;		/* VNPU_PKG_LAYOUT_* */
	uint8_t qmode;		/* VNPU_QMODE_NONE or _TENSOR */
	uint32_t shape[4];	/* logical (ONNX) shape */
	uint32_t scale;		/* binary32 bits (qmode TENSOR) */
	int32_t zero_point;
	uint32_t first_layer;	/* liveness: written by this layer */
	uint32_t last_layer;	/* last layer reading it */
};

#define VNPU_PKG_LAYOUT_ROW	0	/* row-major in the logical shape */
#define VNPU_PKG_LAYOUT_NHWC	1	/* logical NCHW stored as NHWC */

/* Model input or output, in the ONNX layout, as the application sees it. */
struct vnpu_pkg_io {
	uint32_t name;		/* STRTAB offset */
	uint32_t dir;		/* VNPU_PKG_IO_* */
	uint32_t region;	/* index in REGIONS */
	uint8_t dtype;		/* VNPU_DT_* */
	uint8_t rank;		/* 1..4 */
	uint8_t qmode;		/* quantisation of the data itself (NONE) */
	uint8_t rsvd0;
	uint32_t shape[4];
	uint32_t scale;
	int32_t zero_point;
	uint64_t size;		/* bytes */
};

#define VNPU_PKG_IO_INPUT	0
#define VNPU_PKG_IO_OUTPUT	1

struct vnpu_pkg_reloc {
	uint32_t offset;	/* byte offset of a u64 VA in CMDS */
	uint32_t region;	/* region the VA points into */
};

/* One layer (an operator after fusion) for summaries and profiling. */
struct vnpu_pkg_layer {
	uint32_t name;		/* STRTAB offset: ONNX node name */
	uint32_t op;		/* STRTAB offset: e.g. "Conv+BatchNormalization+Relu" */
	uint32_t cmd_offset;	/* first command, bytes into CMDS */
	uint32_t cmd_size;	/* bytes of its commands (timestamp excluded) */
	uint64_t macs;
	uint64_t bytes;		/* bytes its commands read and write */
	uint32_t ts_index;	/* PROFILE slot written after it (slot 0: start) */
	uint32_t rsvd;
};

/* FNV-1a, 64 bit. */
static inline uint64_t vnpu_pkg_fnv1a(const void *p, uint64_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif /* VNPU_PACKAGE_H */
