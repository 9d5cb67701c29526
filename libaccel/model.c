// SPDX-License-Identifier: MIT
/*
 * libaccel: compiled models (accel_model_*). Loads a vnpu job package,
 * creates one BO per memory region, relocates the command stream to the
 * BOs' VAs and replays it through the validating accel_cmdbuf_* builders
 * (accel_cmdbuf_append_stream()), then runs it with host or BO bindings
 * for the I/O.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vnpu_device.h"
#include "accel_priv.h"
#include "accel_model.h"
#include "../tools/compiler/vnpu_package.h"

#define MAX_REGIONS	64

/*
 * What clones share: the package image. Not the constants: the driver
 * orders jobs that list the same BO (implicit sync), so instances that
 * should run in parallel must not share any BO.
 */
struct model_shared {
	atomic_uint refcount;
	void *image;
	size_t size;
	struct vnpu_pkg_view v;
};

struct accel_model {
	struct model_shared *sh;
	struct accel_device *dev;
	uint32_t flags;
	uint32_t queue;
	struct accel_bo *bo[MAX_REGIONS];	/* one BO per region */
	void *map[MAX_REGIONS];			/* CPU view of own BOs */
	struct accel_bo *bound[MAX_REGIONS];	/* user BO bound to an I/O region */
	uint64_t bound_off[MAX_REGIONS];
	const void **in_ptr;			/* per I/O entry */
	void **out_ptr;
	struct accel_cmdbuf *cb;
	bool dirty;
	struct accel_job *last;
	bool pending;
	uint64_t *layer_ns;
	uint64_t devmem_bytes;
	unsigned int nin, nout;
	unsigned int *in_io, *out_io;	/* input/output index -> I/O entry */
};

static void shared_put(struct model_shared *sh)
{
	if (!sh || atomic_fetch_sub(&sh->refcount, 1) != 1)
		return;
	free(sh->image);
	free(sh);
}

/* A BO for region @r: device memory if the package asks and it works. */
static int region_bo(struct accel_model *m, const struct vnpu_pkg_region *rg,
		     struct accel_bo **bo, uint64_t *devmem)
{
	int ret = -EOPNOTSUPP;

	if (rg->placement == VNPU_PKG_PLACE_DEVMEM && !(m->flags & ACCEL_MODEL_NO_DEVMEM)) {
		ret = accel_bo_new(m->dev, rg->size, ACCEL_BO_DEVMEM, bo);
		if (!ret) {
			*devmem += rg->size;
			return 0;
		}
	}
	/* no device memory, or it is full: system memory */
	return accel_bo_new(m->dev, rg->size, 0, bo);
}

/* (Re)build the command buffer for the current BOs and bindings. */
static int build(struct accel_model *m)
{
	const struct vnpu_pkg_view *v = &m->sh->v;
	uint64_t base[MAX_REGIONS];
	struct accel_cmdbuf *cb;
	uint8_t *cmds;
	unsigned int r;
	int ret;

	for (r = 0; r < v->num_regions; r++) {
		struct accel_bo *bo = m->bound[r] ? m->bound[r] : m->bo[r];

		accel_bo_get_va(bo, &base[r]);
		if (m->bound[r])
			base[r] += m->bound_off[r];
	}
	cmds = malloc(v->cmds_size);
	if (!cmds)
		return -ENOMEM;
	memcpy(cmds, v->cmds, v->cmds_size);
	if (vnpu_pkg_relocate(v, cmds, base)) {
		free(cmds);
		return -EBADMSG;
	}
	ret = accel_cmdbuf_new(m->dev, &cb);
	if (ret) {
		free(cmds);
		return ret;
	}
	/* every command goes through its validating builder again */
	ret = accel_cmdbuf_append_stream(cb, cmds, v->cmds_size, NULL);
	free(cmds);
	if (ret) {
		accel_cmdbuf_free(cb);
		return ret;
	}
	accel_cmdbuf_free(m->cb);
	m->cb = cb;
	m->dirty = false;
	return 0;
}

