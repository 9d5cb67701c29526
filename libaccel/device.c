// SPDX-License-Identifier: MIT
/*
 * libaccel: device enumeration, open/close, parameters.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <libudev.h>
#include <xf86drm.h>

#include "drm/vnpu_accel.h"
#include "vnpu_device.h"
#include "accel_priv.h"

_Static_assert(ACCEL_PARAM_DEVICE_ID == DRM_VNPU_PARAM_DEVICE_ID, "param");
_Static_assert(ACCEL_PARAM_REVISION == DRM_VNPU_PARAM_REVISION, "param");
_Static_assert(ACCEL_PARAM_NUM_QUEUES == DRM_VNPU_PARAM_NUM_QUEUES, "param");
_Static_assert(ACCEL_PARAM_NUM_ENGINES == DRM_VNPU_PARAM_NUM_ENGINES, "param");
_Static_assert(ACCEL_PARAM_QUEUE_DEPTH == DRM_VNPU_PARAM_QUEUE_DEPTH, "param");
_Static_assert(ACCEL_PARAM_DEVMEM_SIZE == DRM_VNPU_PARAM_DEVMEM_SIZE, "param");
_Static_assert(ACCEL_PARAM_VA_BITS == DRM_VNPU_PARAM_VA_BITS, "param");
_Static_assert(ACCEL_PARAM_VA_START == DRM_VNPU_PARAM_VA_START, "param");
_Static_assert(ACCEL_PARAM_VA_END == DRM_VNPU_PARAM_VA_END, "param");
_Static_assert(ACCEL_PARAM_PAGE_SIZES == DRM_VNPU_PARAM_PAGE_SIZES, "param");
_Static_assert(ACCEL_PARAM_OPS == DRM_VNPU_PARAM_OPS, "param");
_Static_assert(ACCEL_PARAM_CONTEXT_ID == DRM_VNPU_PARAM_CONTEXT_ID, "param");
_Static_assert(ACCEL_PARAM_MAX_BO_SIZE == DRM_VNPU_PARAM_MAX_BO_SIZE, "param");
_Static_assert(ACCEL_PARAM_MAX_CMD_SIZE == DRM_VNPU_PARAM_MAX_CMD_SIZE, "param");
_Static_assert(ACCEL_PARAM_COUNT <= DRM_VNPU_PARAM_COUNT, "param");

#define VNPU_DRIVER_NAME "vnpu"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

int accel_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret == -1 ? -errno : 0;
}

int64_t accel_deadline(int64_t timeout_ns)
{
	struct timespec ts;
	int64_t now;

	if (timeout_ns < 0)
		return INT64_MAX;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (timeout_ns > INT64_MAX - now)
		return INT64_MAX;
	return now + timeout_ns;
}

/* ------------------------------------------------------------------ */
/* Enumeration                                                         */
/* ------------------------------------------------------------------ */

struct accel_device_entry {
	char *devnode;
	char *pci_address;
	unsigned int minor;
	int open_err;		/* 0 if caps and version were read */
	int drv_major, drv_minor, drv_patch;
	struct accel_device_caps caps;
};

struct accel_device_list {
	unsigned int count;
	struct accel_device_entry *entries;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct accel_device_entry *x = a, *y = b;

	return (x->minor > y->minor) - (x->minor < y->minor);
}

/*
 * Is @dev (subsystem "accel") driven by vnpu? The accel class device has
 * no driver itself; its parent, the PCI function, has.
 */
static struct udev_device *vnpu_pci_parent(struct udev_device *dev)
{
	struct udev_device *parent;
	const char *drv;

	parent = udev_device_get_parent_with_subsystem_devtype(dev, "pci", NULL);
	if (!parent)
		return NULL;
	drv = udev_device_get_driver(parent);
	if (!drv || strcmp(drv, VNPU_DRIVER_NAME))
		return NULL;
	return parent;
}

ACCEL_EXPORT void accel_device_list_free(struct accel_device_list *list)
{
	unsigned int i;

	if (!list)
		return;
	for (i = 0; i < list->count; i++) {
		free(list->entries[i].devnode);
		free(list->entries[i].pci_address);
	}
	free(list->entries);
	free(list);
}

