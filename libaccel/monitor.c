// SPDX-License-Identifier: MIT
/*
 * libaccel: hotplug monitor (udev monitor on subsystem "accel").
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libudev.h>

#include "accel_priv.h"

struct known {
	char *devnode;
	char *pci_address;
};

struct accel_monitor {
	struct udev *udev;
	struct udev_monitor *mon;
	accel_hotplug_cb cb;
	void *data;
	/* vnpu nodes present, so that a removal can be recognised. */
	struct known *known;
	unsigned int nknown;
};

static int known_add(struct accel_monitor *m, const char *node,
		     const char *pci)
{
	struct known *k;
	unsigned int i;

	for (i = 0; i < m->nknown; i++)
		if (!strcmp(m->known[i].devnode, node))
			return 0;
	k = realloc(m->known, (m->nknown + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	m->known = k;
	k = &m->known[m->nknown];
	k->devnode = strdup(node);
	k->pci_address = strdup(pci);
	if (!k->devnode || !k->pci_address) {
		free(k->devnode);
		free(k->pci_address);
		return -ENOMEM;
	}
	m->nknown++;
	return 0;
}

/* Remove @node from the known set; its PCI address goes to *pci (freed by caller). */
static bool known_remove(struct accel_monitor *m, const char *node, char **pci)
{
	unsigned int i;

	for (i = 0; i < m->nknown; i++) {
		if (strcmp(m->known[i].devnode, node))
			continue;
		free(m->known[i].devnode);
		*pci = m->known[i].pci_address;
		m->known[i] = m->known[--m->nknown];
		return true;
	}
	return false;
}

ACCEL_EXPORT void accel_monitor_free(struct accel_monitor *m)
{
	unsigned int i;

	if (!m)
		return;
	for (i = 0; i < m->nknown; i++) {
		free(m->known[i].devnode);
		free(m->known[i].pci_address);
	}
	free(m->known);
	if (m->mon)
		udev_monitor_unref(m->mon);
	if (m->udev)
		udev_unref(m->udev);
	free(m);
}

ACCEL_EXPORT int accel_monitor_new(accel_hotplug_cb cb, void *data,
				   struct accel_monitor **out)
{
	struct accel_device_list *list = NULL;
	struct accel_monitor *m;
	const char *source;
	unsigned int i, n = 0;
	int ret;

	if (!cb || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cb = cb;
	m->data = data;
	m->udev = udev_new();
	if (!m->udev) {
		ret = -ENOMEM;
		goto err;
	}
	/*
	 * With udevd running, listen to its processed events (device nodes
	 * exist and have their permissions when they arrive); without it (a
	 * minimal system), listen to the kernel's uevents directly.
	 */
	source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	m->mon = udev_monitor_new_from_netlink(m->udev, source);
	if (!m->mon) {
		ret = errno ? -errno : -ENOMEM;
		goto err;
	}
	ret = udev_monitor_filter_add_match_subsystem_devtype(m->mon, "accel",
							      NULL);
	if (!ret)
		ret = udev_monitor_enable_receiving(m->mon);
	if (ret < 0)
		goto err;

	/* Devices present now, after subscribing so that none is missed. */
	ret = accel_device_enumerate(&list);
	if (ret)
		goto err;
	accel_device_list_get_count(list, &n);
	for (i = 0; i < n && !ret; i++) {
		const char *node, *pci;

		accel_device_list_get_devnode(list, i, &node);
		accel_device_list_get_pci_address(list, i, &pci);
		ret = known_add(m, node, pci);
	}
	accel_device_list_free(list);
	if (ret)
		goto err;
	*out = m;
	return 0;

err:
	accel_monitor_free(m);
	return ret < 0 ? ret : -EIO;
}

ACCEL_EXPORT int accel_monitor_get_fd(const struct accel_monitor *m, int *fd)
{
	if (!m || !fd)
		return -EINVAL;
	*fd = udev_monitor_get_fd(m->mon);
	return 0;
}

/* Handle one udev event; returns 1 if a callback ran. */
static int handle(struct accel_monitor *m, struct udev_device *d)
{
	const char *action = udev_device_get_action(d);
	const char *node = udev_device_get_devnode(d);
	struct udev_device *pci;
	const char *drv;
	char *addr;

	if (!action || !node)
		return 0;
	if (!strcmp(action, "add")) {
		pci = udev_device_get_parent_with_subsystem_devtype(d, "pci",
								    NULL);
		if (!pci)
			return 0;
		drv = udev_device_get_driver(pci);
		if (!drv || strcmp(drv, "vnpu"))
			return 0;
		if (known_add(m, node, udev_device_get_sysname(pci)))
			return 0;
		m->cb(m->data, ACCEL_HOTPLUG_ADD, node,
		      udev_device_get_sysname(pci));
		return 1;
	}
	if (!strcmp(action, "remove")) {
		if (!known_remove(m, node, &addr))
			return 0;
		m->cb(m->data, ACCEL_HOTPLUG_REMOVE, node, addr);
		free(addr);
		return 1;
	}
	return 0;
}

ACCEL_EXPORT int accel_monitor_dispatch(struct accel_monitor *m,
					unsigned int *events)
{
	struct udev_device *d;
	unsigned int n = 0;

	if (!m)
		return -EINVAL;
	/* The monitor socket is non-blocking: drain what is queued. */
	while ((d = udev_monitor_receive_device(m->mon))) {
		n += handle(m, d);
		udev_device_unref(d);
	}
	if (events)
		*events = n;
	return 0;
}
