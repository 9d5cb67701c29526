// SPDX-License-Identifier: MIT
/*
 * Minimal .npy reader and writer (see npy.h).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"

static int fail(char *msg, size_t len, const char *path, const char *why)
{
	if (msg)
		snprintf(msg, len, "%s: %s", path, why);
	return -EINVAL;
}

int npy_read(const char *path, struct npy *a, char *msg, size_t len)
{
	unsigned char pre[12];
	char *hdr = NULL, *p;
	uint32_t hlen;
	size_t hoff;
	FILE *f;
	int ret = -EINVAL;

	memset(a, 0, sizeof(*a));
	f = fopen(path, "rb");
	if (!f) {
		ret = -errno;
		if (msg)
			snprintf(msg, len, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6)) {
		ret = fail(msg, len, path, "not a .npy file");
		goto out;
	}
	if (pre[6] == 1) {
		hlen = pre[8] | pre[9] << 8;
		hoff = 10;
	} else if (pre[6] == 2 || pre[6] == 3) {
		if (fread(pre + 10, 1, 2, f) != 2) {
			ret = fail(msg, len, path, "truncated header");
			goto out;
		}
		hlen = pre[8] | pre[9] << 8 | pre[10] << 16 | (uint32_t)pre[11] << 24;
		hoff = 12;
	} else {
		ret = fail(msg, len, path, "unknown .npy version");
		goto out;
	}
	if (hlen > 1 << 16) {
		ret = fail(msg, len, path, "header too long");
		goto out;
	}
	hdr = calloc(1, hlen + 1);
	if (!hdr || fread(hdr, 1, hlen, f) != hlen) {
		ret = fail(msg, len, path, "truncated header");
		goto out;
	}
	(void)hoff;
	p = strstr(hdr, "'descr':");
	if (!p || sscanf(p, "'descr': '%7[^']'", a->descr) != 1) {
		ret = fail(msg, len, path, "no descr");
		goto out;
	}
	if (!strcmp(a->descr, "<f4") || !strcmp(a->descr, "<i4") || !strcmp(a->descr, "<u4"))
		a->elem_size = 4;
	else if (!strcmp(a->descr, "<i8") || !strcmp(a->descr, "<f8"))
		a->elem_size = 8;
	else if (!strcmp(a->descr, "|i1") || !strcmp(a->descr, "|u1"))
		a->elem_size = 1;
	else {
		ret = fail(msg, len, path, "unsupported dtype (need <f4, <f8, <i4, <i8, |i1 or |u1)");
		goto out;
	}
	p = strstr(hdr, "'fortran_order':");
	if (!p || strncmp(p + 16 + strspn(p + 16, " "), "False", 5)) {
		ret = fail(msg, len, path, "Fortran order is not supported");
		goto out;
	}
	p = strstr(hdr, "'shape':");
	if (!p || !(p = strchr(p, '('))) {
		ret = fail(msg, len, path, "no shape");
		goto out;
	}
	p++;
	a->count = 1;
	while (*p && *p != ')') {
		char *end;
		long long d;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ')')
			break;
		d = strtoll(p, &end, 10);
		if (end == p || d < 0 || a->rank == NPY_MAX_RANK) {
			ret = fail(msg, len, path, "bad shape");
			goto out;
		}
		a->shape[a->rank++] = d;
		a->count *= (size_t)d;
		p = end;
	}
	a->data = malloc(a->count * a->elem_size + 1);
	if (!a->data) {
		ret = -ENOMEM;
		goto out;
	}
	if (fread(a->data, a->elem_size, a->count, f) != a->count) {
		free(a->data);
		a->data = NULL;
		ret = fail(msg, len, path, "truncated data");
		goto out;
	}
	ret = 0;
out:
	free(hdr);
	fclose(f);
	return ret;
}

int npy_write(const char *path, const char *descr, int rank,
	      const int64_t *shape, const void *data)
{
	char hdr[256];
	size_t n = 1, es, o;
	unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0 };
	FILE *f;
	int i, ret = 0;

	es = !strcmp(descr, "<f4") || !strcmp(descr, "<i4") ? 4 :
	     !strcmp(descr, "<i8") || !strcmp(descr, "<f8") ? 8 : 1;
	o = snprintf(hdr, sizeof(hdr), "{'descr': '%s', 'fortran_order': False, 'shape': (",
		     descr);
	for (i = 0; i < rank; i++) {
		o += snprintf(hdr + o, sizeof(hdr) - o, "%lld,%s", (long long)shape[i],
			      i + 1 < rank ? " " : "");
		n *= shape[i];
	}
	o += snprintf(hdr + o, sizeof(hdr) - o, "), }");
	while ((10 + o + 1) % 64)
		hdr[o++] = ' ';
	hdr[o++] = '\n';
	pre[8] = o & 0xff;
	pre[9] = o >> 8;
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (fwrite(pre, 1, 10, f) != 10 || fwrite(hdr, 1, o, f) != o ||
	    fwrite(data, es, n, f) != n)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	return ret;
}

void npy_free(struct npy *a)
{
	free(a->data);
	a->data = NULL;
}
