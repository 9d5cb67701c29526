// SPDX-License-Identifier: MIT
/*
 * libaccel: command-buffer builder.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drm/vnpu_accel.h"
#include "vnpu_device.h"
#include "accel_priv.h"

_Static_assert(sizeof(struct vnpu_cmd_nop) % 8 == 0, "ISA");
_Static_assert(sizeof(struct vnpu_cmd_fill) % 8 == 0, "ISA");
_Static_assert(sizeof(struct vnpu_cmd_copy) % 8 == 0, "ISA");
_Static_assert(sizeof(struct vnpu_cmd_timestamp) % 8 == 0, "ISA");
/* Commands are stored in host order; the device reads little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "endianness");
_Static_assert(ACCEL_MAX_SYNCS == DRM_VNPU_MAX_SYNCS, "syncs");

struct accel_cmdbuf {
	struct accel_device *dev;	/* NULL: device-independent */
	uint64_t *words;		/* the stream, 8-byte aligned */
	size_t size;			/* bytes used */
	size_t cap;			/* bytes allocated */
	size_t max_size;		/* bytes allowed */
	unsigned int count;		/* commands */
	uint64_t ops;			/* opcodes allowed */
	uint64_t va_limit;		/* first VA beyond the address space */

	struct accel_bo **bos;		/* referenced BOs, no duplicates */
	unsigned int nbos, bos_cap;

	/*
	 * The last upload of the stream (accel_cmdbuf_upload()), reused by
	 * later submissions while the stream has not changed: @gen counts
	 * changes, @up_gen is the count @up_bo was written at.
	 */
	pthread_mutex_t up_lock;
	uint64_t gen, up_gen;
	struct accel_bo *up_bo;
};

/* Exposed to job.c through these accessors. */
struct accel_device *accel_cmdbuf_device(const struct accel_cmdbuf *cb);
int accel_cmdbuf_bo_handles(const struct accel_cmdbuf *cb, uint32_t **handles,
			    unsigned int *count);
int accel_cmdbuf_upload(struct accel_cmdbuf *cb, struct accel_bo **out,
			uint32_t *size);

struct accel_device *accel_cmdbuf_device(const struct accel_cmdbuf *cb)
{
	return cb->dev;
}

uint64_t accel_cmdbuf_dtypes(const struct accel_cmdbuf *cb)
{
	return cb->dev ? cb->dev->caps.dtypes : 0;
}

int accel_cmdbuf_bo_handles(const struct accel_cmdbuf *cb, uint32_t **handles,
			    unsigned int *count)
{
	uint32_t *h = NULL;
	unsigned int i;

	if (cb->nbos) {
		h = malloc(cb->nbos * sizeof(*h));
		if (!h)
			return -ENOMEM;
		for (i = 0; i < cb->nbos; i++)
			h[i] = cb->bos[i]->handle;
	}
	*handles = h;
	*count = cb->nbos;
	return 0;
}

ACCEL_EXPORT int accel_cmdbuf_new(struct accel_device *dev,
				  struct accel_cmdbuf **out)
{
	struct accel_cmdbuf *cb;

	if (!out)
		return -EINVAL;
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return -ENOMEM;
	if (pthread_mutex_init(&cb->up_lock, NULL)) {
		free(cb);
		return -ENOMEM;
	}
	cb->max_size = VNPU_CMD_MAX_SIZE;
	cb->ops = (1ull << VNPU_OP_COUNT) - 1;
	cb->va_limit = 1ull << VNPU_VA_BITS;
	if (dev) {
		accel_dev_get(dev);
		cb->dev = dev;
		if (dev->max_cmd_size < cb->max_size)
			cb->max_size = dev->max_cmd_size & ~7ull;
		cb->ops = dev->ops;
		cb->va_limit = dev->va_bits >= 64 ? UINT64_MAX :
			       1ull << dev->va_bits;
	}
	*out = cb;
	return 0;
}

static void drop_bos(struct accel_cmdbuf *cb)
{
	unsigned int i;

	for (i = 0; i < cb->nbos; i++)
		accel_bo_unref(cb->bos[i]);
	cb->nbos = 0;
}

ACCEL_EXPORT void accel_cmdbuf_free(struct accel_cmdbuf *cb)
{
	if (!cb)
		return;
	drop_bos(cb);
	accel_bo_free(cb->up_bo);	/* jobs hold their own references */
	pthread_mutex_destroy(&cb->up_lock);
	free(cb->bos);
	free(cb->words);
	if (cb->dev)
		accel_dev_put(cb->dev);
	free(cb);
}

ACCEL_EXPORT int accel_cmdbuf_reset(struct accel_cmdbuf *cb)
{
	if (!cb)
		return -EINVAL;
	drop_bos(cb);
	cb->size = 0;
	cb->count = 0;
	cb->gen++;
	return 0;
}

void accel_cmdbuf_get_mark(const struct accel_cmdbuf *cb,
			   struct accel_cmdbuf_mark *m)
{
	m->size = cb->size;
	m->count = cb->count;
	m->nbos = cb->nbos;
}

