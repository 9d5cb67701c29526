// SPDX-License-Identifier: MIT
/*
 * In-guest tests with several vnpu devices (the guest runs with
 * --devices 2..4; every test SKIPs with fewer than two):
 *  - discovery: libaccel lists every vnpu node once, in minor order, and
 *    opens each one by index, node, PCI address and $ACCEL_DEVICE; each
 *    device runs only its own jobs; vnpu-info and vnpu-run choose each one;
 *  - PRIME between devices: device A writes a BO by a job, B imports the
 *    dma-buf and copies it by a job into its own BO (system or device
 *    memory). The CPU never maps the shared BO: the only CPU access is the
 *    final check of B's own BO. B's job waits for A's (implicit sync on the
 *    dma-buf's reservation object), and the import stays valid after the
 *    exporter's dma-buf fd, BO and device handle are closed while B's job
 *    runs, and even after the exporter's PCI device was removed (the last
 *    test; it rescans). Device-memory BOs cannot be exported (-EOPNOTSUPP; see
 *    Documentation/accel/vnpu/driver.rst, "Several devices");
 *  - the model runtime: accel_model_load_devices() + accel_model_run_batch()
 *    on every device give, item for item, the bytes accel_model_run() gives
 *    on one device, and every device takes part; a network cut in two by
 *    the compiler (vnpu-compile --to/--from) and run as pipeline stages on
 *    two devices (accel_model_pipeline_*) gives the whole network's bytes;
 *    the validation paths.
 *
 * VNPU_MULTI_EXPECT=N also checks that exactly N devices are listed.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "accel.h"
#include "accel_model.h"
#include "vnpu_device.h"
#include "vnpu_ksft.h"

#define SEC		1000000000ll
#define JOB_TIMEOUT	(60 * SEC)	/* the devices are emulated under TCG */
#define MAX_DEVS	8
#define MODEL_DIR	"/usr/share/vnpu"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static unsigned int vnpu_count(void)
{
	struct accel_device_list *list;
	unsigned int n = 0;

	if (accel_device_enumerate(&list))
		return 0;
	accel_device_list_get_count(list, &n);
	accel_device_list_free(list);
	return n;
}

/* A telemetry counter of the device behind @devnode, or -1. */
static long long counter(const char *devnode, const char *name)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/accel/%s/device/telemetry/%s",
		 strrchr(devnode, '/') + 1, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static const char *devnode_of(struct accel_device *dev)
{
	const char *node = "";

	accel_device_get_devnode(dev, &node);
	return node;
}

/* Run @cb on @dev and wait; returns the job status or a negative error. */
static int run_cb(struct accel_device *dev, struct accel_cmdbuf *cb)
{
	struct accel_job *job;
	int ret, st = -1;

	ret = accel_job_submit(dev, cb, 0, NULL, &job);
	if (ret)
		return ret;
	ret = accel_job_wait(job, JOB_TIMEOUT, &st);
	accel_job_free(job);
	return ret ? ret : st;
}

static int run_fill(struct accel_device *dev, uint64_t va, uint64_t size,
		    uint32_t pattern)
{
	struct accel_cmdbuf *cb;
	int ret;

	ret = accel_cmdbuf_new(dev, &cb);
	if (ret)
		return ret;
	ret = accel_cmdbuf_fill(cb, va, size, pattern);
	if (!ret)
		ret = run_cb(dev, cb);
	accel_cmdbuf_free(cb);
	return ret;
}

static int run_copy(struct accel_device *dev, uint64_t dst, uint64_t src,
		    uint64_t size)
{
	struct accel_cmdbuf *cb;
	int ret;

	ret = accel_cmdbuf_new(dev, &cb);
	if (ret)
		return ret;
	ret = accel_cmdbuf_copy(cb, dst, src, size);
	if (!ret)
		ret = run_cb(dev, cb);
	accel_cmdbuf_free(cb);
	return ret;
}

/* Index of the first byte of @p[0..size) that is not @pattern's, or -1. */
static long long mismatch(const uint8_t *p, uint64_t size, uint32_t pattern)
{
	uint64_t i;

	for (i = 0; i < size; i++)
		if (p[i] != (uint8_t)(pattern >> (8 * (i % 4))))
			return (long long)i;
	return -1;
}

