// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu hot-unplug selftests: remove the PCI device (sysfs remove) while
 * files are open, BOs are mmapped and jobs are queued, running and hung;
 * every later ioctl fails with -ENODEV, the jobs end, the mappings stay
 * readable, nothing oopses or leaks (the guest harness fails on any
 * kernel warning, and the driver warns about leaked contexts); a PCI
 * rescan brings the device back and it works.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

#define BUF_SIZE	(8 * 1024 * 1024ull)

/* PCI address of the device behind accel node @node, into @addr. */
static int pci_addr_of(const char *node, char *addr, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *name = strrchr(node, '/');
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/accel/%s/device",
		 name ? name + 1 : node);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -ENOENT;
	link[n] = 0;
	snprintf(addr, size, "%s", strrchr(link, '/') + 1);
	return 0;
}

/* Wait for an accel node of the device at @addr; its path into @node. */
static bool find_node(const char *addr, char *node, size_t size, int ms)
{
	for (int i = 0; i <= ms / 20; i++) {
		DIR *d = opendir("/sys/class/accel");
		struct dirent *e;
		char a[64];

		while (d && (e = readdir(d))) {
			char path[300];

			if (strncmp(e->d_name, "accel", 5))
				continue;
			snprintf(path, sizeof(path), "/dev/accel/%s", e->d_name);
			if (!pci_addr_of(path, a, sizeof(a)) && !strcmp(a, addr) &&
			    !access(path, F_OK)) {
				snprintf(node, size, "%s", path);
				closedir(d);
				return true;
			}
		}
		if (d)
			closedir(d);
		usleep(20000);
	}
	return false;
}

FIXTURE(unplug) {
	char addr[64];
	char dev[128];
	bool removed;
};

FIXTURE_SETUP(unplug)
{
	char path[256];

	if (geteuid() != 0)
		SKIP(return, "not root");
	if (access(vnpu_dev_path(), F_OK))
		SKIP(return, "%s absent", vnpu_dev_path());
	ASSERT_EQ(0, pci_addr_of(vnpu_dev_path(), self->addr,
				 sizeof(self->addr)));
	snprintf(self->dev, sizeof(self->dev), "/sys/bus/pci/devices/%s",
		 self->addr);
	snprintf(path, sizeof(path), "%s/remove", self->dev);
	if (access(path, W_OK))
		SKIP(return, "no %s", path);
}

FIXTURE_TEARDOWN(unplug)
{
	char node[300];

	sysfs_write("/sys/module/vnpu/parameters/fault_inject", "0");
	/* never leave the device gone for the tests that follow */
	if (self->removed && !find_node(self->addr, node, sizeof(node), 0)) {
		sysfs_write("/sys/bus/pci/rescan", "1");
		find_node(self->addr, node, sizeof(node), 10000);
	}
}