static int instantiate(struct accel_device *dev, struct model_shared *sh,
		       uint32_t flags, struct accel_model **out)
{
	const struct vnpu_pkg_view *v = &sh->v;
	struct accel_model *m;
	unsigned int r, i;
	int ret = -ENOMEM;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->sh = sh;
	m->dev = dev;
	m->flags = flags;
	accel_dev_get(dev);
	m->in_ptr = calloc(v->num_io, sizeof(*m->in_ptr));
	m->out_ptr = calloc(v->num_io, sizeof(*m->out_ptr));
	m->in_io = calloc(v->num_io, sizeof(unsigned int));
	m->out_io = calloc(v->num_io, sizeof(unsigned int));
	m->layer_ns = calloc(v->num_layers + 1, sizeof(uint64_t));
	if (!m->in_ptr || !m->out_ptr || !m->in_io || !m->out_io || !m->layer_ns)
		goto err;
	for (i = 0; i < v->num_io; i++) {
		if (v->io[i].dir == VNPU_PKG_IO_INPUT)
			m->in_io[m->nin++] = i;
		else
			m->out_io[m->nout++] = i;
	}
	for (r = 0; r < v->num_regions; r++) {
		const struct vnpu_pkg_region *rg = &v->regions[r];
		void *p;

		ret = region_bo(m, rg, &m->bo[r], &m->devmem_bytes);
		if (ret)
			goto err;
		if (rg->kind == VNPU_PKG_REG_CONST) {
			ret = accel_bo_map(m->bo[r], &p);
			if (ret)
				goto err;
			memcpy(p, v->data + rg->data_offset, rg->data_size);
			accel_bo_unmap(m->bo[r]);
			continue;
		}
		if (rg->kind == VNPU_PKG_REG_SCRATCH)
			continue;	/* the CPU never looks */
		ret = accel_bo_map(m->bo[r], &m->map[r]);
		if (ret)
			goto err;
	}
	ret = build(m);
	if (ret)
		goto err;
	*out = m;
	return 0;
err:
	m->sh = NULL;	/* the caller keeps its reference on failure */
	accel_model_free(m);
	return ret;
}

ACCEL_EXPORT int accel_model_load_buffer(struct accel_device *dev, const void *data,
					 size_t size, uint32_t flags,
					 struct accel_model **model)
{
	struct model_shared *sh;
	const char *why;
	int ret;

	if (!dev || !data || !model || (flags & ~ACCEL_MODEL_NO_DEVMEM))
		return -EINVAL;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	atomic_init(&sh->refcount, 1);
	sh->image = aligned_alloc(8, (size + 7) & ~(size_t)7);
	if (!sh->image) {
		free(sh);
		return -ENOMEM;
	}
	memcpy(sh->image, data, size);
	sh->size = size;
	if (vnpu_pkg_parse(sh->image, size, &sh->v, &why) ||
	    sh->v.num_regions > MAX_REGIONS) {
		shared_put(sh);
		return -EBADMSG;
	}
	ret = instantiate(dev, sh, flags, model);
	if (ret)
		shared_put(sh);
	return ret;
}

ACCEL_EXPORT int accel_model_load(struct accel_device *dev, const char *path,
				  uint32_t flags, struct accel_model **model)
{
	struct stat st;
	size_t done = 0;
	void *buf;
	int fd, ret;

	if (!dev || !path || !model || (flags & ~ACCEL_MODEL_NO_DEVMEM))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct vnpu_pkg_header)) {
		close(fd);
		return -EBADMSG;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, (char *)buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EBADMSG;
			close(fd);
			free(buf);
			return ret;
		}
		done += n;
	}
	close(fd);
	ret = accel_model_load_buffer(dev, buf, done, flags, model);
	free(buf);
	return ret;
}

ACCEL_EXPORT int accel_model_clone(struct accel_model *model, struct accel_model **clone)
{
	int ret;

	if (!model || !clone)
		return -EINVAL;
	atomic_fetch_add(&model->sh->refcount, 1);
	ret = instantiate(model->dev, model->sh, model->flags, clone);
	if (ret)
		shared_put(model->sh);
	return ret;
}

ACCEL_EXPORT int accel_model_clone_to(struct accel_model *model,
				      struct accel_device *dev,
				      struct accel_model **clone)
{
	int ret;

	if (!model || !dev || !clone)
		return -EINVAL;
	atomic_fetch_add(&model->sh->refcount, 1);
	ret = instantiate(dev, model->sh, model->flags, clone);
	if (ret)
		shared_put(model->sh);
	return ret;
}

