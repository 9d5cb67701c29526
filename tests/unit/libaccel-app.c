// SPDX-License-Identifier: MIT
/*
 * A stand-alone application of libaccel, written only against <accel.h>
 * and built with `pkg-config --cflags --libs libaccel` (see
 * libaccel-app.sh). It discovers a device, allocates buffers, builds and
 * submits a job, waits for it, checks the result and reads telemetry.
 * Exit status: 0 on success, 77 if there is no vnpu device, 1 on failure.
 */
#include <stdio.h>
#include <string.h>

#include <accel.h>

#define N 4096

static int fail(const char *what, int err)
{
	fprintf(stderr, "libaccel-app: %s: %s\n", what, accel_strerror(err));
	return 1;
}

int main(void)
{
	struct accel_device_list *list;
	struct accel_device *dev;
	struct accel_bo *src, *dst;
	struct accel_cmdbuf *cb;
	struct accel_job *job;
	struct accel_device_stats st;
	const char *node;
	unsigned int count = 0, i;
	uint64_t vs, vd;
	uint8_t *p;
	int ret, status = -1;

	ret = accel_device_enumerate(&list);
	if (ret)
		return fail("enumerate", ret);
	accel_device_list_get_count(list, &count);
	if (!count) {
		printf("libaccel-app: no vnpu device\n");
		accel_device_list_free(list);
		return 77;
	}
	accel_device_list_get_devnode(list, 0, &node);
	printf("discover: %u device(s), first %s\n", count, node);
	ret = accel_device_open(node, &dev);
	accel_device_list_free(list);
	if (ret)
		return fail("open", ret);

	if ((ret = accel_bo_new(dev, N, 0, &src)) ||
	    (ret = accel_bo_new(dev, N, 0, &dst)))
		return fail("allocate", ret);
	accel_bo_get_va(src, &vs);
	accel_bo_get_va(dst, &vd);
	printf("allocate: 2 BOs at 0x%llx and 0x%llx\n",
	       (unsigned long long)vs, (unsigned long long)vd);

	if ((ret = accel_cmdbuf_new(dev, &cb)) ||
	    (ret = accel_cmdbuf_fill(cb, vs, N, 0xc0ffee11)) ||
	    (ret = accel_cmdbuf_copy(cb, vd, vs, N)))
		return fail("build", ret);
	ret = accel_job_submit(dev, cb, 0, NULL, &job);
	if (ret)
		return fail("submit", ret);
	ret = accel_job_wait(job, 30000000000ll, &status);
	if (ret)
		return fail("wait", ret);
	if (status)
		return fail("job", status);
	ret = accel_bo_map(dst, (void **)&p);
	if (ret)
		return fail("map", ret);
	for (i = 0; i < N; i++)
		if (p[i] != (uint8_t)(0xc0ffee11u >> (8 * (i % 4))))
			return fail("verify", -1);
	printf("job: done and verified\n");

	ret = accel_device_get_stats(dev, &st);
	if (ret)
		return fail("telemetry", ret);
	printf("telemetry: %llu jobs completed, %llu bytes in BOs\n",
	       (unsigned long long)st.jobs_completed,
	       (unsigned long long)st.mem_used);

	accel_bo_unmap(dst);
	accel_job_free(job);
	accel_cmdbuf_free(cb);
	accel_bo_free(src);
	accel_bo_free(dst);
	accel_device_close(dev);
	return 0;
}