TEST_F_TIMEOUT(unplug, remove_busy_then_rescan, 120)
{
	uint32_t nq, cmd, data, h, hw;
	uint64_t cmd_va, data_va, ids[17], v;
	unsigned int n = 0;
	char path[256], node[300];
	uint8_t *cmd_map, *data_map;
	struct cmdbuf cb;
	int32_t status = 1;
	uint64_t devmem_off = 0;
	bool hang;
	int fd, fd2, ret;

	fd = vnpu_open();
	ASSERT_GE(fd, 0);
	fd2 = vnpu_open();
	ASSERT_GE(fd2, 0);
	nq = PARAM(fd, DRM_VNPU_PARAM_NUM_QUEUES);
	ASSERT_EQ(0, vnpu_bo_create(fd, 64 * 1024, 0, &cmd, &cmd_va));
	ASSERT_EQ(0, vnpu_bo_create(fd, BUF_SIZE, 0, &data, &data_va));
	cmd_map = vnpu_bo_mmap(fd, cmd, 64 * 1024);
	data_map = vnpu_bo_mmap(fd, data, BUF_SIZE);
	ASSERT_NE(NULL, cmd_map);
	ASSERT_NE(NULL, data_map);
	memset(data_map, 0x11, BUF_SIZE);
	/* a device-memory BO, to be mapped after the device is gone */
	if (PARAM(fd, DRM_VNPU_PARAM_DEVMEM_SIZE)) {
		struct drm_vnpu_bo_info info;

		ASSERT_EQ(0, vnpu_bo_create(fd, 4096, DRM_VNPU_BO_DEVMEM, &h,
					    NULL));
		ASSERT_EQ(0, vnpu_bo_info(fd, h, &info));
		devmem_off = info.mmap_offset;
	}

	/* a hung job, when fault injection is available, and busy queues */
	hang = !sysfs_write("/sys/module/vnpu/parameters/fault_inject", "1");
	if (hang) {
		cb = (struct cmdbuf){ .base = cmd_map };
		emit_nop(&cb);
		ASSERT_EQ(0, vnpu_submit_simple(fd, cmd, 0, cb.len, 0,
						DRM_VNPU_SUBMIT_INJECT_HANG,
						&ids[n++]));
	}
	for (unsigned int i = 0; i < 16; i++) {
		cb = (struct cmdbuf){ .base = cmd_map + 1024 + i * 1024 };
		for (int k = 0; k < 4; k++)
			emit_fill(&cb, data_va, BUF_SIZE, 0x0bad0000 + i);
		ASSERT_EQ(0, vnpu_submit_simple(fd, cmd, 1024 + i * 1024,
						cb.len, i % nq, 0, &ids[n++]));
	}

	snprintf(path, sizeof(path), "%s/remove", self->dev);
	self->removed = true;
	ret = sysfs_write(path, "1");
	ASSERT_EQ(0, ret) TH_LOG("remove: %s", strerror(-ret));
	ASSERT_NE(0, access(self->dev, F_OK));

	/* every ioctl of the open files fails with -ENODEV */
	ASSERT_EQ(-ENODEV, vnpu_get_param(fd, DRM_VNPU_PARAM_DEVICE_ID, 0, &v));
	ASSERT_EQ(-ENODEV, vnpu_get_param(fd2, DRM_VNPU_PARAM_DEVICE_ID, 0, &v));
	ASSERT_EQ(-ENODEV, vnpu_bo_create(fd, 4096, 0, &h, NULL));
	ASSERT_EQ(-ENODEV, vnpu_submit_simple(fd, cmd, 1024, 8, 0, 0, NULL));
	ASSERT_EQ(-ENODEV, vnpu_wait(fd, ids[0], 0, NULL, NULL));
	ASSERT_EQ(-ENODEV, vnpu_vm_bind(fd, data, 0, 1ull << 40, 0, 4096));
	ASSERT_EQ(-ENODEV, vnpu_gem_close(fd, data));
	/* device memory cannot be mapped any more */
	if (devmem_off) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, devmem_off);

		ASSERT_EQ(MAP_FAILED, p);
		ASSERT_EQ(ENODEV, errno);
	}
	/* the CPU mappings stay usable (shmem pages) */
	*(volatile uint8_t *)data_map = *(volatile uint8_t *)(data_map + 1);
	/* the node is gone */
	ASSERT_FALSE(find_node(self->addr, node, sizeof(node), 0));

	munmap(cmd_map, 64 * 1024);
	munmap(data_map, BUF_SIZE);
	close(fd2);
	close(fd);

	/* rescan brings it back, working */
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/rescan", "1"));
	ASSERT_TRUE(find_node(self->addr, node, sizeof(node), 10000))
		TH_LOG("no accel node for %s after rescan", self->addr);
	self->removed = false;
	fd = open(node, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0) TH_LOG("open %s: %s", node, strerror(errno));
	ASSERT_EQ(0, vnpu_bo_create(fd, 64 * 1024, 0, &cmd, &cmd_va));
	cmd_map = vnpu_bo_mmap(fd, cmd, 64 * 1024);
	ASSERT_NE(NULL, cmd_map);
	cb = (struct cmdbuf){ .base = cmd_map };
	emit_fill(&cb, cmd_va + 32768, 4096, 0xbac4bac4);
	ASSERT_EQ(0, vnpu_run(fd, cmd, 0, cb.len, 0, &status, &hw));
	ASSERT_EQ(0, status);
	ASSERT_EQ(-1, check_fill(cmd_map + 32768, 4096, 0xbac4bac4));
	munmap(cmd_map, 64 * 1024);
	close(fd);
}

/*
 * Removing an idle device with no file open, runtime-suspended when the
 * kernel allows it, then rescanning.
 */
TEST_F_TIMEOUT(unplug, remove_idle_then_rescan, 60)
{
	char path[256], node[300], st[32] = "";
	int fd;

	snprintf(path, sizeof(path), "%s/power/control", self->dev);
	if (!sysfs_write(path, "auto")) {
		snprintf(path, sizeof(path), "%s/power/runtime_status",
			 self->dev);
		for (int i = 0; i < 500 && strcmp(st, "suspended"); i++) {
			int f = open(path, O_RDONLY);
			ssize_t n = f >= 0 ? read(f, st, sizeof(st) - 1) : -1;

			if (f >= 0)
				close(f);
			st[n > 0 ? n - 1 : 0] = 0;
			usleep(10000);
		}
		TH_LOG("runtime status before remove: %s", st);
	}
	snprintf(path, sizeof(path), "%s/remove", self->dev);
	self->removed = true;
	ASSERT_EQ(0, sysfs_write(path, "1"));
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/rescan", "1"));
	ASSERT_TRUE(find_node(self->addr, node, sizeof(node), 10000));
	self->removed = false;
	fd = open(node, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(VNPU_PCI_DEVICE_ID, PARAM(fd, DRM_VNPU_PARAM_DEVICE_ID));
	close(fd);
}

TEST_HARNESS_MAIN