/* Open @e's node briefly to read its driver version and capabilities. */
static void entry_probe(struct accel_device_entry *e)
{
	struct accel_device *dev;

	e->open_err = accel_device_open(e->devnode, &dev);
	if (e->open_err)
		return;
	e->drv_major = dev->drv_major;
	e->drv_minor = dev->drv_minor;
	e->drv_patch = dev->drv_patch;
	e->caps = dev->caps;
	accel_device_close(dev);
}

ACCEL_EXPORT int accel_device_enumerate(struct accel_device_list **out)
{
	struct accel_device_list *list;
	struct udev_enumerate *en = NULL;
	struct udev_list_entry *le;
	struct udev *udev;
	int ret;

	if (!out)
		return -EINVAL;
	list = calloc(1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	udev = udev_new();
	if (!udev) {
		ret = errno ? -errno : -ENOMEM;
		goto err;
	}
	en = udev_enumerate_new(udev);
	if (!en) {
		ret = errno ? -errno : -ENOMEM;
		goto err;
	}
	ret = udev_enumerate_add_match_subsystem(en, "accel");
	if (ret < 0)
		goto err;
	ret = udev_enumerate_scan_devices(en);
	if (ret < 0)
		goto err;

	udev_list_entry_foreach(le, udev_enumerate_get_list_entry(en)) {
		struct accel_device_entry *e, *grown;
		struct udev_device *d, *pci;
		const char *node;

		d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(le));
		if (!d)
			continue;	/* vanished meanwhile */
		pci = vnpu_pci_parent(d);
		node = udev_device_get_devnode(d);
		if (!pci || !node) {
			udev_device_unref(d);
			continue;
		}
		grown = realloc(list->entries,
				(list->count + 1) * sizeof(*list->entries));
		if (!grown) {
			udev_device_unref(d);
			ret = -ENOMEM;
			goto err;
		}
		list->entries = grown;
		e = &list->entries[list->count];
		e->devnode = strdup(node);
		e->pci_address = strdup(udev_device_get_sysname(pci));
		e->minor = minor(udev_device_get_devnum(d));
		udev_device_unref(d);
		list->count++;
		if (!e->devnode || !e->pci_address) {
			ret = -ENOMEM;
			goto err;
		}
	}
	if (list->count > 1)
		qsort(list->entries, list->count, sizeof(*list->entries),
		      entry_cmp);
	for (unsigned int i = 0; i < list->count; i++)
		entry_probe(&list->entries[i]);
	udev_enumerate_unref(en);
	udev_unref(udev);
	*out = list;
	return 0;

err:
	if (en)
		udev_enumerate_unref(en);
	if (udev)
		udev_unref(udev);
	accel_device_list_free(list);
	return ret < 0 ? ret : -EIO;
}

ACCEL_EXPORT int accel_device_list_get_count(const struct accel_device_list *list,
					     unsigned int *count)
{
	if (!list || !count)
		return -EINVAL;
	*count = list->count;
	return 0;
}

ACCEL_EXPORT int accel_device_list_get_devnode(const struct accel_device_list *list,
					       unsigned int index,
					       const char **devnode)
{
	if (!list || !devnode)
		return -EINVAL;
	if (index >= list->count)
		return -ERANGE;
	*devnode = list->entries[index].devnode;
	return 0;
}

ACCEL_EXPORT int accel_device_list_get_pci_address(const struct accel_device_list *list,
						   unsigned int index,
						   const char **pci_address)
{
	if (!list || !pci_address)
		return -EINVAL;
	if (index >= list->count)
		return -ERANGE;
	*pci_address = list->entries[index].pci_address;
	return 0;
}

ACCEL_EXPORT int accel_device_list_get_driver_version(const struct accel_device_list *list,
						      unsigned int index,
						      int *major, int *minor,
						      int *patchlevel)
{
	const struct accel_device_entry *e;

	if (!list)
		return -EINVAL;
	if (index >= list->count)
		return -ERANGE;
	e = &list->entries[index];
	if (e->open_err)
		return e->open_err;
	if (major)
		*major = e->drv_major;
	if (minor)
		*minor = e->drv_minor;
	if (patchlevel)
		*patchlevel = e->drv_patch;
	return 0;
}