/* Mappings of this process whose path contains @what (/proc/self/maps). */
static unsigned int mapped(const char *what)
{
	unsigned int n = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return ~0u;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* Run a shell command, capture its stdout; returns the exit status. */
static int run_capture(const char *cmd, char *out, size_t len)
{
	size_t n = 0;
	FILE *f;
	int st;

	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len && !feof(f)) {
		size_t r = fread(out + n, 1, len - 1 - n, f);

		if (!r)
			break;
		n += r;
	}
	out[n] = '\0';
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static unsigned int count_str(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Every device open                                                   */
/* ------------------------------------------------------------------ */

FIXTURE(multi) {
	unsigned int n;
	struct accel_device *dev[MAX_DEVS];
	const char *node[MAX_DEVS];
	const char *pci[MAX_DEVS];
	struct accel_device_list *list;
};

FIXTURE_SETUP(multi)
{
	unsigned int i;

	memset(self, 0, sizeof(*self));
	if (vnpu_count() < 2)
		SKIP(return, "fewer than two vnpu devices (run the guest with --devices 3)");
	ASSERT_EQ(0, accel_device_enumerate(&self->list));
	ASSERT_EQ(0, accel_device_list_get_count(self->list, &self->n));
	if (self->n > MAX_DEVS)
		self->n = MAX_DEVS;
	for (i = 0; i < self->n; i++) {
		ASSERT_EQ(0, accel_device_list_get_devnode(self->list, i, &self->node[i]));
		ASSERT_EQ(0, accel_device_list_get_pci_address(self->list, i, &self->pci[i]));
		ASSERT_EQ(0, accel_device_open_index(i, &self->dev[i]));
	}
}

FIXTURE_TEARDOWN(multi)
{
	unsigned int i;

	for (i = 0; i < MAX_DEVS; i++)
		accel_device_close(self->dev[i]);
	accel_device_list_free(self->list);
}

TEST_F(multi, lists_every_vnpu_node_once)
{
	const char *want = getenv("VNPU_MULTI_EXPECT");
	unsigned int i, j, nodes = 0;
	struct dirent *de;
	DIR *d;

	/* Every accel node driven by vnpu, straight from sysfs. */
	d = opendir("/sys/class/accel");
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		char path[512], link[256];
		ssize_t len;

		if (strncmp(de->d_name, "accel", 5))
			continue;
		snprintf(path, sizeof(path), "/sys/class/accel/%s/device/driver", de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		if (!strcmp(strrchr(link, '/') + 1, "vnpu"))
			nodes++;
	}
	closedir(d);
	EXPECT_EQ(nodes, self->n);
	if (want)
		EXPECT_EQ(strtoul(want, NULL, 10), self->n);
	for (i = 0; i < self->n; i++) {
		for (j = i + 1; j < self->n; j++) {
			EXPECT_STRNE(self->node[i], self->node[j]);
			EXPECT_STRNE(self->pci[i], self->pci[j]);
		}
		/* enumeration order is minor order: accelN sorts by N */
		if (i)
			EXPECT_LT(strtoul(self->node[i - 1] + strlen("/dev/accel/accel"), NULL, 10),
				  strtoul(self->node[i] + strlen("/dev/accel/accel"), NULL, 10));
		EXPECT_STREQ(self->node[i], devnode_of(self->dev[i]));
	}
}

TEST_F(multi, opens_each_by_index_node_pci_and_env)
{
	struct accel_device *d;
	const char *pci;
	unsigned int i;
	char spec[32];

	for (i = 0; i < self->n; i++) {
		snprintf(spec, sizeof(spec), "%u", i);
		ASSERT_EQ(0, accel_device_open_spec(spec, &d));
		EXPECT_STREQ(self->node[i], devnode_of(d));
		accel_device_close(d);
		ASSERT_EQ(0, accel_device_open_spec(self->node[i], &d));
		EXPECT_STREQ(self->node[i], devnode_of(d));
		accel_device_close(d);
		ASSERT_EQ(0, accel_device_open_spec(self->pci[i], &d));
		EXPECT_STREQ(self->node[i], devnode_of(d));
		ASSERT_EQ(0, accel_device_get_pci_address(d, &pci));
		EXPECT_STREQ(self->pci[i], pci);
		accel_device_close(d);
		/* the short form "BB:DD.F" of domain 0 */
		if (!strncmp(self->pci[i], "0000:", 5)) {
			ASSERT_EQ(0, accel_device_open_pci(self->pci[i] + 5, &d));
			EXPECT_STREQ(self->node[i], devnode_of(d));
			accel_device_close(d);
		}
		/* $ACCEL_DEVICE when no spec is given */
		ASSERT_EQ(0, setenv("ACCEL_DEVICE", spec, 1));
		ASSERT_EQ(0, accel_device_open_spec(NULL, &d));
		EXPECT_STREQ(self->node[i], devnode_of(d));
		accel_device_close(d);
		ASSERT_EQ(0, accel_device_open_spec("", &d));
		EXPECT_STREQ(self->node[i], devnode_of(d));
		accel_device_close(d);
		/* an explicit spec wins over the environment */
		ASSERT_EQ(0, accel_device_open_spec(self->node[0], &d));
		EXPECT_STREQ(self->node[0], devnode_of(d));
		accel_device_close(d);
		unsetenv("ACCEL_DEVICE");
	}
	/* neither spec nor environment: the first device */
	ASSERT_EQ(0, accel_device_open_spec(NULL, &d));
	EXPECT_STREQ(self->node[0], devnode_of(d));
	accel_device_close(d);
}

TEST_F(multi, open_spec_errors)
{
	struct accel_device *d = NULL;
	char spec[32];

	EXPECT_EQ(-EINVAL, accel_device_open_spec("0", NULL));
	snprintf(spec, sizeof(spec), "%u", self->n);
	EXPECT_EQ(-ENODEV, accel_device_open_spec(spec, &d));
	EXPECT_EQ(-ENODEV, accel_device_open_spec("99999999999999999999", &d));
	EXPECT_EQ(-ENODEV, accel_device_open_spec("0000:ff:1f.7", &d));
	EXPECT_EQ(-ENODEV, accel_device_open_spec("not-a-device", &d));
	EXPECT_EQ(-ENOENT, accel_device_open_spec("/dev/accel/no-such-node", &d));
	ASSERT_EQ(0, setenv("ACCEL_DEVICE", spec, 1));
	EXPECT_EQ(-ENODEV, accel_device_open_spec(NULL, &d));
	unsetenv("ACCEL_DEVICE");
	EXPECT_EQ(NULL, d);
}

TEST_F(multi, each_device_runs_only_its_own_jobs)
{
	long long before[MAX_DEVS], after;
	struct accel_bo *bo;
	unsigned int i, j;
	uint64_t va;
	void *p;

	for (i = 0; i < self->n; i++) {
		for (j = 0; j < self->n; j++)
			before[j] = counter(self->node[j], "jobs_completed");
		ASSERT_EQ(0, accel_bo_new(self->dev[i], 65536, 0, &bo));
		ASSERT_EQ(0, accel_bo_get_va(bo, &va));
		ASSERT_EQ(0, run_fill(self->dev[i], va, 65536, 0x1000 + i));
		ASSERT_EQ(0, accel_bo_map(bo, &p));
		EXPECT_EQ(-1, mismatch(p, 65536, 0x1000 + i));
		accel_bo_unmap(bo);
		accel_bo_free(bo);
		for (j = 0; j < self->n; j++) {
			after = counter(self->node[j], "jobs_completed");
			ASSERT_LE(0, before[j]);
			if (j == i) {
				EXPECT_LT(before[j], after);
			} else {
				EXPECT_EQ(before[j], after)
					TH_LOG("device %u ran a job of device %u", j, i);
			}
		}
	}
}

TEST_F(multi, tools_list_and_choose_each_device)
{
	static char out[1 << 17];
	struct vnpu_cmd_fill fill = {
		.hdr = { .opcode = VNPU_OP_FILL, .len = sizeof(fill) / 8 },
		.dst = 0x40000000, .size = 4096, .pattern = 0x5a5a5a5a,
	};
	char cmd[512], want[128], job[] = "/tmp/vnpu_multi_job.XXXXXX";
	long long before, after;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, run_capture("vnpu-info --json", out, sizeof(out)));
	EXPECT_EQ(self->n, count_str(out, "\"devnode\":"));
	for (i = 0; i < self->n; i++) {
		snprintf(want, sizeof(want), "\"devnode\": \"%s\"", self->node[i]);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("vnpu-info misses %s", self->node[i]);
	}
	EXPECT_EQ(0, run_capture("vnpu-info", out, sizeof(out)));
	snprintf(want, sizeof(want), "vnpu devices: %u\n", self->n);
	EXPECT_NE(NULL, strstr(out, want));
	/* vnpu-top shows every device with its PCI address */
	EXPECT_EQ(0, run_capture("vnpu-top --json -n 1 -d 0.1", out, sizeof(out)));
	EXPECT_EQ(self->n, count_str(out, "{\"index\": "));
	for (i = 0; i < self->n; i++) {
		snprintf(want, sizeof(want), "{\"index\": %u, \"pci_address\": \"%s\"", i, self->pci[i]);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("vnpu-top misses %s", self->pci[i]);
	}

	/* a FILL job for vnpu-run, at a VA it binds */
	fd = mkstemp(job);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(fill), write(fd, &fill, sizeof(fill)));
	close(fd);
	for (i = 0; i < self->n; i++) {
		/* vnpu-info shows the one device named by index or PCI address */
		snprintf(cmd, sizeof(cmd), "vnpu-info --json -d %u", i);
		EXPECT_EQ(0, run_capture(cmd, out, sizeof(out)));
		snprintf(want, sizeof(want), "{\"index\": %u, \"devnode\": \"%s\"", i, self->node[i]);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s: %s", cmd, out);
		EXPECT_EQ(1u, count_str(out, "\"devnode\":"));
		snprintf(cmd, sizeof(cmd), "vnpu-info -d %s", self->pci[i]);
		EXPECT_EQ(0, run_capture(cmd, out, sizeof(out)));
		EXPECT_NE(NULL, strstr(out, self->node[i]));

		/* vnpu-run --device N runs on device N (its job counter moves) */
		before = counter(self->node[i], "jobs_completed");
		snprintf(cmd, sizeof(cmd), "vnpu-run -j -d %u -B 0x40000000:4096 -O 0x40000000:8 %s", i, job);
		EXPECT_EQ(0, run_capture(cmd, out, sizeof(out))) TH_LOG("%s", cmd);
		EXPECT_NE(NULL, strstr(out, "5a5a5a5a")) TH_LOG("%s: %s", cmd, out);
		after = counter(self->node[i], "jobs_completed");
		EXPECT_LT(before, after);

		/* and so does ACCEL_DEVICE=N */
		before = after;
		snprintf(cmd, sizeof(cmd), "ACCEL_DEVICE=%s vnpu-run -j -B 0x40000000:4096 -O 0x40000000:8 %s",
			 self->pci[i], job);
		EXPECT_EQ(0, run_capture(cmd, out, sizeof(out))) TH_LOG("%s", cmd);
		after = counter(self->node[i], "jobs_completed");
		EXPECT_LT(before, after);
	}
	/* vnpu-run-model --all-devices: every device runs batches, same accuracy */
	if (!access(MODEL_DIR "/mlp.vnpu", R_OK)) {
		static char one[1 << 14];
		long long jobs[MAX_DEVS];
		const char *acc;

		snprintf(cmd, sizeof(cmd), "vnpu-run-model %s/mlp.vnpu -i %s/digits_x.npy "
			 "-l %s/digits_y.npy -q", MODEL_DIR, MODEL_DIR, MODEL_DIR);
		EXPECT_EQ(0, run_capture(cmd, one, sizeof(one))) TH_LOG("%s", cmd);
		for (i = 0; i < self->n; i++)
			jobs[i] = counter(self->node[i], "jobs_completed");
		strcat(cmd, " --all-devices");
		EXPECT_EQ(0, run_capture(cmd, out, sizeof(out))) TH_LOG("%s", cmd);
		snprintf(want, sizeof(want), "instances on %u devices", self->n);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
		acc = strstr(one, "top-1 accuracy");
		ASSERT_NE(NULL, acc) TH_LOG("%s", one);
		EXPECT_NE(NULL, strstr(out, acc)) TH_LOG("one device: %s; all: %s", acc, out);
		for (i = 0; i < self->n; i++)
			EXPECT_LT(jobs[i], counter(self->node[i], "jobs_completed"))
				TH_LOG("device %u ran no batch", i);
		snprintf(cmd, sizeof(cmd), "vnpu-run-model %s/mlp.vnpu -i %s/digits_x.npy -A -d 0 "
			 "> /dev/null 2>&1", MODEL_DIR, MODEL_DIR);
		EXPECT_EQ(2, run_capture(cmd, out, sizeof(out)));
	}
	snprintf(cmd, sizeof(cmd), "vnpu-run -d %u %s 2>/dev/null", self->n, job);
	EXPECT_EQ(1, run_capture(cmd, out, sizeof(out)));
	snprintf(cmd, sizeof(cmd), "vnpu-info -d %u > /dev/null 2>&1", self->n);
	EXPECT_EQ(1, run_capture(cmd, out, sizeof(out)));
	unlink(job);
}

