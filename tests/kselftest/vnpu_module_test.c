// SPDX-License-Identifier: GPL-2.0-only
/*
 * vnpu module selftests: unload and reload the driver with every file
 * closed, then check the device works; unloading while a file is open must
 * fail cleanly. Needs root and the module file (/lib/modules/vnpu.ko in the
 * test guest, or $VNPU_KO); skipped otherwise.
 *
 * Run it last: it leaves the driver loaded, but all earlier state is gone.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "vnpu_ksft.h"

static int unload(void)
{
	/* What rmmod does: O_NONBLOCK fails at once if the module is in use. */
	return syscall(__NR_delete_module, "vnpu", O_NONBLOCK) ? -errno : 0;
}

static int load(void)
{
	int fd = open(vnpu_ko_path(), O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static bool loaded(void)
{
	return access("/sys/module/vnpu", F_OK) == 0;
}

/* Wait up to @ms for the node to (dis)appear; true when it did. */
static bool wait_node(bool present, int ms)
{
	for (int i = 0; i <= ms / 10; i++) {
		if ((access(vnpu_dev_path(), F_OK) == 0) == present)
			return true;
		usleep(10000);
	}
	return false;
}

/* One FILL job on a fresh file, checked from the CPU. */
static void check_device(struct __test_metadata *_metadata)
{
	struct drm_vnpu_submit s = { 0 };
	struct cmdbuf cb;
	uint32_t cmd, data;
	uint64_t data_va;
	uint8_t *cmd_map, *data_map;
	int32_t status = -1;
	int fd = vnpu_open();

	ASSERT_GE(fd, 0) TH_LOG("open %s: %s", vnpu_dev_path(), strerror(-fd));
	ASSERT_EQ(VNPU_PCI_DEVICE_ID, PARAM(fd, DRM_VNPU_PARAM_DEVICE_ID));
	ASSERT_EQ(0, vnpu_bo_create(fd, PAGE_SZ, 0, &cmd, NULL));
	ASSERT_EQ(0, vnpu_bo_create(fd, 4 * PAGE_SZ, 0, &data, &data_va));
	cmd_map = vnpu_bo_mmap(fd, cmd, PAGE_SZ);
	data_map = vnpu_bo_mmap(fd, data, 4 * PAGE_SZ);
	ASSERT_NE(NULL, cmd_map);
	ASSERT_NE(NULL, data_map);
	cb = (struct cmdbuf){ .base = cmd_map };
	emit_fill(&cb, data_va, 4 * PAGE_SZ, 0x4e505530);
	s.cmd_handle = cmd;
	s.cmd_size = cb.len;
	ASSERT_EQ(0, xioctl(fd, DRM_IOCTL_VNPU_SUBMIT, &s));
	ASSERT_EQ(0, vnpu_wait(fd, s.job_id, deadline_in(VNPU_JOB_TIMEOUT_NS),
			       &status, NULL));
	ASSERT_EQ(0, status);
	ASSERT_EQ(-1, check_fill(data_map, 4 * PAGE_SZ, 0x4e505530));
	munmap(cmd_map, PAGE_SZ);
	munmap(data_map, 4 * PAGE_SZ);
	close(fd);
}

FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
	if (geteuid() != 0)
		SKIP(return, "not root");
	if (access(vnpu_ko_path(), R_OK))
		SKIP(return, "%s absent", vnpu_ko_path());
	if (!loaded())
		SKIP(return, "vnpu is not loaded as a module");
	if (access(vnpu_dev_path(), F_OK))
		SKIP(return, "%s absent", vnpu_dev_path());
}

FIXTURE_TEARDOWN(module)
{
	/* Leave the driver loaded for whatever runs next. */
	if (!loaded()) {
		load();
		wait_node(true, 10000);
	}
}

TEST_F_TIMEOUT(module, reload, 120)
{
	for (int round = 0; round < 3; round++) {
		int ret;

		ret = unload();
		ASSERT_EQ(0, ret) TH_LOG("round %d: rmmod vnpu: %s", round,
					 strerror(-ret));
		ASSERT_FALSE(loaded());
		ASSERT_TRUE(wait_node(false, 5000))
			TH_LOG("%s still there after rmmod", vnpu_dev_path());
		ASSERT_EQ(-ENOENT, vnpu_open());

		ret = load();
		ASSERT_EQ(0, ret) TH_LOG("round %d: insmod %s: %s", round,
					 vnpu_ko_path(), strerror(-ret));
		ASSERT_TRUE(wait_node(true, 10000))
			TH_LOG("%s did not come back", vnpu_dev_path());
		check_device(_metadata);
	}
}

TEST_F_TIMEOUT(module, unload_busy_with_open_file, 60)
{
	int fd;

	check_device(_metadata);
	fd = vnpu_open();
	ASSERT_GE(fd, 0);
	/* An open file pins the module: rmmod fails and nothing breaks. */
	ASSERT_EQ(-EWOULDBLOCK, unload());
	ASSERT_TRUE(loaded());
	ASSERT_EQ(VNPU_PCI_DEVICE_ID, PARAM(fd, DRM_VNPU_PARAM_DEVICE_ID));
	close(fd);
	check_device(_metadata);
}

TEST_F_TIMEOUT(module, unload_busy_with_mapping, 60)
{
	uint32_t h;
	uint8_t *p;
	int fd, ret;

	fd = vnpu_open();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, vnpu_bo_create(fd, PAGE_SZ, 0, &h, NULL));
	p = vnpu_bo_mmap(fd, h, PAGE_SZ);
	ASSERT_NE(NULL, p);
	/* The mapping alone keeps the file, hence the module, alive. */
	close(fd);
	ASSERT_EQ(-EWOULDBLOCK, unload());
	memset(p, 0x3c, PAGE_SZ);
	ASSERT_EQ(-1, check_bytes(p, PAGE_SZ, 0x3c));
	munmap(p, PAGE_SZ);
	/* Now it can go (file release may be deferred: retry briefly). */
	for (int i = 0; i < 100; i++) {
		ret = unload();
		if (ret != -EWOULDBLOCK)
			break;
		usleep(10000);
	}
	ASSERT_EQ(0, ret) TH_LOG("rmmod after the last mapping: %s", strerror(-ret));
	ASSERT_EQ(0, load());
	ASSERT_TRUE(wait_node(true, 10000));
	check_device(_metadata);
}

TEST_HARNESS_MAIN