ACCEL_EXPORT int accel_device_list_get_caps(const struct accel_device_list *list,
					    unsigned int index,
					    struct accel_device_caps *caps)
{
	const struct accel_device_entry *e;

	if (!list || !caps)
		return -EINVAL;
	if (index >= list->count)
		return -ERANGE;
	e = &list->entries[index];
	if (e->open_err)
		return e->open_err;
	*caps = e->caps;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

void accel_dev_get(struct accel_device *dev)
{
	atomic_fetch_add_explicit(&dev->refcount, 1, memory_order_relaxed);
}

static void device_destroy(struct accel_device *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	pthread_mutex_destroy(&dev->lock);
	free(dev->maps);
	free(dev->devnode);
	free(dev->pci_address);
	free(dev->drv_name);
	free(dev->drv_date);
	free(dev->drv_desc);
	free(dev);
}

void accel_dev_put(struct accel_device *dev)
{
	if (atomic_fetch_sub_explicit(&dev->refcount, 1,
				      memory_order_acq_rel) == 1)
		device_destroy(dev);
}

/* PCI address of the device behind @fd, via sysfs; NULL if unknown. */
static char *pci_address_of(int fd)
{
	struct udev_device *d, *pci;
	struct udev *udev;
	struct stat st;
	char *ret = NULL;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode))
		return NULL;
	udev = udev_new();
	if (!udev)
		return NULL;
	d = udev_device_new_from_devnum(udev, 'c', st.st_rdev);
	if (d) {
		pci = udev_device_get_parent_with_subsystem_devtype(d, "pci",
								    NULL);
		if (pci)
			ret = strdup(udev_device_get_sysname(pci));
		udev_device_unref(d);
	}
	udev_unref(udev);
	return ret;
}

static int query(int fd, uint32_t param, uint64_t *value)
{
	struct drm_vnpu_param p = { .param = param };
	int ret;

	ret = accel_ioctl(fd, DRM_IOCTL_VNPU_GET_PARAM, &p);
	if (!ret)
		*value = p.value;
	return ret;
}

/* Optional driver features, found by asking the driver. */
static uint64_t accel_probe_features(struct accel_device *dev)
{
	uint64_t f = 0, v = 0;

	if (!drmGetCap(dev->fd, DRM_CAP_SYNCOBJ_TIMELINE, &v) && v)
		f |= ACCEL_FEATURE_SYNCOBJ_TIMELINE;
	v = 0;
	if (!drmGetCap(dev->fd, DRM_CAP_PRIME, &v)) {
		if (v & DRM_PRIME_CAP_EXPORT)
			f |= ACCEL_FEATURE_PRIME_EXPORT;
		if (v & DRM_PRIME_CAP_IMPORT)
			f |= ACCEL_FEATURE_PRIME_IMPORT;
	}
	return f;
}

/*
 * Read every parameter the capabilities structure holds. The first
 * ACCEL_PARAM_COUNT parameters exist in every driver of interface major 1;
 * later ones are optional (a driver that lacks one leaves the field 0).
 */