TEST_F(multi, devmem_bo_export_is_refused)
{
	struct accel_device_caps caps;
	struct accel_bo *bo;
	int fd = -1234;

	ASSERT_EQ(0, accel_device_get_caps(self->dev[0], &caps));
	if (!(caps.features & ACCEL_FEATURE_DEVMEM))
		SKIP(return, "no device memory");
	ASSERT_EQ(0, accel_bo_new(self->dev[0], 65536, ACCEL_BO_DEVMEM, &bo));
	/* BAR2 is the device's own: no peer can map it (driver.rst) */
	EXPECT_EQ(-EOPNOTSUPP, accel_bo_export(bo, &fd));
	EXPECT_EQ(-1234, fd);
	accel_bo_free(bo);
}

/* ------------------------------------------------------------------ */
/* PRIME from device A to device B                                      */
/* ------------------------------------------------------------------ */

#define SHARED_SIZE	(1u << 20)

FIXTURE(prime) {
	struct accel_device *a, *b;
	struct accel_bo *src;	/* A's BO, never mapped by the CPU */
	uint64_t src_va;
	int fd;			/* its dma-buf */
	struct accel_bo *imp;	/* B's import of it */
	uint64_t imp_va;
	struct accel_bo *dst;	/* B's own BO */
	uint64_t dst_va;
	uint8_t *dst_p;
};

FIXTURE_VARIANT(prime) {
	uint32_t src_flags;	/* A's BO */
	uint32_t dst_flags;	/* B's BO */
};

FIXTURE_VARIANT_ADD(prime, cached_to_cached) { .src_flags = 0, .dst_flags = 0 };
FIXTURE_VARIANT_ADD(prime, wc_to_cached) { .src_flags = ACCEL_BO_WC, .dst_flags = 0 };
FIXTURE_VARIANT_ADD(prime, cached_to_devmem) { .src_flags = 0, .dst_flags = ACCEL_BO_DEVMEM };

