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

/*
 * Reader: vnpu_pkg_parse() validates a package image in memory and points
 * into it. Shared by libaccel (accel_model_load()) and the host tests.
 */
struct vnpu_pkg_view {
	const struct vnpu_pkg_header *hdr;
	const char *strtab;
	uint64_t strtab_size;
	const struct vnpu_pkg_region *regions;
	uint32_t num_regions;
	const struct vnpu_pkg_tensor *tensors;
	uint32_t num_tensors;
	const struct vnpu_pkg_io *io;
	uint32_t num_io;
	const uint8_t *cmds;
	uint64_t cmds_size;
	const struct vnpu_pkg_reloc *relocs;
	uint32_t num_relocs;
	const struct vnpu_pkg_layer *layers;
	uint32_t num_layers;
	const uint8_t *data;
	uint64_t data_size;
};

static inline const char *vnpu_pkg_str(const struct vnpu_pkg_view *v, uint32_t off)
{
	return off < v->strtab_size ? v->strtab + off : "";
}

/*
 * Returns 0, or -1 with *why set to a static description of the first
 * problem found (bad magic, version, size, checksum, section bounds, an
 * index or offset out of range).
 */
static inline int vnpu_pkg_parse(const void *image, uint64_t size,
				 struct vnpu_pkg_view *v, const char **why)
{
	const uint8_t *b = (const uint8_t *)image;
	const struct vnpu_pkg_header *h = (const struct vnpu_pkg_header *)image;
	const struct vnpu_pkg_section *sec;
	uint32_t i, seen = 0;

#define VNPU_PKG_FAIL(msg) do { *why = (msg); return -1; } while (0)
	for (i = 0; i < sizeof(*v); i++)
		((uint8_t *)v)[i] = 0;
	if (size < sizeof(*h) || ((uintptr_t)image & 7))
		VNPU_PKG_FAIL("file too small for a package header");
	if (__builtin_memcmp(h->magic, VNPU_PKG_MAGIC, 8))
		VNPU_PKG_FAIL("not a vnpu package (bad magic)");
	if (h->version != VNPU_PKG_VERSION)
		VNPU_PKG_FAIL("unsupported package version");
	if (h->header_size != sizeof(*h) || h->file_size != size)
		VNPU_PKG_FAIL("header or file size mismatch (truncated file?)");
	if (h->checksum != vnpu_pkg_fnv1a(b + sizeof(*h), size - sizeof(*h)))
		VNPU_PKG_FAIL("checksum mismatch (corrupted file)");
	if (h->flags & ~VNPU_PKG_F_INT8)
		VNPU_PKG_FAIL("unknown header flags");
	if (h->num_sections > VNPU_PKG_SEC_MAX || h->sections_offset < sizeof(*h) ||
	    h->sections_offset > size ||
	    h->num_sections * sizeof(*sec) > size - h->sections_offset ||
	    (h->sections_offset & 7))
		VNPU_PKG_FAIL("bad section table");
	sec = (const struct vnpu_pkg_section *)(b + h->sections_offset);
	v->hdr = h;
	for (i = 0; i < h->num_sections; i++) {
		const struct vnpu_pkg_section *s = &sec[i];
		const void *p = b + s->offset;
		uint64_t esz = 0;

		if (s->type < 1 || s->type > VNPU_PKG_SEC_MAX || (seen & (1u << s->type)))
			VNPU_PKG_FAIL("unknown or duplicate section");
		seen |= 1u << s->type;
		if (s->offset > size || s->size > size - s->offset || (s->offset & 7))
			VNPU_PKG_FAIL("section out of the file");
		switch (s->type) {
		case VNPU_PKG_SEC_STRTAB:
			if (!s->size || b[s->offset + s->size - 1])
				VNPU_PKG_FAIL("string table not NUL-terminated");
			v->strtab = (const char *)p;
			v->strtab_size = s->size;
			break;
		case VNPU_PKG_SEC_REGIONS:
			esz = sizeof(*v->regions);
			v->regions = (const struct vnpu_pkg_region *)p;
			v->num_regions = s->count;
			break;
		case VNPU_PKG_SEC_TENSORS:
			esz = sizeof(*v->tensors);
			v->tensors = (const struct vnpu_pkg_tensor *)p;
			v->num_tensors = s->count;
			break;
		case VNPU_PKG_SEC_IO:
			esz = sizeof(*v->io);
			v->io = (const struct vnpu_pkg_io *)p;
			v->num_io = s->count;
			break;
		case VNPU_PKG_SEC_CMDS:
			v->cmds = (const uint8_t *)p;
			v->cmds_size = s->size;
			break;
		case VNPU_PKG_SEC_RELOCS:
			esz = sizeof(*v->relocs);
			v->relocs = (const struct vnpu_pkg_reloc *)p;
			v->num_relocs = s->count;
			break;
		case VNPU_PKG_SEC_LAYERS:
			esz = sizeof(*v->layers);
			v->layers = (const struct vnpu_pkg_layer *)p;
			v->num_layers = s->count;
			break;
		case VNPU_PKG_SEC_DATA:
			v->data = (const uint8_t *)p;
			v->data_size = s->size;
			break;
		}
		if (esz && (uint64_t)s->count * esz != s->size)
			VNPU_PKG_FAIL("section size does not match its entry count");
	}
	if (!v->strtab || !v->regions || !v->io || !v->cmds || !v->relocs || !v->layers)
		VNPU_PKG_FAIL("a mandatory section is missing");
	if (!v->num_regions || v->num_regions > 64)
		VNPU_PKG_FAIL("bad number of regions");
	if (!v->cmds_size || (v->cmds_size & 7) || v->cmds_size > (1u << 20))
		VNPU_PKG_FAIL("bad command stream size");
	if (v->num_layers != h->num_layers)
		VNPU_PKG_FAIL("layer count mismatch");
	for (i = 0; i < v->num_regions; i++) {
		const struct vnpu_pkg_region *r = &v->regions[i];

		if (!r->size || r->size >= VNPU_PKG_REGION_MAX ||
		    r->kind < VNPU_PKG_REG_CONST || r->kind > VNPU_PKG_REG_PROFILE ||
		    r->placement > VNPU_PKG_PLACE_DEVMEM || r->name >= v->strtab_size)
			VNPU_PKG_FAIL("bad region");
		if (r->data_size && (r->kind != VNPU_PKG_REG_CONST ||
				     r->data_size > r->size ||
				     r->data_offset > v->data_size ||
				     r->data_size > v->data_size - r->data_offset))
			VNPU_PKG_FAIL("region data out of the DATA section");
		if ((r->kind == VNPU_PKG_REG_INPUT || r->kind == VNPU_PKG_REG_OUTPUT) &&
		    r->io_index >= v->num_io)
			VNPU_PKG_FAIL("region names a bad I/O index");
	}
	for (i = 0; i < v->num_io; i++) {
		const struct vnpu_pkg_io *io = &v->io[i];
		const struct vnpu_pkg_region *r;

		if (io->region >= v->num_regions || io->dir > VNPU_PKG_IO_OUTPUT ||
		    io->rank < 1 || io->rank > 4 || io->name >= v->strtab_size)
			VNPU_PKG_FAIL("bad I/O entry");
		r = &v->regions[io->region];
		if (r->kind != (io->dir ? VNPU_PKG_REG_OUTPUT : VNPU_PKG_REG_INPUT) ||
		    io->size > r->size || r->io_index != i)
			VNPU_PKG_FAIL("I/O entry and region disagree");
	}
	for (i = 0; i < v->num_relocs; i++) {
		const struct vnpu_pkg_reloc *r = &v->relocs[i];

		if ((r->offset & 7) || r->offset > v->cmds_size - 8 ||
		    r->region >= v->num_regions)
			VNPU_PKG_FAIL("bad relocation");
	}
	for (i = 0; i < v->num_tensors; i++)
		if (v->tensors[i].region >= v->num_regions ||
		    v->tensors[i].offset > v->regions[v->tensors[i].region].size ||
		    v->tensors[i].size > v->regions[v->tensors[i].region].size -
					 v->tensors[i].offset)
			VNPU_PKG_FAIL("allocation plan entry out of its region");
	for (i = 0; i < v->num_layers; i++) {
		const struct vnpu_pkg_layer *l = &v->layers[i];

		if (l->cmd_offset > v->cmds_size || l->cmd_size > v->cmds_size - l->cmd_offset ||
		    l->ts_index > v->num_layers || l->name >= v->strtab_size ||
		    l->op >= v->strtab_size)
			VNPU_PKG_FAIL("bad layer entry");
	}
#undef VNPU_PKG_FAIL
	return 0;
}

/*
 * Patch a copy of the command stream for regions placed at @base[r]: every
 * listed VA field gets base[r] - VNPU_PKG_REGION_VA(r) added. Returns -1 if a
 * field does not point into its region.
 */
static inline int vnpu_pkg_relocate(const struct vnpu_pkg_view *v, uint8_t *cmds,
				    const uint64_t *base)
{
	uint32_t i;

	for (i = 0; i < v->num_relocs; i++) {
		const struct vnpu_pkg_reloc *r = &v->relocs[i];
		uint64_t va, nominal = VNPU_PKG_REGION_VA(r->region);

		__builtin_memcpy(&va, cmds + r->offset, 8);
		if (va < nominal || va - nominal >= v->regions[r->region].size)
			return -1;
		va = va - nominal + base[r->region];
		__builtin_memcpy(cmds + r->offset, &va, 8);
	}
	return 0;
}

#endif /* VNPU_PACKAGE_H */