static int read_caps(struct accel_device *dev)
{
	static const struct {
		uint32_t param;
		size_t off;
		bool u32;
	} map[] = {
#define F64(p, f) { ACCEL_PARAM_##p, offsetof(struct accel_device_caps, f), false }
#define F32(p, f) { ACCEL_PARAM_##p, offsetof(struct accel_device_caps, f), true }
		F32(DEVICE_ID, device_id),
		F32(REVISION, revision),
		F32(NUM_QUEUES, num_queues),
		F32(NUM_ENGINES, num_engines),
		F32(QUEUE_DEPTH, queue_depth),
		F64(DEVMEM_SIZE, devmem_size),
		F32(VA_BITS, va_bits),
		F64(VA_START, va_start),
		F64(VA_END, va_end),
		F64(PAGE_SIZES, page_sizes),
		F64(OPS, ops),
		F32(CONTEXT_ID, context_id),
		F64(MAX_BO_SIZE, max_bo_size),
		F64(MAX_CMD_SIZE, max_cmd_size),
#undef F64
#undef F32
	};
	struct accel_device_caps *c = &dev->caps;
	uint64_t v;
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		uint64_t v;

		ret = query(dev->fd, map[i].param, &v);
		if (ret)
			return ret;
		if (map[i].u32)
			*(uint32_t *)((char *)c + map[i].off) = (uint32_t)v;
		else
			*(uint64_t *)((char *)c + map[i].off) = v;
	}
	c->features = accel_probe_features(dev);

	/* Driver 1.1 and later. */
	if (!query(dev->fd, DRM_VNPU_PARAM_DRIVER_VERSION, &v))
		c->driver_version = (uint32_t)v;
	if (!query(dev->fd, DRM_VNPU_PARAM_DTYPES, &v))
		c->dtypes = v;
	if (!query(dev->fd, DRM_VNPU_PARAM_NUM_CONTEXTS, &v))
		c->num_contexts = (uint32_t)v;
	if (!query(dev->fd, DRM_VNPU_PARAM_CAPABILITIES, &v)) {
		if (v & DRM_VNPU_CAP_VM_BIND)
			c->features |= ACCEL_FEATURE_VM_BIND;
		if (v & DRM_VNPU_CAP_USERPTR)
			c->features |= ACCEL_FEATURE_USERPTR;
		if (v & DRM_VNPU_CAP_DEVMEM)
			c->features |= ACCEL_FEATURE_DEVMEM;
		if (v & DRM_VNPU_CAP_PRIORITY)
			c->features |= ACCEL_FEATURE_PRIORITY;
		if (v & DRM_VNPU_CAP_ENGINE_RESET)
			c->features |= ACCEL_FEATURE_ENGINE_RESET;
		if (!(v & DRM_VNPU_CAP_PRIME))
			c->features &= ~(ACCEL_FEATURE_PRIME_EXPORT |
					 ACCEL_FEATURE_PRIME_IMPORT);
	}
	return 0;
}

ACCEL_EXPORT int accel_device_open(const char *path, struct accel_device **out)
{
	struct accel_device *dev;
	drmVersionPtr ver;
	int ret;

	if (!out)
		return -EINVAL;
	if (!path) {
		/* The first enumerated device. */
		return accel_device_open_index(0, out);
	}

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	atomic_init(&dev->refcount, 1);
	if (pthread_mutex_init(&dev->lock, NULL)) {
		free(dev);
		return -ENOMEM;
	}
	dev->priority = ACCEL_PRIORITY_NORMAL;
	dev->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		ret = -errno;
		goto err;
	}
	dev->devnode = strdup(path);
	if (!dev->devnode) {
		ret = -ENOMEM;
		goto err;
	}

	/* Make sure this is vnpu before sending it vnpu ioctls. */
	errno = 0;
	ver = drmGetVersion(dev->fd);
	if (!ver) {
		/* Not a DRM device at all (ENOTTY), or gone (ENODEV). */
		ret = (errno == 0 || errno == ENOTTY || errno == EINVAL) ?
			-ENODEV : -errno;
		goto err;
	}
	if (!ver->name || strcmp(ver->name, VNPU_DRIVER_NAME)) {
		drmFreeVersion(ver);
		ret = -ENODEV;
		goto err;
	}
	dev->drv_major = ver->version_major;
	dev->drv_minor = ver->version_minor;
	dev->drv_patch = ver->version_patchlevel;
	dev->drv_name = strdup(ver->name);
	dev->drv_date = strdup(ver->date ? ver->date : "");
	dev->drv_desc = strdup(ver->desc ? ver->desc : "");
	drmFreeVersion(ver);
	if (!dev->drv_name || !dev->drv_date || !dev->drv_desc) {
		ret = -ENOMEM;
		goto err;
	}
	if (dev->drv_major != DRM_VNPU_DRIVER_MAJOR) {
		ret = -EPROTO;
		goto err;
	}

	ret = read_caps(dev);
	if (ret)
		goto err;
	dev->num_queues = dev->caps.num_queues;
	dev->ops = dev->caps.ops;
	dev->max_cmd_size = dev->caps.max_cmd_size;
	dev->va_bits = dev->caps.va_bits;
	if (dev->va_bits == 0 || dev->va_bits > 64)
		dev->va_bits = VNPU_VA_BITS;

	dev->pci_address = pci_address_of(dev->fd);
	*out = dev;
	return 0;