FIXTURE_SETUP(prime)
{
	struct accel_device_caps caps;
	uint32_t flags;

	memset(self, 0, sizeof(*self));
	self->fd = -1;
	if (vnpu_count() < 2)
		SKIP(return, "fewer than two vnpu devices (run the guest with --devices 3)");
	ASSERT_EQ(0, accel_device_open_index(0, &self->a));
	ASSERT_EQ(0, accel_device_open_index(1, &self->b));
	ASSERT_EQ(0, accel_device_get_caps(self->b, &caps));
	if ((variant->dst_flags & ACCEL_BO_DEVMEM) && !(caps.features & ACCEL_FEATURE_DEVMEM))
		SKIP(return, "device B has no device memory");
	ASSERT_EQ(0, accel_bo_new(self->a, SHARED_SIZE, variant->src_flags, &self->src));
	ASSERT_EQ(0, accel_bo_get_va(self->src, &self->src_va));
	ASSERT_EQ(0, accel_bo_export(self->src, &self->fd));
	ASSERT_EQ(0, accel_bo_import(self->b, self->fd, &self->imp));
	ASSERT_EQ(0, accel_bo_get_va(self->imp, &self->imp_va));
	ASSERT_EQ(0, accel_bo_get_flags(self->imp, &flags));
	EXPECT_TRUE(flags & ACCEL_BO_IMPORTED);
	ASSERT_EQ(0, accel_bo_new(self->b, SHARED_SIZE, variant->dst_flags, &self->dst));
	ASSERT_EQ(0, accel_bo_get_va(self->dst, &self->dst_va));
	ASSERT_EQ(0, accel_bo_map(self->dst, (void **)&self->dst_p));
	memset(self->dst_p, 0xee, SHARED_SIZE);	/* B's own BO: CPU may write */
}

FIXTURE_TEARDOWN(prime)
{
	if (self->dst_p)
		accel_bo_unmap(self->dst);
	accel_bo_free(self->dst);
	accel_bo_free(self->imp);
	if (self->fd >= 0)
		close(self->fd);
	accel_bo_free(self->src);
	accel_device_close(self->a);
	accel_device_close(self->b);
}

TEST_F(prime, a_writes_b_reads_without_cpu_copy)
{
	long long a_jobs = counter(devnode_of(self->a), "jobs_completed");
	struct accel_cmdbuf *cb;
	struct accel_bo *back;
	uint64_t va;
	void *p;

	/* A: two FILLs by one job, never a CPU write */
	ASSERT_EQ(0, accel_cmdbuf_new(self->a, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, self->src_va, SHARED_SIZE / 2, 0xa1a2a3a4));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, self->src_va + SHARED_SIZE / 2, SHARED_SIZE / 2,
				       0x0b0c0d0e));
	ASSERT_EQ(0, run_cb(self->a, cb));
	accel_cmdbuf_free(cb);
	EXPECT_LT(a_jobs, counter(devnode_of(self->a), "jobs_completed"));

	/* B: one COPY from the import into B's own BO */
	ASSERT_EQ(0, run_copy(self->b, self->dst_va, self->imp_va, SHARED_SIZE));
	EXPECT_EQ(-1, mismatch(self->dst_p, SHARED_SIZE / 2, 0xa1a2a3a4));
	EXPECT_EQ(-1, mismatch(self->dst_p + SHARED_SIZE / 2, SHARED_SIZE / 2, 0x0b0c0d0e));
	/* the CPU never mapped the shared BO: not through A's node, not the dma-buf */
	EXPECT_EQ(0u, mapped(devnode_of(self->a)));
	EXPECT_EQ(0u, mapped("dmabuf"));

	/* and back: B writes the shared BO, A reads it into its own BO */
	ASSERT_EQ(0, run_fill(self->b, self->imp_va, SHARED_SIZE, 0x600dcafe));
	ASSERT_EQ(0, accel_bo_new(self->a, SHARED_SIZE, 0, &back));
	ASSERT_EQ(0, accel_bo_get_va(back, &va));
	ASSERT_EQ(0, run_copy(self->a, va, self->src_va, SHARED_SIZE));
	ASSERT_EQ(0, accel_bo_map(back, &p));
	EXPECT_EQ(-1, mismatch(p, SHARED_SIZE, 0x600dcafe));
	accel_bo_unmap(back);
	accel_bo_free(back);
}

TEST_F(prime, compute_on_a_then_compute_on_b)
{
	static const uint32_t shape[2] = { 512, SHARED_SIZE / 4 / 512 };
	struct accel_tensor ta, tb, td;
	struct accel_cmdbuf *cb;
	float want = 2.0f * (1.5f * 1.5f);
	uint32_t i, bad = 0;
	const float *d;

	ASSERT_EQ(0, accel_tensor_init(&ta, self->src_va, ACCEL_DT_F32, 2, shape));
	ASSERT_EQ(0, accel_tensor_init(&tb, self->imp_va, ACCEL_DT_F32, 2, shape));
	ASSERT_EQ(0, accel_tensor_init(&td, self->dst_va, ACCEL_DT_F32, 2, shape));
	/* A: src = 1.5f everywhere, then src = src * src, by one job */
	ASSERT_EQ(0, accel_cmdbuf_new(self->a, &cb));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb, self->src_va, SHARED_SIZE, 0x3fc00000));
	ASSERT_EQ(0, accel_cmdbuf_barrier(cb));
	ASSERT_EQ(0, accel_cmdbuf_eltwise(cb, ACCEL_ELT_MUL, &ta, &ta, &ta, ACCEL_ACT_NONE));
	ASSERT_EQ(0, run_cb(self->a, cb));
	accel_cmdbuf_free(cb);
	/* B: dst = relu(import + import), into B's own BO */
	ASSERT_EQ(0, accel_cmdbuf_new(self->b, &cb));
	ASSERT_EQ(0, accel_cmdbuf_eltwise(cb, ACCEL_ELT_ADD, &td, &tb, &tb, ACCEL_ACT_RELU));
	ASSERT_EQ(0, run_cb(self->b, cb));
	accel_cmdbuf_free(cb);
	d = (const float *)self->dst_p;
	for (i = 0; i < SHARED_SIZE / 4; i++)
		bad += d[i] != want;
	EXPECT_EQ(0u, bad) TH_LOG("first value %g, want %g", d[0], want);
}