ACCEL_EXPORT int accel_model_load_devices(struct accel_device *const *devs,
					  unsigned int count, const char *path,
					  uint32_t flags, struct accel_model **models)
{
	struct accel_model *m[ACCEL_MODEL_MAX_INSTANCES];
	unsigned int i;
	int ret;

	if (!devs || !path || !models || !count || count > ACCEL_MODEL_MAX_INSTANCES ||
	    (flags & ~ACCEL_MODEL_NO_DEVMEM))
		return -EINVAL;
	for (i = 0; i < count; i++)
		if (!devs[i])
			return -EINVAL;
	ret = accel_model_load(devs[0], path, flags, &m[0]);
	if (ret)
		return ret;
	for (i = 1; i < count; i++) {
		ret = accel_model_clone_to(m[0], devs[i], &m[i]);
		if (ret) {
			while (i--)
				accel_model_free(m[i]);
			return ret;
		}
	}
	memcpy(models, m, count * sizeof(*m));
	return 0;
}

static bool same_package(const struct model_shared *a, const struct model_shared *b)
{
	return a == b || (a->size == b->size && !memcmp(a->image, b->image, a->size));
}

/* Wait for @m's job if one is pending and forget its bound I/O. */
static int model_settle(struct accel_model *m)
{
	unsigned int k;
	int ret = 0;

	if (m->pending)
		ret = accel_model_wait(m, -1);
	for (k = 0; k < m->sh->v.num_io; k++) {
		m->in_ptr[k] = NULL;
		m->out_ptr[k] = NULL;
	}
	return ret;
}

ACCEL_EXPORT int accel_model_run_batch(struct accel_model *const *models,
				       unsigned int count, unsigned int items,
				       const void *const *inputs,
				       void *const *outputs)
{
	unsigned int i, k, nin, nout;
	int err = 0, ret;

	if (!models || !count || count > ACCEL_MODEL_MAX_INSTANCES || !inputs || !outputs)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		const struct accel_model *m = models[i];

		if (!m || !same_package(m->sh, models[0]->sh))
			return -EINVAL;
		for (k = 0; k < m->sh->v.num_io; k++)
			if (m->bound[m->sh->v.io[k].region])
				return -EINVAL;
	}
	nin = models[0]->nin;
	nout = models[0]->nout;
	for (i = 0; i < items; i++) {
		struct accel_model *m = models[i % count];

		/* its previous item's outputs go to that item's pointers */
		if (m->pending) {
			ret = accel_model_wait(m, -1);
			if (ret && !err)
				err = ret;
		}
		for (k = 0; k < nin; k++)
			m->in_ptr[m->in_io[k]] = inputs[(size_t)i * nin + k];
		for (k = 0; k < nout; k++)
			m->out_ptr[m->out_io[k]] = outputs[(size_t)i * nout + k];
		ret = accel_model_submit(m, NULL, NULL);
		if (ret) {
			if (!err)
				err = ret;
			break;
		}
	}
	for (i = 0; i < count; i++) {
		ret = model_settle(models[i]);
		if (ret && !err)
			err = ret;
	}
	return err;
}

struct accel_model_pipeline {
	unsigned int n;
	struct accel_model *inst[ACCEL_MODEL_MAX_STAGES][2];
	/* boundary s (stage s -> s + 1), copy k: producer's BO and its import */
	struct accel_bo *bo[ACCEL_MODEL_MAX_STAGES][2];
	struct accel_bo *imp[ACCEL_MODEL_MAX_STAGES][2];
};

ACCEL_EXPORT void accel_model_pipeline_free(struct accel_model_pipeline *p)
{
	unsigned int s, k;

	if (!p)
		return;
	/* the instances first: they wait for their runs and drop their bindings */
	for (s = 0; s < p->n; s++)
		for (k = 0; k < 2; k++)
			accel_model_free(p->inst[s][k]);
	for (s = 0; s < p->n; s++) {
		for (k = 0; k < 2; k++) {
			if (p->imp[s][k] != p->bo[s][k])
				accel_bo_free(p->imp[s][k]);
			accel_bo_free(p->bo[s][k]);
		}
	}
	free(p);
}

/* Size of the region behind I/O entry @e. */
static uint64_t io_region_size(const struct accel_model *m, unsigned int e)
{
	return m->sh->v.regions[m->sh->v.io[e].region].size;
}