void accel_cmdbuf_rollback(struct accel_cmdbuf *cb,
			   const struct accel_cmdbuf_mark *m)
{
	while (cb->nbos > m->nbos)
		accel_bo_unref(cb->bos[--cb->nbos]);
	cb->size = m->size;
	cb->count = m->count;
	cb->gen++;
}

static bool has_bo(const struct accel_cmdbuf *cb, const struct accel_bo *bo)
{
	unsigned int i;

	/* Commands usually touch the BOs added last: search backwards. */
	for (i = cb->nbos; i-- > 0;)
		if (cb->bos[i] == bo)
			return true;
	return false;
}

/*
 * Reserve room for up to @n more BOs, so that adding them after the
 * command has been validated cannot fail.
 */
static int reserve_bos(struct accel_cmdbuf *cb, unsigned int n)
{
	unsigned int cap;
	struct accel_bo **b;

	if (cb->nbos + n <= cb->bos_cap)
		return 0;
	cap = cb->bos_cap ? 2 * cb->bos_cap : 16;
	while (cap < cb->nbos + n)
		cap *= 2;
	b = realloc(cb->bos, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	cb->bos = b;
	cb->bos_cap = cap;
	return 0;
}

/*
 * Check that [va, va + size) is a valid device range and, with a device,
 * find the BO holding it (*bo gets a reference, to be passed to commit()).
 */
int accel_cmdbuf_check_range(struct accel_cmdbuf *cb, uint64_t va, uint64_t size,
		       struct accel_bo **bo)
{
	*bo = NULL;
	if (va == 0)
		return -EFAULT;		/* VA 0 is never mapped */
	if (va >= cb->va_limit || size > cb->va_limit - va)
		return -EFAULT;		/* wraps or leaves the VA space */
	if (!cb->dev)
		return 0;
	*bo = accel_dev_find_bo(cb->dev, va, size);
	return *bo ? 0 : -EFAULT;
}

void accel_cmdbuf_put_bos(struct accel_bo **bos, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (bos[i])
			accel_bo_unref(bos[i]);
}

/*
 * Append @len bytes of @cmd and adopt the references in @bos[0..n) (NULL
 * entries allowed). On failure nothing changes and the references are
 * dropped.
 */
int accel_cmdbuf_commit(struct accel_cmdbuf *cb, const void *cmd, size_t len,
			struct accel_bo **bos, unsigned int n)
{
	unsigned int i, fresh = 0;
	int ret;

	if (!(cb->ops & (1ull << ((const struct vnpu_cmd_hdr *)cmd)->opcode))) {
		ret = -EOPNOTSUPP;
		goto err;
	}
	if (len > cb->max_size - cb->size) {
		ret = -ENOSPC;
		goto err;
	}
	for (i = 0; i < n; i++) {
		unsigned int j;

		if (!bos[i] || has_bo(cb, bos[i]))
			continue;
		for (j = 0; j < i; j++)
			if (bos[j] == bos[i])
				break;
		if (j == i)
			fresh++;
	}
	if (cb->nbos + fresh > DRM_VNPU_MAX_SUBMIT_BOS) {
		ret = -E2BIG;
		goto err;
	}
	ret = reserve_bos(cb, fresh);
	if (ret)
		goto err;
	if (cb->size + len > cb->cap) {
		size_t cap = cb->cap ? 2 * cb->cap : 256;
		uint64_t *w;

		while (cap < cb->size + len)
			cap *= 2;
		if (cap > cb->max_size)
			cap = cb->max_size;
		w = realloc(cb->words, cap);
		if (!w) {
			ret = -ENOMEM;
			goto err;
		}
		cb->words = w;
		cb->cap = cap;
	}
	memcpy((char *)cb->words + cb->size, cmd, len);
	cb->size += len;
	cb->count++;
	cb->gen++;
	for (i = 0; i < n; i++) {
		if (bos[i] && !has_bo(cb, bos[i]))
			cb->bos[cb->nbos++] = bos[i];	/* adopt the ref */
		else if (bos[i])
			accel_bo_unref(bos[i]);
	}
	return 0;

err:
	accel_cmdbuf_put_bos(bos, n);
	return ret;
}

static struct vnpu_cmd_hdr hdr(uint16_t opcode, size_t len)
{
	return (struct vnpu_cmd_hdr){ .opcode = opcode,
				      .len = (uint16_t)(len / 8) };
}

ACCEL_EXPORT int accel_cmdbuf_nop(struct accel_cmdbuf *cb)
{
	struct vnpu_cmd_nop c;

	if (!cb)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.hdr = hdr(VNPU_OP_NOP, sizeof(c));
	return accel_cmdbuf_commit(cb, &c, sizeof(c), NULL, 0);
}

ACCEL_EXPORT int accel_cmdbuf_fill(struct accel_cmdbuf *cb, uint64_t dst_va,
				   uint64_t size, uint32_t pattern)
{
	struct vnpu_cmd_fill c;
	struct accel_bo *bo;
	int ret;

	if (!cb || size > VNPU_XFER_MAX)
		return -EINVAL;
	ret = accel_cmdbuf_check_range(cb, dst_va, size, &bo);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.hdr = hdr(VNPU_OP_FILL, sizeof(c));
	c.dst = dst_va;
	c.size = size;
	c.pattern = pattern;
	return accel_cmdbuf_commit(cb, &c, sizeof(c), &bo, 1);
}

ACCEL_EXPORT int accel_cmdbuf_copy(struct accel_cmdbuf *cb, uint64_t dst_va,
				   uint64_t src_va, uint64_t size)
{
	struct accel_bo *bos[2];
	struct vnpu_cmd_copy c;
	int ret;

	if (!cb || size > VNPU_XFER_MAX)
		return -EINVAL;
	ret = accel_cmdbuf_check_range(cb, src_va, size, &bos[0]);
	if (ret)
		return ret;
	ret = accel_cmdbuf_check_range(cb, dst_va, size, &bos[1]);
	if (ret) {
		accel_cmdbuf_put_bos(bos, 1);
		return ret;
	}
	/* Both ranges are inside the VA space, so the sums cannot wrap. */
	if (size && src_va < dst_va + size && dst_va < src_va + size) {
		accel_cmdbuf_put_bos(bos, 2);
		return -EINVAL;
	}
	memset(&c, 0, sizeof(c));
	c.hdr = hdr(VNPU_OP_COPY, sizeof(c));
	c.src = src_va;
	c.dst = dst_va;
	c.size = size;
	return accel_cmdbuf_commit(cb, &c, sizeof(c), bos, 2);
}

ACCEL_EXPORT int accel_cmdbuf_timestamp(struct accel_cmdbuf *cb,
					uint64_t dst_va)
{
	struct vnpu_cmd_timestamp c;
	struct accel_bo *bo;
	int ret;

	if (!cb || (dst_va & 7))
		return -EINVAL;
	ret = accel_cmdbuf_check_range(cb, dst_va, sizeof(uint64_t), &bo);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.hdr = hdr(VNPU_OP_TIMESTAMP, sizeof(c));
	c.dst = dst_va;
	return accel_cmdbuf_commit(cb, &c, sizeof(c), &bo, 1);
}

ACCEL_EXPORT int accel_cmdbuf_add_bo(struct accel_cmdbuf *cb,
				     struct accel_bo *bo)
{
	int ret;

	if (!cb || !bo || !cb->dev)
		return -EINVAL;
	if (bo->dev != cb->dev)
		return -EXDEV;
	if (has_bo(cb, bo))
		return 0;
	if (cb->nbos >= DRM_VNPU_MAX_SUBMIT_BOS)
		return -E2BIG;
	ret = reserve_bos(cb, 1);
	if (ret)
		return ret;
	accel_bo_ref(bo);
	cb->bos[cb->nbos++] = bo;
	return 0;
}

/*
 * A BO holding the stream, for submission: *@out gets a reference (the
 * job's). The BO written for an earlier submission is reused while the
 * stream is unchanged: jobs only read it, so jobs in flight and new ones
 * can share it, and a changed stream goes to a new BO while the jobs
 * still using the old one keep it alive. This saves creating, mapping,
 * unmapping and freeing a BO per job.
 */
int accel_cmdbuf_upload(struct accel_cmdbuf *cb, struct accel_bo **out,
			uint32_t *size)
{
	struct accel_bo *bo;
	void *map;
	int ret;

	if (!cb->size)
		return -ENODATA;
	pthread_mutex_lock(&cb->up_lock);
	if (cb->up_bo && cb->up_gen == cb->gen)
		goto out;
	accel_bo_free(cb->up_bo);
	cb->up_bo = NULL;
	ret = accel_bo_new(cb->dev, cb->size, 0, &bo);
	if (ret)
		goto err;
	ret = accel_bo_map(bo, &map);
	if (ret) {
		accel_bo_free(bo);
		goto err;
	}
	memcpy(map, cb->words, cb->size);
	accel_bo_unmap(bo);
	cb->up_bo = bo;
	cb->up_gen = cb->gen;
out:
	accel_bo_ref(cb->up_bo);
	*out = cb->up_bo;
	*size = (uint32_t)cb->size;
	pthread_mutex_unlock(&cb->up_lock);
	return 0;
err:
	pthread_mutex_unlock(&cb->up_lock);
	return ret;
}

ACCEL_EXPORT int accel_cmdbuf_get_stream(const struct accel_cmdbuf *cb,
					 const void **data, size_t *size)
{
	if (!cb || !data || !size)
		return -EINVAL;
	*data = cb->words;
	*size = cb->size;
	return 0;
}

ACCEL_EXPORT int accel_cmdbuf_get_count(const struct accel_cmdbuf *cb,
					unsigned int *commands)
{
	if (!cb || !commands)
		return -EINVAL;
	*commands = cb->count;
	return 0;
}

ACCEL_EXPORT int accel_cmdbuf_get_bo_count(const struct accel_cmdbuf *cb,
					   unsigned int *count)
{
	if (!cb || !count)
		return -EINVAL;
	*count = cb->nbos;
	return 0;
}