TEST_F(prime, b_job_waits_for_a_job)
{
	struct accel_cmdbuf *cb_a, *cb_b;
	struct accel_job *ja, *jb;
	int sa = -1, sb = -1;
	unsigned int k;

	ASSERT_EQ(0, run_fill(self->a, self->src_va, SHARED_SIZE, 0x22222222));
	/*
	 * A: a long job (16 passes over the BO) ending with a new pattern; B,
	 * submitted right after without any wait or explicit sync, copies the
	 * end of the shared BO: implicit sync makes it see A's last pattern.
	 */
	ASSERT_EQ(0, accel_cmdbuf_new(self->a, &cb_a));
	for (k = 0; k < 16; k++)
		ASSERT_EQ(0, accel_cmdbuf_fill(cb_a, self->src_va, SHARED_SIZE, 0x30303030 + k));
	ASSERT_EQ(0, accel_cmdbuf_fill(cb_a, self->src_va + SHARED_SIZE - 4096, 4096, 0x77777777));
	ASSERT_EQ(0, accel_cmdbuf_new(self->b, &cb_b));
	ASSERT_EQ(0, accel_cmdbuf_copy(cb_b, self->dst_va, self->imp_va + SHARED_SIZE - 4096, 4096));
	ASSERT_EQ(0, accel_job_submit(self->a, cb_a, 0, NULL, &ja));
	ASSERT_EQ(0, accel_job_submit(self->b, cb_b, 0, NULL, &jb));
	ASSERT_EQ(0, accel_job_wait(jb, JOB_TIMEOUT, &sb));
	EXPECT_EQ(0, sb);
	EXPECT_EQ(-1, mismatch(self->dst_p, 4096, 0x77777777));
	ASSERT_EQ(0, accel_job_wait(ja, JOB_TIMEOUT, &sa));
	EXPECT_EQ(0, sa);
	accel_job_free(ja);
	accel_job_free(jb);
	accel_cmdbuf_free(cb_a);
	accel_cmdbuf_free(cb_b);
}

TEST_F(prime, import_outlives_exporter_closed_during_job)
{
	struct accel_cmdbuf *cb;
	struct accel_job *job;
	unsigned int k;
	int st = -1;

	ASSERT_EQ(0, run_fill(self->a, self->src_va, SHARED_SIZE, 0x5eed5eed));
	/* B: a long job reading the import (32 copies of the whole BO) */
	ASSERT_EQ(0, accel_cmdbuf_new(self->b, &cb));
	for (k = 0; k < 32; k++)
		ASSERT_EQ(0, accel_cmdbuf_copy(cb, self->dst_va, self->imp_va, SHARED_SIZE));
	ASSERT_EQ(0, accel_job_submit(self->b, cb, 0, NULL, &job));
	/* while it runs: the exporter drops the dma-buf fd, its BO and device */
	close(self->fd);
	self->fd = -1;
	accel_bo_free(self->src);
	self->src = NULL;
	accel_device_close(self->a);
	self->a = NULL;
	ASSERT_EQ(0, accel_job_wait(job, JOB_TIMEOUT, &st));
	EXPECT_EQ(0, st);
	EXPECT_EQ(-1, mismatch(self->dst_p, SHARED_SIZE, 0x5eed5eed));
	accel_job_free(job);
	accel_cmdbuf_free(cb);
	/* the import is still a valid BO of B: written and read by B's jobs */
	ASSERT_EQ(0, run_fill(self->b, self->imp_va, SHARED_SIZE, 0x12345678));
	ASSERT_EQ(0, run_copy(self->b, self->dst_va, self->imp_va, SHARED_SIZE));
	EXPECT_EQ(-1, mismatch(self->dst_p, SHARED_SIZE, 0x12345678));
}

/* ------------------------------------------------------------------ */
/* The model runtime on every device                                    */
/* ------------------------------------------------------------------ */

#define ITEMS		7	/* not a multiple of the device count */

struct io_set {
	unsigned int nin, nout;
	uint64_t in_size[4], out_size[4];
	void *in[ITEMS * 4];		/* in[i * nin + k] */
	void *ref[ITEMS * 4];		/* one device, one item at a time */
	void *out[ITEMS * 4];		/* run_batch on every device */
};

/* Deterministic inputs of the model's sizes (f32 in [0, 16) like digits). */
static int io_set_init(struct accel_model *m, struct io_set *s)
{
	struct accel_model_io io;
	unsigned int i, k, seed = 1;
	uint64_t j;

	memset(s, 0, sizeof(*s));
	if (accel_model_get_io_count(m, &s->nin, &s->nout) || s->nin > 4 || s->nout > 4)
		return -EINVAL;
	for (k = 0; k < s->nin; k++) {
		accel_model_get_input(m, k, &io);
		s->in_size[k] = io.size;
		for (i = 0; i < ITEMS; i++) {
			uint8_t *p = malloc(io.size);

			if (!p)
				return -ENOMEM;
			s->in[i * s->nin + k] = p;
			if (io.dtype == ACCEL_DT_F32) {
				for (j = 0; j + 4 <= io.size; j += 4) {
					float f = (float)(rand_r(&seed) % 1600) / 100.0f;

					memcpy(p + j, &f, 4);
				}
			} else {
				for (j = 0; j < io.size; j++)
					p[j] = (uint8_t)rand_r(&seed);
			}
		}
	}
	for (k = 0; k < s->nout; k++) {
		accel_model_get_output(m, k, &io);
		s->out_size[k] = io.size;
		for (i = 0; i < ITEMS; i++) {
			s->ref[i * s->nout + k] = calloc(1, io.size);
			s->out[i * s->nout + k] = malloc(io.size);
			if (!s->ref[i * s->nout + k] || !s->out[i * s->nout + k])
				return -ENOMEM;
			memset(s->out[i * s->nout + k], 0xcd, io.size);
		}
	}
	return 0;
}

static void io_set_free(struct io_set *s)
{
	unsigned int i;

	for (i = 0; i < ITEMS * 4; i++) {
		free(s->in[i]);
		free(s->ref[i]);
		free(s->out[i]);
	}
}

/* The single-device reference: item by item with accel_model_run(). */
static int run_reference(struct accel_model *m, struct io_set *s)
{
	unsigned int i, k;
	int ret;

	for (i = 0; i < ITEMS; i++) {
		for (k = 0; k < s->nin; k++)
			accel_model_bind_input(m, k, s->in[i * s->nin + k]);
		for (k = 0; k < s->nout; k++)
			accel_model_bind_output(m, k, s->ref[i * s->nout + k]);
		ret = accel_model_run(m);
		if (ret)
			return ret;
	}
	return 0;
}

FIXTURE(model) {
	unsigned int n;
	struct accel_device *dev[MAX_DEVS];
	char path[256];
};

FIXTURE_VARIANT(model) {
	const char *package;
	uint32_t flags;
};

FIXTURE_VARIANT_ADD(model, mlp) { .package = "mlp.vnpu" };
FIXTURE_VARIANT_ADD(model, cnn) { .package = "cnn.vnpu" };
FIXTURE_VARIANT_ADD(model, cnn_int8) { .package = "cnn_int8.vnpu" };
FIXTURE_VARIANT_ADD(model, cnn_tiled_devmem) { .package = "cnn_tiled.vnpu" };
FIXTURE_VARIANT_ADD(model, mlp_sysmem) { .package = "mlp.vnpu",
					 .flags = ACCEL_MODEL_NO_DEVMEM };