/* The BOs of boundary @s, copy @k, bound to both instances. */
static int pipeline_link(struct accel_model_pipeline *p, unsigned int s, unsigned int k)
{
	struct accel_model *prod = p->inst[s][k], *cons = p->inst[s + 1][k];
	uint64_t size = io_region_size(prod, prod->out_io[0]);
	int fd, ret;

	if (io_region_size(cons, cons->in_io[0]) > size)
		size = io_region_size(cons, cons->in_io[0]);
	ret = accel_bo_new(prod->dev, size, 0, &p->bo[s][k]);
	if (ret)
		return ret;
	if (cons->dev == prod->dev) {
		p->imp[s][k] = p->bo[s][k];	/* one handle: the BO itself */
	} else {
		ret = accel_bo_export(p->bo[s][k], &fd);
		if (ret)
			return ret;
		ret = accel_bo_import(cons->dev, fd, &p->imp[s][k]);
		close(fd);	/* the import holds the dma-buf */
		if (ret)
			return ret;
	}
	ret = accel_model_bind_output_bo(prod, 0, p->bo[s][k], 0);
	if (!ret)
		ret = accel_model_bind_input_bo(cons, 0, p->imp[s][k], 0);
	return ret;
}

ACCEL_EXPORT int accel_model_pipeline_new(struct accel_model *const *stages,
					  unsigned int count,
					  struct accel_model_pipeline **pipe)
{
	struct accel_model_pipeline *p;
	unsigned int s, k;
	int ret;