err:
	device_destroy(dev);
	return ret;
}

ACCEL_EXPORT int accel_device_open_index(unsigned int index,
					 struct accel_device **out)
{
	struct accel_device_list *list;
	int ret;

	if (!out)
		return -EINVAL;
	ret = accel_device_enumerate(&list);
	if (ret)
		return ret;
	if (index >= list->count)
		ret = -ENODEV;
	else
		ret = accel_device_open(list->entries[index].devnode, out);
	accel_device_list_free(list);
	return ret;
}

/* "00:03.0" and "0000:00:03.0" name the same function. */
static bool pci_address_match(const char *want, const char *have)
{
	if (!strcasecmp(want, have))
		return true;
	return strlen(want) == 7 && !strncmp(have, "0000:", 5) &&
	       !strcasecmp(want, have + 5);
}

ACCEL_EXPORT int accel_device_open_pci(const char *pci_address,
				       struct accel_device **out)
{
	struct accel_device_list *list;
	unsigned int i;
	int ret;

	if (!pci_address || !out)
		return -EINVAL;
	ret = accel_device_enumerate(&list);
	if (ret)
		return ret;
	ret = -ENODEV;
	for (i = 0; i < list->count; i++) {
		if (pci_address_match(pci_address, list->entries[i].pci_address)) {
			ret = accel_device_open(list->entries[i].devnode, out);
			break;
		}
	}
	accel_device_list_free(list);
	return ret;
}

ACCEL_EXPORT int accel_device_open_spec(const char *spec,
					struct accel_device **out)
{
	size_t n;

	if (!out)
		return -EINVAL;
	if (!spec || !*spec)
		spec = getenv("ACCEL_DEVICE");
	if (!spec || !*spec)
		return accel_device_open(NULL, out);
	if (spec[0] == '/')
		return accel_device_open(spec, out);
	n = strspn(spec, "0123456789");
	if (!spec[n]) {
		unsigned long idx = n <= 9 ? strtoul(spec, NULL, 10) : ULONG_MAX;

		return idx > UINT_MAX ? -ENODEV :
		       accel_device_open_index((unsigned int)idx, out);
	}
	return accel_device_open_pci(spec, out);
}

/* ACCEL_PRIORITY_* to DRM_VNPU_PRIORITY_*; -1 if unknown. */
static int drm_priority(uint32_t prio)
{
	switch (prio) {
	case ACCEL_PRIORITY_DEFAULT:
	case ACCEL_PRIORITY_NORMAL:
		return DRM_VNPU_PRIORITY_NORMAL;
	case ACCEL_PRIORITY_LOW:
		return DRM_VNPU_PRIORITY_LOW;
	case ACCEL_PRIORITY_HIGH:
		return DRM_VNPU_PRIORITY_HIGH;
	}
	return -1;
}

/* Set the context priority; caller holds dev->lock. */
int accel_dev_set_priority_locked(struct accel_device *dev, uint32_t prio)
{
	struct drm_vnpu_ctx_param p = { .param = DRM_VNPU_CTX_PARAM_PRIORITY };
	int d = drm_priority(prio);
	int ret;

	if (d < 0)
		return -EINVAL;
	if (prio == ACCEL_PRIORITY_DEFAULT)
		prio = ACCEL_PRIORITY_NORMAL;
	if (prio == dev->priority)
		return 0;
	if (!(dev->caps.features & ACCEL_FEATURE_PRIORITY))
		return -EOPNOTSUPP;
	p.value = (uint64_t)d;
	ret = accel_ioctl(dev->fd, DRM_IOCTL_VNPU_CTX_SET_PARAM, &p);
	if (!ret)
		dev->priority = prio;
	return ret;
}