FIXTURE_SETUP(model)
{
	unsigned int i;

	memset(self, 0, sizeof(*self));
	self->n = vnpu_count();
	if (self->n < 2)
		SKIP(return, "fewer than two vnpu devices (run the guest with --devices 3)");
	if (self->n > MAX_DEVS)
		self->n = MAX_DEVS;
	snprintf(self->path, sizeof(self->path), "%s/%s", MODEL_DIR, variant->package);
	if (access(self->path, R_OK))
		SKIP(return, "%s is not in the guest", self->path);
	for (i = 0; i < self->n; i++)
		ASSERT_EQ(0, accel_device_open_index(i, &self->dev[i]));
}

FIXTURE_TEARDOWN(model)
{
	unsigned int i;

	for (i = 0; i < MAX_DEVS; i++)
		accel_device_close(self->dev[i]);
}

TEST_F(model, batches_on_every_device_equal_one_device)
{
	struct accel_model *one, *m[MAX_DEVS];
	long long jobs[MAX_DEVS];
	struct io_set s;
	unsigned int i, k;

	ASSERT_EQ(0, accel_model_load(self->dev[0], self->path, variant->flags, &one));
	ASSERT_EQ(0, io_set_init(one, &s));
	ASSERT_EQ(0, run_reference(one, &s));
	accel_model_free(one);
	/* different inputs, different outputs: the reference is computed */
	EXPECT_NE(0, memcmp(s.ref[0], s.ref[s.nout], s.out_size[0]));

	ASSERT_EQ(0, accel_model_load_devices(self->dev, self->n, self->path, variant->flags, m));
	for (i = 0; i < self->n; i++)
		jobs[i] = counter(devnode_of(self->dev[i]), "jobs_completed");
	ASSERT_EQ(0, accel_model_run_batch(m, self->n, ITEMS, (const void *const *)s.in, s.out));
	for (i = 0; i < ITEMS; i++)
		for (k = 0; k < s.nout; k++)
			EXPECT_EQ(0, memcmp(s.ref[i * s.nout + k], s.out[i * s.nout + k],
					    s.out_size[k]))
				TH_LOG("item %u output %u differs from the one-device run", i, k);
	/* every device ran its share (ITEMS > device count) */
	for (i = 0; i < self->n; i++)
		EXPECT_LT(jobs[i], counter(devnode_of(self->dev[i]), "jobs_completed"))
			TH_LOG("device %u ran no item", i);
	/* the bindings are dropped: a plain run does not write s.out again */
	memset(s.out[0], 0xcd, s.out_size[0]);
	ASSERT_EQ(0, accel_model_run(m[0]));
	EXPECT_EQ(0xcd, ((uint8_t *)s.out[0])[0]);
	for (i = 0; i < self->n; i++)
		accel_model_free(m[i]);
	io_set_free(&s);
}

TEST_F(model, clone_to_another_device_outlives_the_original)
{
	struct accel_model *orig, *clone;
	uint64_t devmem = 0, devmem2 = 1;
	struct io_set s;
	unsigned int k;

	ASSERT_EQ(0, accel_model_load(self->dev[0], self->path, variant->flags, &orig));
	ASSERT_EQ(0, io_set_init(orig, &s));
	ASSERT_EQ(0, run_reference(orig, &s));
	ASSERT_EQ(0, accel_model_clone_to(orig, self->dev[self->n - 1], &clone));
	accel_model_get_devmem_size(orig, &devmem);
	accel_model_get_devmem_size(clone, &devmem2);
	EXPECT_EQ(devmem, devmem2);	/* same placement on an identical device */
	accel_model_free(orig);
	/* the last item again, on the clone alone */
	for (k = 0; k < s.nin; k++)
		ASSERT_EQ(0, accel_model_bind_input(clone, k, s.in[(ITEMS - 1) * s.nin + k]));
	for (k = 0; k < s.nout; k++)
		ASSERT_EQ(0, accel_model_bind_output(clone, k, s.out[k]));
	ASSERT_EQ(0, accel_model_run(clone));
	for (k = 0; k < s.nout; k++)
		EXPECT_EQ(0, memcmp(s.ref[(ITEMS - 1) * s.nout + k], s.out[k], s.out_size[k]));
	accel_model_free(clone);
	io_set_free(&s);
}

/* Pipeline stages: the network cut in two, a part on each of two devices. */
FIXTURE(pipe) {
	unsigned int n;
	struct accel_device *dev[MAX_DEVS];
	char whole[256], s1[256], s2[256];
};

FIXTURE_VARIANT(pipe) {
	const char *name;
	bool one_device;	/* both stages on one device handle */
};

FIXTURE_VARIANT_ADD(pipe, mlp_two_devices) { .name = "mlp" };
FIXTURE_VARIANT_ADD(pipe, cnn_two_devices) { .name = "cnn" };
FIXTURE_VARIANT_ADD(pipe, mlp_one_device) { .name = "mlp", .one_device = true };

FIXTURE_SETUP(pipe)
{
	unsigned int i;

	memset(self, 0, sizeof(*self));
	self->n = vnpu_count();
	if (self->n < 2)
		SKIP(return, "fewer than two vnpu devices (run the guest with --devices 3)");
	if (self->n > MAX_DEVS)
		self->n = MAX_DEVS;
	snprintf(self->whole, sizeof(self->whole), "%s/%s.vnpu", MODEL_DIR, variant->name);
	snprintf(self->s1, sizeof(self->s1), "%s/%s_s1.vnpu", MODEL_DIR, variant->name);
	snprintf(self->s2, sizeof(self->s2), "%s/%s_s2.vnpu", MODEL_DIR, variant->name);
	if (access(self->whole, R_OK) || access(self->s1, R_OK) || access(self->s2, R_OK))
		SKIP(return, "stage packages of %s are not in the guest", variant->name);
	for (i = 0; i < self->n; i++)
		ASSERT_EQ(0, accel_device_open_index(i, &self->dev[i]));
}

FIXTURE_TEARDOWN(pipe)
{
	unsigned int i;

	for (i = 0; i < MAX_DEVS; i++)
		accel_device_close(self->dev[i]);
}