	if (!stages || !pipe || count < 2 || count > ACCEL_MODEL_MAX_STAGES)
		return -EINVAL;
	for (s = 0; s < count; s++) {
		if (!stages[s])
			return -EINVAL;
		if (s + 1 < count) {
			const struct accel_model *a = stages[s], *b = stages[s + 1];
			const struct vnpu_pkg_io *o, *i;

			if (!b || a->nout != 1 || b->nin != 1)
				return -EINVAL;
			o = &a->sh->v.io[a->out_io[0]];
			i = &b->sh->v.io[b->in_io[0]];
			if (o->dtype != i->dtype || o->size != i->size)
				return -EINVAL;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n = count;
	for (s = 0; s < count; s++) {
		for (k = 0; k < 2; k++) {
			ret = accel_model_clone_to(stages[s], stages[s]->dev, &p->inst[s][k]);
			if (ret)
				goto err;
			p->inst[s][k]->queue = stages[s]->queue;
		}
	}
	for (s = 0; s + 1 < count; s++) {
		for (k = 0; k < 2; k++) {
			ret = pipeline_link(p, s, k);
			if (ret)
				goto err;
		}
	}
	*pipe = p;
	return 0;
err:
	accel_model_pipeline_free(p);
	return ret;
}

ACCEL_EXPORT int accel_model_pipeline_run(struct accel_model_pipeline *p,
					  unsigned int items,
					  const void *const *inputs,
					  void *const *outputs)
{
	unsigned int i, s, k, nin, nout;
	int err = 0, ret;

	if (!p || !inputs || !outputs)
		return -EINVAL;
	nin = p->inst[0][0]->nin;
	nout = p->inst[p->n - 1][0]->nout;
	for (i = 0; i < items && !err; i++) {
		for (s = 0; s < p->n; s++) {
			struct accel_model *m = p->inst[s][i % 2];

			/* item i - 2 is done with this instance (outputs copied) */
			if (m->pending) {
				ret = accel_model_wait(m, -1);
				if (ret && !err)
					err = ret;
			}
			if (s == 0)
				for (k = 0; k < nin; k++)
					m->in_ptr[m->in_io[k]] = inputs[(size_t)i * nin + k];
			if (s == p->n - 1)
				for (k = 0; k < nout; k++)
					m->out_ptr[m->out_io[k]] = outputs[(size_t)i * nout + k];
			/* ordered after stage s - 1 of this item by implicit sync */
			ret = accel_model_submit(m, NULL, NULL);
			if (ret) {
				if (!err)
					err = ret;
				break;
			}
		}
	}
	for (i = 0; i < 2; i++) {
		for (s = 0; s < p->n; s++) {
			ret = model_settle(p->inst[s][i]);
			if (ret && !err)
				err = ret;
		}
	}
	return err;
}

ACCEL_EXPORT void accel_model_free(struct accel_model *m)
{
	unsigned int r;

	if (!m)
		return;
	if (m->last) {
		accel_job_wait(m->last, -1, NULL);
		accel_job_free(m->last);
	}
	accel_cmdbuf_free(m->cb);
	for (r = 0; r < MAX_REGIONS; r++) {
		if (m->map[r])
			accel_bo_unmap(m->bo[r]);
		accel_bo_free(m->bo[r]);
		if (m->bound[r])
			accel_bo_unref(m->bound[r]);
	}
	shared_put(m->sh);
	free(m->in_ptr);
	free(m->out_ptr);
	free(m->in_io);
	free(m->out_io);
	free(m->layer_ns);
	accel_dev_put(m->dev);
	free(m);
}

ACCEL_EXPORT int accel_model_get_io_count(const struct accel_model *m,
					  unsigned int *inputs, unsigned int *outputs)
{
	if (!m)
		return -EINVAL;
	if (inputs)
		*inputs = m->nin;
	if (outputs)
		*outputs = m->nout;
	return 0;
}

static void io_info(const struct accel_model *m, unsigned int e, struct accel_model_io *io)
{
	const struct vnpu_pkg_io *p = &m->sh->v.io[e];

	memset(io, 0, sizeof(*io));
	io->name = vnpu_pkg_str(&m->sh->v, p->name);
	io->dtype = p->dtype;
	io->rank = p->rank;
	memcpy(io->shape, p->shape, sizeof(io->shape));
	io->size = p->size;
}

ACCEL_EXPORT int accel_model_get_input(const struct accel_model *m, unsigned int index,
				       struct accel_model_io *io)
{
	if (!m || !io)
		return -EINVAL;
	if (index >= m->nin)
		return -ERANGE;
	io_info(m, m->in_io[index], io);
	return 0;
}

ACCEL_EXPORT int accel_model_get_output(const struct accel_model *m, unsigned int index,
					struct accel_model_io *io)
{
	if (!m || !io)
		return -EINVAL;
	if (index >= m->nout)
		return -ERANGE;
	io_info(m, m->out_io[index], io);
	return 0;
}

ACCEL_EXPORT int accel_model_bind_input(struct accel_model *m, unsigned int index,
					const void *data)
{
	if (!m)
		return -EINVAL;
	if (index >= m->nin)
		return -ERANGE;
	m->in_ptr[m->in_io[index]] = data;
	return 0;
}

ACCEL_EXPORT int accel_model_bind_output(struct accel_model *m, unsigned int index,
					 void *data)
{
	if (!m)
		return -EINVAL;
	if (index >= m->nout)
		return -ERANGE;
	m->out_ptr[m->out_io[index]] = data;
	return 0;
}

static int bind_bo(struct accel_model *m, unsigned int e, struct accel_bo *bo,
		   uint64_t offset)
{
	unsigned int r = m->sh->v.io[e].region;
	uint64_t size;

	if (bo) {
		if (bo->dev != m->dev)
			return -EXDEV;
		accel_bo_get_size(bo, &size);
		if (offset > size || m->sh->v.regions[r].size > size - offset)
			return -ERANGE;
		accel_bo_ref(bo);
	}
	if (m->bound[r])
		accel_bo_unref(m->bound[r]);
	m->bound[r] = bo;
	m->bound_off[r] = offset;
	m->dirty = true;
	return 0;
}

ACCEL_EXPORT int accel_model_bind_input_bo(struct accel_model *m, unsigned int index,
					   struct accel_bo *bo, uint64_t offset)
{
	int ret;

	if (!m)
		return -EINVAL;
	if (index >= m->nin)
		return -ERANGE;
	ret = bind_bo(m, m->in_io[index], bo, offset);
	if (!ret)
		m->in_ptr[m->in_io[index]] = NULL;
	return ret;
}

ACCEL_EXPORT int accel_model_bind_output_bo(struct accel_model *m, unsigned int index,
					    struct accel_bo *bo, uint64_t offset)
{
	int ret;

	if (!m)
		return -EINVAL;
	if (index >= m->nout)
		return -ERANGE;
	ret = bind_bo(m, m->out_io[index], bo, offset);
	if (!ret)
		m->out_ptr[m->out_io[index]] = NULL;
	return ret;
}

ACCEL_EXPORT int accel_model_get_input_bo(struct accel_model *m, unsigned int index,
					  struct accel_bo **bo)
{
	if (!m || !bo)
		return -EINVAL;
	if (index >= m->nin)
		return -ERANGE;
	*bo = m->bo[m->sh->v.io[m->in_io[index]].region];
	return 0;
}

ACCEL_EXPORT int accel_model_get_output_bo(struct accel_model *m, unsigned int index,
					   struct accel_bo **bo)
{
	if (!m || !bo)
		return -EINVAL;
	if (index >= m->nout)
		return -ERANGE;
	*bo = m->bo[m->sh->v.io[m->out_io[index]].region];
	return 0;
}

ACCEL_EXPORT int accel_model_set_queue(struct accel_model *m, uint32_t queue)
{
	if (!m || queue >= m->dev->num_queues)
		return -EINVAL;
	m->queue = queue;
	return 0;
}

ACCEL_EXPORT int accel_model_submit(struct accel_model *m,
				    const struct accel_submit_opts *opts,
				    struct accel_job **job)
{
	const struct vnpu_pkg_view *v;
	unsigned int i;
	int ret;

	if (!m)
		return -EINVAL;
	v = &m->sh->v;
	if (m->pending)
		accel_model_wait(m, -1);	/* its outcome was the caller's to get */
	if (m->dirty) {
		ret = build(m);
		if (ret)
			return ret;
	}
	for (i = 0; i < v->num_io; i++) {
		unsigned int r = v->io[i].region;

		if (v->io[i].dir == VNPU_PKG_IO_INPUT && m->in_ptr[i] && !m->bound[r])
			memcpy(m->map[r], m->in_ptr[i], v->io[i].size);
	}
	accel_job_free(m->last);
	m->last = NULL;
	ret = accel_job_submit(m->dev, m->cb, m->queue, opts, &m->last);
	if (ret)
		return ret;
	m->pending = true;
	if (job)
		*job = m->last;
	return 0;
}

ACCEL_EXPORT int accel_model_wait(struct accel_model *m, int64_t timeout_ns)
{
	const struct vnpu_pkg_view *v;
	unsigned int i;
	int ret, status = 0;

	if (!m)
		return -EINVAL;
	if (!m->last)
		return -ENODATA;
	ret = accel_job_wait(m->last, timeout_ns, &status);
	if (ret)
		return ret;
	if (!m->pending)
		return status;	/* already collected */
	m->pending = false;
	if (status)
		return status;
	v = &m->sh->v;
	for (i = 0; i < v->num_io; i++) {
		unsigned int r = v->io[i].region;

		if (v->io[i].dir == VNPU_PKG_IO_OUTPUT && m->out_ptr[i] && !m->bound[r])
			memcpy(m->out_ptr[i], m->map[r], v->io[i].size);
	}
	for (i = 0; i < v->num_regions; i++) {
		const uint64_t *ts = m->map[i];
		unsigned int l;

		if (v->regions[i].kind != VNPU_PKG_REG_PROFILE || !ts)
			continue;
		for (l = 0; l < v->num_layers; l++) {
			uint32_t k = v->layers[l].ts_index;

			if (k && (uint64_t)(k + 1) * 8 <= v->regions[i].size && ts[k] >= ts[k - 1])
				m->layer_ns[l] = ts[k] - ts[k - 1];
		}
	}
	return 0;
}

ACCEL_EXPORT int accel_model_run(struct accel_model *m)
{
	int ret = accel_model_submit(m, NULL, NULL);

	return ret ? ret : accel_model_wait(m, -1);
}

ACCEL_EXPORT int accel_model_get_layer_count(const struct accel_model *m,
					     unsigned int *count)
{
	if (!m || !count)
		return -EINVAL;
	*count = m->sh->v.num_layers;
	return 0;
}

ACCEL_EXPORT int accel_model_get_layer(const struct accel_model *m, unsigned int index,
				       struct accel_model_layer *layer)
{
	const struct vnpu_pkg_layer *l;

	if (!m || !layer)
		return -EINVAL;
	if (index >= m->sh->v.num_layers)
		return -ERANGE;
	l = &m->sh->v.layers[index];
	layer->name = vnpu_pkg_str(&m->sh->v, l->name);
	layer->op = vnpu_pkg_str(&m->sh->v, l->op);
	layer->macs = l->macs;
	layer->bytes = l->bytes;
	layer->time_ns = m->layer_ns[index];
	return 0;
}

ACCEL_EXPORT int accel_model_get_devmem_size(const struct accel_model *m, uint64_t *bytes)
{
	if (!m || !bytes)
		return -EINVAL;
	*bytes = m->devmem_bytes;
	return 0;
}