ACCEL_EXPORT int accel_device_set_priority(struct accel_device *dev,
					   uint32_t priority)
{
	int ret;

	if (!dev)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	ret = accel_dev_set_priority_locked(dev, priority);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

ACCEL_EXPORT int accel_device_get_reset_status(struct accel_device *dev,
					       struct accel_reset_status *st)
{
	struct accel_reset_status r = { 0 };
	uint64_t banned = 0;
	int ret;

	if (!dev || !st)
		return -EINVAL;
	ret = query(dev->fd, DRM_VNPU_PARAM_RESET_COUNT, &r.resets);
	if (!ret)
		ret = query(dev->fd, DRM_VNPU_PARAM_CONTEXT_HANGS,
			    &r.context_hangs);
	if (!ret)
		ret = query(dev->fd, DRM_VNPU_PARAM_CONTEXT_FAULTS,
			    &r.context_faults);
	if (!ret)
		ret = query(dev->fd, DRM_VNPU_PARAM_CONTEXT_BANNED, &banned);
	if (ret)
		return ret == -EINVAL ? -EOPNOTSUPP : ret;
	r.banned = banned != 0;
	*st = r;
	return 0;
}

ACCEL_EXPORT int accel_device_get_caps(const struct accel_device *dev,
				       struct accel_device_caps *caps)
{
	if (!dev || !caps)
		return -EINVAL;
	*caps = dev->caps;
	return 0;
}

ACCEL_EXPORT void accel_device_close(struct accel_device *dev)
{
	if (dev)
		accel_dev_put(dev);
}

ACCEL_EXPORT int accel_device_get_fd(const struct accel_device *dev, int *fd)
{
	if (!dev || !fd)
		return -EINVAL;
	*fd = dev->fd;
	return 0;
}

ACCEL_EXPORT int accel_device_get_devnode(const struct accel_device *dev,
					  const char **devnode)
{
	if (!dev || !devnode)
		return -EINVAL;
	*devnode = dev->devnode;
	return 0;
}

ACCEL_EXPORT int accel_device_get_pci_address(const struct accel_device *dev,
					      const char **pci_address)
{
	if (!dev || !pci_address)
		return -EINVAL;
	if (!dev->pci_address)
		return -ENOENT;
	*pci_address = dev->pci_address;
	return 0;
}

ACCEL_EXPORT int accel_device_get_driver_version(const struct accel_device *dev,
						 int *major, int *minor,
						 int *patchlevel)
{
	if (!dev)
		return -EINVAL;
	if (major)
		*major = dev->drv_major;
	if (minor)
		*minor = dev->drv_minor;
	if (patchlevel)
		*patchlevel = dev->drv_patch;
	return 0;
}

ACCEL_EXPORT int accel_device_get_driver_info(const struct accel_device *dev,
					      const char **name,
					      const char **date,
					      const char **desc)
{
	if (!dev)
		return -EINVAL;
	if (name)
		*name = dev->drv_name;
	if (date)
		*date = dev->drv_date;
	if (desc)
		*desc = dev->drv_desc;
	return 0;
}

ACCEL_EXPORT int accel_device_query(struct accel_device *dev, uint32_t param,
				    uint64_t *value)
{
	if (!dev || !value)
		return -EINVAL;
	return query(dev->fd, param, value);
}

static const char *const param_names[ACCEL_PARAM_COUNT] = {
	[ACCEL_PARAM_DEVICE_ID] = "device_id",
	[ACCEL_PARAM_REVISION] = "revision",
	[ACCEL_PARAM_NUM_QUEUES] = "num_queues",
	[ACCEL_PARAM_NUM_ENGINES] = "num_engines",
	[ACCEL_PARAM_QUEUE_DEPTH] = "queue_depth",
	[ACCEL_PARAM_DEVMEM_SIZE] = "devmem_size",
	[ACCEL_PARAM_VA_BITS] = "va_bits",
	[ACCEL_PARAM_VA_START] = "va_start",
	[ACCEL_PARAM_VA_END] = "va_end",
	[ACCEL_PARAM_PAGE_SIZES] = "page_sizes",
	[ACCEL_PARAM_OPS] = "ops",
	[ACCEL_PARAM_CONTEXT_ID] = "context_id",
	[ACCEL_PARAM_MAX_BO_SIZE] = "max_bo_size",
	[ACCEL_PARAM_MAX_CMD_SIZE] = "max_cmd_size",
	[ACCEL_PARAM_DRIVER_VERSION] = "driver_version",
	[ACCEL_PARAM_CAPABILITIES] = "capabilities",
	[ACCEL_PARAM_DTYPES] = "dtypes",
	[ACCEL_PARAM_NUM_CONTEXTS] = "num_contexts",
	[ACCEL_PARAM_PRIORITY] = "priority",
	[ACCEL_PARAM_CONTEXT_HANGS] = "context_hangs",
	[ACCEL_PARAM_CONTEXT_FAULTS] = "context_faults",
	[ACCEL_PARAM_CONTEXT_BANNED] = "context_banned",
	[ACCEL_PARAM_RESET_COUNT] = "reset_count",
	[ACCEL_PARAM_HANG_LIMIT] = "hang_limit",
	[ACCEL_PARAM_JOB_TIMEOUT_MS] = "job_timeout_ms",
};

ACCEL_EXPORT int accel_param_get_name(uint32_t param, const char **name)
{
	if (!name)
		return -EINVAL;
	if (param >= ACCEL_PARAM_COUNT)
		return -ERANGE;
	*name = param_names[param];
	return 0;
}

/* ------------------------------------------------------------------ */
/* Syncobjs                                                            */
/* ------------------------------------------------------------------ */

/* libdrm's helpers return -1 or -errno; errno is set either way. */
static int drm_ret(int ret)
{
	return ret < 0 ? (errno ? -errno : -EIO) : 0;
}

ACCEL_EXPORT int accel_syncobj_create(struct accel_device *dev, uint32_t flags,
				      uint32_t *handle)
{
	uint32_t h = 0;
	int ret;

	if (!dev || !handle || (flags & ~ACCEL_SYNCOBJ_SIGNALED))
		return -EINVAL;
	errno = 0;
	ret = drm_ret(drmSyncobjCreate(dev->fd,
				       (flags & ACCEL_SYNCOBJ_SIGNALED) ?
				       DRM_SYNCOBJ_CREATE_SIGNALED : 0, &h));
	if (!ret)
		*handle = h;
	return ret;
}

ACCEL_EXPORT int accel_syncobj_destroy(struct accel_device *dev,
				       uint32_t handle)
{
	if (!dev)
		return -EINVAL;
	errno = 0;
	return drm_ret(drmSyncobjDestroy(dev->fd, handle));
}

ACCEL_EXPORT int accel_syncobj_wait(struct accel_device *dev, uint32_t handle,
				    uint64_t point, int64_t timeout_ns)
{
	uint32_t flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT;
	int64_t deadline;
	int ret;

	if (!dev)
		return -EINVAL;
	deadline = accel_deadline(timeout_ns);
	do {
		errno = 0;
		if (point)
			ret = drmSyncobjTimelineWait(dev->fd, &handle, &point,
						     1, deadline, flags, NULL);
		else
			ret = drmSyncobjWait(dev->fd, &handle, 1, deadline,
					     flags, NULL);
		ret = drm_ret(ret);
	} while (ret == -EINTR || ret == -EAGAIN);
	return ret;
}

ACCEL_EXPORT int accel_syncobj_export_sync_file(struct accel_device *dev,
						uint32_t handle,
						int *sync_file_fd)
{
	int fd = -1, ret;

	if (!dev || !sync_file_fd)
		return -EINVAL;
	errno = 0;
	ret = drm_ret(drmSyncobjExportSyncFile(dev->fd, handle, &fd));
	if (!ret)
		*sync_file_fd = fd;
	return ret;
}

ACCEL_EXPORT int accel_syncobj_import_sync_file(struct accel_device *dev,
						uint32_t handle,
						int sync_file_fd)
{
	if (!dev)
		return -EINVAL;
	errno = 0;
	return drm_ret(drmSyncobjImportSyncFile(dev->fd, handle,
						sync_file_fd));
}