TEST_F(pipe, stages_equal_the_whole_network_on_one_device)
{
	struct accel_device *d1 = variant->one_device ? self->dev[0] : self->dev[self->n - 1];
	struct accel_model *whole, *stage[2];
	struct accel_model_pipeline *p;
	long long jobs0, jobs1;
	struct io_set s;
	unsigned int i, k;

	ASSERT_EQ(0, accel_model_load(self->dev[0], self->whole, 0, &whole));
	ASSERT_EQ(0, io_set_init(whole, &s));
	ASSERT_EQ(0, run_reference(whole, &s));
	accel_model_free(whole);

	ASSERT_EQ(0, accel_model_load(self->dev[0], self->s1, 0, &stage[0]));
	ASSERT_EQ(0, accel_model_load(d1, self->s2, 0, &stage[1]));
	ASSERT_EQ(0, accel_model_pipeline_new(stage, 2, &p));
	/* the pipeline has its own instances */
	accel_model_free(stage[0]);
	accel_model_free(stage[1]);
	jobs0 = counter(devnode_of(self->dev[0]), "jobs_completed");
	jobs1 = counter(devnode_of(d1), "jobs_completed");
	ASSERT_EQ(0, accel_model_pipeline_run(p, ITEMS, (const void *const *)s.in, s.out));
	for (i = 0; i < ITEMS; i++)
		for (k = 0; k < s.nout; k++)
			EXPECT_EQ(0, memcmp(s.ref[i * s.nout + k], s.out[i * s.nout + k],
					    s.out_size[k]))
				TH_LOG("item %u output %u differs from the whole network", i, k);
	if (variant->one_device) {
		EXPECT_LE(jobs0 + 2 * ITEMS, counter(devnode_of(self->dev[0]), "jobs_completed"));
	} else {
		/* ITEMS runs of each stage on its own device */
		EXPECT_LE(jobs0 + ITEMS, counter(devnode_of(self->dev[0]), "jobs_completed"));
		EXPECT_LE(jobs1 + ITEMS, counter(devnode_of(d1), "jobs_completed"));
	}
	/* a second call reuses the pipeline */
	memset(s.out[0], 0xcd, s.out_size[0]);
	ASSERT_EQ(0, accel_model_pipeline_run(p, 1, (const void *const *)s.in, s.out));
	EXPECT_EQ(0, memcmp(s.ref[0], s.out[0], s.out_size[0]));
	accel_model_pipeline_free(p);
	io_set_free(&s);
}

TEST(model_pipeline_errors)
{
	const char *mlp = MODEL_DIR "/mlp.vnpu", *s1 = MODEL_DIR "/mlp_s1.vnpu",
		   *s2 = MODEL_DIR "/mlp_s2.vnpu";
	struct accel_model *m[3] = { NULL, NULL, NULL }, *bad[2];
	struct accel_model_pipeline *p = (struct accel_model_pipeline *)0x1;
	struct accel_device *dev[2] = { NULL, NULL };
	const void *in[1] = { NULL };
	void *out[1] = { NULL };

	if (vnpu_count() < 2)
		SKIP(return, "fewer than two vnpu devices (run the guest with --devices 3)");
	if (access(mlp, R_OK) || access(s1, R_OK) || access(s2, R_OK))
		SKIP(return, "no stage packages in the guest");
	ASSERT_EQ(0, accel_device_open_index(0, &dev[0]));
	ASSERT_EQ(0, accel_device_open_index(1, &dev[1]));
	ASSERT_EQ(0, accel_model_load(dev[0], s1, 0, &m[0]));
	ASSERT_EQ(0, accel_model_load(dev[1], s2, 0, &m[1]));
	ASSERT_EQ(0, accel_model_load(dev[1], mlp, 0, &m[2]));

	EXPECT_EQ(-EINVAL, accel_model_pipeline_new(NULL, 2, &p));
	EXPECT_EQ(-EINVAL, accel_model_pipeline_new(m, 2, NULL));
	EXPECT_EQ(-EINVAL, accel_model_pipeline_new(m, 1, &p));
	EXPECT_EQ(-EINVAL, accel_model_pipeline_new(m, ACCEL_MODEL_MAX_STAGES + 1, &p));
	bad[0] = m[0];
	bad[1] = NULL;
	EXPECT_EQ(-EINVAL, accel_model_pipeline_new(bad, 2, &p));
	/* the stages in the wrong order: 10 probabilities do not make 64 pixels */
	bad[0] = m[1];
	bad[1] = m[0];
	EXPECT_EQ(-EINVAL, accel_model_pipeline_new(bad, 2, &p));
	/* the whole network then stage 2: 10 probabilities are not a1 */
	bad[0] = m[2];
	bad[1] = m[1];
	EXPECT_EQ(-EINVAL, accel_model_pipeline_new(bad, 2, &p));
	EXPECT_EQ((struct accel_model_pipeline *)0x1, p);	/* untouched */

	ASSERT_EQ(0, accel_model_pipeline_new(m, 2, &p));
	EXPECT_EQ(-EINVAL, accel_model_pipeline_run(NULL, 1, in, out));
	EXPECT_EQ(-EINVAL, accel_model_pipeline_run(p, 1, NULL, out));
	EXPECT_EQ(-EINVAL, accel_model_pipeline_run(p, 1, in, NULL));
	EXPECT_EQ(0, accel_model_pipeline_run(p, 0, in, out));
	accel_model_pipeline_free(p);
	accel_model_pipeline_free(NULL);
	accel_model_free(m[0]);
	accel_model_free(m[1]);
	accel_model_free(m[2]);
	accel_device_close(dev[0]);
	accel_device_close(dev[1]);
}

