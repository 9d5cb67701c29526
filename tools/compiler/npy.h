/* SPDX-License-Identifier: MIT */
/*
 * Minimal .npy (NumPy format 1.0/2.0/3.0) reader and writer: little-endian
 * float32, int64 or int8 arrays in C order.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#ifndef VNPU_NPY_H
#define VNPU_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_RANK 8

struct npy {
	char descr[8];		/* "<f4", "<i8", "|i1" */
	int rank;
	int64_t shape[NPY_MAX_RANK];
	size_t elem_size;
	size_t count;		/* elements */
	void *data;
};

/* Returns 0 or -errno (-EINVAL: malformed or unsupported); msg explains. */
int npy_read(const char *path, struct npy *a, char *msg, size_t len);
int npy_write(const char *path, const char *descr, int rank,
	      const int64_t *shape, const void *data);
void npy_free(struct npy *a);

#endif /* VNPU_NPY_H */