TEST(model_multi_device_errors)
{
	struct accel_model *m[2] = { NULL, NULL }, *other, *bad[2];
	const char *mlp = MODEL_DIR "/mlp.vnpu", *cnn = MODEL_DIR "/cnn.vnpu";
	struct accel_device *dev[2] = { NULL, NULL }, *nodev[2];
	const void *in[1] = { NULL };
	void *out[1] = { NULL };
	struct accel_bo *bo;

	if (vnpu_count() < 2)
		SKIP(return, "fewer than two vnpu devices (run the guest with --devices 3)");
	if (access(mlp, R_OK) || access(cnn, R_OK))
		SKIP(return, "no model packages in the guest");
	ASSERT_EQ(0, accel_device_open_index(0, &dev[0]));
	ASSERT_EQ(0, accel_device_open_index(1, &dev[1]));
	nodev[0] = dev[0];
	nodev[1] = NULL;
	bad[0] = bad[1] = (struct accel_model *)0x1;

	/* accel_model_load_devices() */
	EXPECT_EQ(-EINVAL, accel_model_load_devices(NULL, 2, mlp, 0, bad));
	EXPECT_EQ(-EINVAL, accel_model_load_devices(dev, 0, mlp, 0, bad));
	EXPECT_EQ(-EINVAL, accel_model_load_devices(dev, ACCEL_MODEL_MAX_INSTANCES + 1, mlp, 0, bad));
	EXPECT_EQ(-EINVAL, accel_model_load_devices(dev, 2, NULL, 0, bad));
	EXPECT_EQ(-EINVAL, accel_model_load_devices(dev, 2, mlp, 0, NULL));
	EXPECT_EQ(-EINVAL, accel_model_load_devices(dev, 2, mlp, 1u << 9, bad));
	EXPECT_EQ(-EINVAL, accel_model_load_devices(nodev, 2, mlp, 0, bad));
	EXPECT_EQ(-ENOENT, accel_model_load_devices(dev, 2, MODEL_DIR "/no-such.vnpu", 0, bad));
	EXPECT_EQ(-EBADMSG, accel_model_load_devices(dev, 2, MODEL_DIR "/digits_y.npy", 0, bad));
	EXPECT_EQ((struct accel_model *)0x1, bad[0]);	/* untouched on failure */

	/* accel_model_clone_to() */
	ASSERT_EQ(0, accel_model_load_devices(dev, 2, mlp, 0, m));
	EXPECT_EQ(-EINVAL, accel_model_clone_to(NULL, dev[1], &other));
	EXPECT_EQ(-EINVAL, accel_model_clone_to(m[0], NULL, &other));
	EXPECT_EQ(-EINVAL, accel_model_clone_to(m[0], dev[1], NULL));

	/* accel_model_run_batch() */
	EXPECT_EQ(-EINVAL, accel_model_run_batch(NULL, 2, 1, in, out));
	EXPECT_EQ(-EINVAL, accel_model_run_batch(m, 0, 1, in, out));
	EXPECT_EQ(-EINVAL, accel_model_run_batch(m, ACCEL_MODEL_MAX_INSTANCES + 1, 1, in, out));
	EXPECT_EQ(-EINVAL, accel_model_run_batch(m, 2, 1, NULL, out));
	EXPECT_EQ(-EINVAL, accel_model_run_batch(m, 2, 1, in, NULL));
	bad[0] = m[0];
	bad[1] = NULL;
	EXPECT_EQ(-EINVAL, accel_model_run_batch(bad, 2, 1, in, out));
	EXPECT_EQ(0, accel_model_run_batch(m, 2, 0, in, out));	/* nothing to do */
	/* instances of two different packages */
	ASSERT_EQ(0, accel_model_load(dev[1], cnn, 0, &other));
	bad[1] = other;
	EXPECT_EQ(-EINVAL, accel_model_run_batch(bad, 2, 1, in, out));
	accel_model_free(other);
	/* the same package loaded separately is accepted */
	ASSERT_EQ(0, accel_model_load(dev[1], mlp, 0, &other));
	bad[1] = other;
	EXPECT_EQ(0, accel_model_run_batch(bad, 2, 0, in, out));
	/* an instance whose input is bound to a BO */
	ASSERT_EQ(0, accel_bo_new(dev[1], 1 << 20, 0, &bo));
	ASSERT_EQ(0, accel_model_bind_input_bo(other, 0, bo, 0));
	EXPECT_EQ(-EINVAL, accel_model_run_batch(bad, 2, 1, in, out));
	accel_model_free(other);
	accel_bo_free(bo);

	accel_model_free(m[0]);
	accel_model_free(m[1]);
	accel_device_close(dev[0]);
	accel_device_close(dev[1]);
}

/* ------------------------------------------------------------------ */
/* The exporter's device goes away (last: it removes and rescans one)  */
/* ------------------------------------------------------------------ */

FIXTURE(exporter_unplug) {
	int unused;
};

FIXTURE_SETUP(exporter_unplug)
{
}

FIXTURE_TEARDOWN(exporter_unplug)
{
	/* whatever happened, bring every removed device back */
	sysfs_write("/sys/bus/pci/rescan", "1");
}

TEST_F_TIMEOUT(exporter_unplug, import_survives, 120)
{
	struct accel_device *a, *b, *again;
	struct accel_bo *src, *imp, *dst, *bo;
	uint64_t src_va, imp_va, dst_va;
	unsigned int n = vnpu_count(), i;
	char path[256], pci[64];
	const char *p;
	void *map;
	int fd;

	if (n < 2)
		SKIP(return, "fewer than two vnpu devices (run the guest with --devices 3)");
	if (geteuid())
		SKIP(return, "needs root to remove a PCI device");
	ASSERT_EQ(0, accel_device_open_index(n - 1, &a));
	ASSERT_EQ(0, accel_device_open_index(0, &b));
	ASSERT_EQ(0, accel_device_get_pci_address(a, &p));
	snprintf(pci, sizeof(pci), "%s", p);
	ASSERT_EQ(0, accel_bo_new(a, SHARED_SIZE, 0, &src));
	ASSERT_EQ(0, accel_bo_get_va(src, &src_va));
	ASSERT_EQ(0, run_fill(a, src_va, SHARED_SIZE, 0xabcd1234));
	ASSERT_EQ(0, accel_bo_export(src, &fd));
	ASSERT_EQ(0, accel_bo_import(b, fd, &imp));
	close(fd);
	ASSERT_EQ(0, accel_bo_get_va(imp, &imp_va));
	ASSERT_EQ(0, accel_bo_new(b, SHARED_SIZE, 0, &dst));
	ASSERT_EQ(0, accel_bo_get_va(dst, &dst_va));

	/* A's PCI function goes away while A's file and BO are still open */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", pci);
	ASSERT_EQ(0, sysfs_write(path, "1"));
	EXPECT_EQ(-ENODEV, accel_bo_new(a, 4096, 0, &bo));
	/* B still reads the pages (system memory, pinned by the import) */
	ASSERT_EQ(0, run_copy(b, dst_va, imp_va, SHARED_SIZE));
	ASSERT_EQ(0, accel_bo_map(dst, &map));
	EXPECT_EQ(-1, mismatch(map, SHARED_SIZE, 0xabcd1234));
	accel_bo_unmap(dst);
	/* the exporter's last references go after its device did */
	accel_bo_free(src);
	accel_device_close(a);
	ASSERT_EQ(0, run_fill(b, imp_va, SHARED_SIZE, 0x0f0f0f0f));
	accel_bo_free(imp);	/* the dma-buf, and A's GEM object, are freed now */
	accel_bo_free(dst);
	accel_device_close(b);

	/* rescan: the device comes back and works */
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/rescan", "1"));
	for (i = 0; i < 100 && vnpu_count() < n; i++)
		usleep(100000);
	ASSERT_EQ(n, vnpu_count());
	ASSERT_EQ(0, accel_device_open_pci(pci, &again));
	ASSERT_EQ(0, accel_bo_new(again, 65536, 0, &bo));
	ASSERT_EQ(0, accel_bo_get_va(bo, &src_va));
	EXPECT_EQ(0, run_fill(again, src_va, 65536, 0x600d600d));
	accel_bo_free(bo);
	accel_device_close(again);
}

TEST_HARNESS_MAIN
