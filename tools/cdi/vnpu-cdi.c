// SPDX-License-Identifier: MIT
/*
 * vnpu-cdi: Container Device Interface spec for the vnpu devices present.
 *
 *   vnpu-cdi generate [--kind VENDOR/CLASS] [--output FILE] [--sysfs DIR]
 *   vnpu-cdi watch --output FILE [--kind VENDOR/CLASS] [--count N]
 *
 * Every /sys/class/accel/accelN whose PCI parent is bound to the vnpu
 * driver becomes two CDI devices: "N" (by index) and the PCI address with
 * ':' kept (e.g. "0000:00:03.0"), each with the device node
 * /dev/accel/accelN (character device, major:minor from sysfs) as its
 * containerEdits. cdiVersion is 0.6.0. --sysfs points at another sysfs
 * root (tests). Writes to stdout, or atomically to FILE (write then
 * rename), e.g. /etc/cdi/vnpu.json or /var/run/cdi/vnpu.json.
 *
 * watch writes the spec to FILE, then rewrites it (again atomically) each
 * time libaccel's hotplug monitor reports a vnpu device added or removed,
 * until SIGINT/SIGTERM or, with --count N, after N rewrites. A device whose
 * removal was reported is left out even while its sysfs entry still
 * exists (the kernel sends the uevent before deleting it). One line per
 * write goes to stdout: "vnpu-cdi: FILE: N devices".
 *
 * Exit status: 0; 1 on errors; 2 on bad usage. No devices is not an error:
 * the spec then lists none.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel.h"

#define MAX_DEVS 64

struct cdi_dev {
	unsigned int index;
	unsigned int major, minor;
	char pci[64];
};

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct cdi_dev *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* accelN whose removal the hotplug monitor reported (watch mode). */
static bool gone[MAX_DEVS];

/* Collect the accel nodes driven by vnpu; returns the count or -errno. */
static int scan(const char *sysfs, struct cdi_dev *devs)
{
	char dir[PATH_MAX], path[2 * PATH_MAX], link[PATH_MAX], line[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/class/accel", sysfs);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct cdi_dev *cd = &devs[n];
		const char *p;
		unsigned int idx;
		char tail;
		ssize_t len;

		if (sscanf(de->d_name, "accel%u%c", &idx, &tail) != 1)
			continue;
		if (idx < MAX_DEVS && gone[idx])
			continue;
		snprintf(path, sizeof(path), "%s/%s/device/driver", dir, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		if (strcmp(base_name(link), "vnpu"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", dir, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		snprintf(path, sizeof(path), "%s/%s/dev", dir, de->d_name);
		if (read_line(path, line, sizeof(line)) ||
		    sscanf(line, "%u:%u", &cd->major, &cd->minor) != 2) {
			fprintf(stderr, "vnpu-cdi: %s: no major:minor\n", path);
			continue;
		}
		/* a PCI address: hex digits, ':' and '.' (safe in JSON and CDI names) */
		p = base_name(link);
		if (strlen(p) >= sizeof(cd->pci) || !p[0] ||
		    p[strspn(p, "0123456789abcdefABCDEF:.")]) {
			fprintf(stderr, "vnpu-cdi: %s: not a PCI device\n", path);
			continue;
		}
		cd->index = idx;
		strcpy(cd->pci, p);
		if (++n == MAX_DEVS)
			break;
	}
	closedir(d);
	qsort(devs, n, sizeof(*devs), cmp_dev);
	return n;
}

static void print_dev(FILE *f, const char *name, const struct cdi_dev *d,
		      int last)
{
	fprintf(f, "    {\n      \"name\": \"%s\",\n", name);
	fprintf(f, "      \"annotations\": {\"vnpu.dev/pci-address\": \"%s\"},\n",
		d->pci);
	fprintf(f, "      \"containerEdits\": {\n        \"deviceNodes\": [\n");
	fprintf(f, "          {\"path\": \"/dev/accel/accel%u\", \"type\": \"c\", "
		"\"major\": %u, \"minor\": %u, \"permissions\": \"rw\"}\n",
		d->index, d->major, d->minor);
	fprintf(f, "        ]\n      }\n    }%s\n", last ? "" : ",");
}

/* vendor.tld/class as the CDI spec defines the two parts. */
static int valid_kind(const char *kind)
{
	const char *slash = strchr(kind, '/'), *p;

	if (!slash || slash == kind || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	for (p = kind; p < slash; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_'))
			return 0;
	if (!isalnum((unsigned char)kind[0]) || !isalnum((unsigned char)slash[-1]))
		return 0;
	for (p = slash + 1; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
			return 0;
	return isalnum((unsigned char)slash[1]) && isalnum((unsigned char)p[-1]);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vnpu-cdi generate [--kind VENDOR/CLASS] [--output FILE] [--sysfs DIR]\n"
		   "       vnpu-cdi watch --output FILE [--kind VENDOR/CLASS] [--count N]\n");
}

/* Write the spec for the devices present to @out (NULL: stdout); 0 or 1. */
static int write_spec(const char *kind, const char *out, const char *sysfs,
		      int *ndevs)
{
	struct cdi_dev devs[MAX_DEVS];
	char tmp[PATH_MAX], idx[16];
	FILE *f = stdout;
	int n, i;

	n = scan(sysfs, devs);
	if (n < 0) {
		fprintf(stderr, "vnpu-cdi: %s/class/accel: %s\n", sysfs, strerror(-n));
		return 1;
	}
	if (out) {
		snprintf(tmp, sizeof(tmp), "%s.tmp", out);
		f = fopen(tmp, "w");
		if (!f) {
			fprintf(stderr, "vnpu-cdi: %s: %s\n", tmp, strerror(errno));
			return 1;
		}
	}
	fprintf(f, "{\n  \"cdiVersion\": \"0.6.0\",\n  \"kind\": \"%s\",\n", kind);
	fprintf(f, "  \"devices\": [\n");
	for (i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%u", devs[i].index);
		print_dev(f, idx, &devs[i], 0);
		print_dev(f, devs[i].pci, &devs[i], i == n - 1);
	}
	fprintf(f, "  ]\n}\n");
	if (out) {
		/* readers see the old spec or the new one, never a part */
		if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, out)) {
			fprintf(stderr, "vnpu-cdi: %s: %s\n", out, strerror(errno));
			unlink(tmp);
			return 1;
		}
	} else if (fflush(stdout)) {
		return 1;
	}
	if (ndevs)
		*ndevs = n;
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned int pending;	/* events since the last write */

static void on_hotplug(void *data, int action, const char *devnode,
		       const char *pci_address)
{
	const char *p = strrchr(devnode, '/');
	unsigned int idx;
	char tail;

	(void)data;
	if (p && sscanf(p + 1, "accel%u%c", &idx, &tail) == 1 && idx < MAX_DEVS)
		gone[idx] = action == ACCEL_HOTPLUG_REMOVE;
	printf("vnpu-cdi: %s %s (%s)\n", action == ACCEL_HOTPLUG_ADD ? "added" : "removed",
	       devnode, pci_address);
	pending++;
}

static int watch(const char *kind, const char *out, const char *sysfs,
		 unsigned long count)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct accel_monitor *mon;
	unsigned long written = 0;
	struct pollfd pfd;
	int ret, n;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* subscribe first, so that no change between scan and watch is lost */
	ret = accel_monitor_new(on_hotplug, NULL, &mon);
	if (ret) {
		fprintf(stderr, "vnpu-cdi: hotplug monitor: %s\n", accel_strerror(ret));
		return 1;
	}
	accel_monitor_get_fd(mon, &pfd.fd);
	pfd.events = POLLIN;
	if (write_spec(kind, out, sysfs, &n))
		goto err;
	printf("vnpu-cdi: %s: %d devices\n", out, n);
	fflush(stdout);
	while (!stop && (!count || written < count)) {
		ret = poll(&pfd, 1, 1000);
		if (ret < 0 && errno != EINTR) {
			perror("vnpu-cdi: poll");
			goto err;
		}
		if (ret <= 0)
			continue;
		accel_monitor_dispatch(mon, NULL);
		if (!pending)
			continue;
		pending = 0;
		if (write_spec(kind, out, sysfs, &n))
			goto err;
		written++;
		printf("vnpu-cdi: %s: %d devices\n", out, n);
		fflush(stdout);
	}
	accel_monitor_free(mon);
	return 0;
err:
	accel_monitor_free(mon);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *kind = "vnpu.dev/npu", *out = NULL, *sysfs = "/sys";
	unsigned long count = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "k:o:s:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'o': out = optarg; break;
		case 's': sysfs = optarg; break;
		case 'c':
			errno = 0;
			count = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || !count) {
				fprintf(stderr, "vnpu-cdi: --count wants a positive number\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 ||
	    (strcmp(argv[optind], "generate") && strcmp(argv[optind], "watch"))) {
		usage(stderr);
		return 2;
	}
	if (!valid_kind(kind)) {
		fprintf(stderr, "vnpu-cdi: invalid kind '%s' (want vendor.tld/class)\n", kind);
		return 2;
	}
	if (!strcmp(argv[optind], "generate")) {
		if (count) {
			fprintf(stderr, "vnpu-cdi: --count is for watch\n");
			return 2;
		}
		return write_spec(kind, out, sysfs, NULL);
	}
	if (!out) {
		fprintf(stderr, "vnpu-cdi: watch needs --output FILE\n");
		return 2;
	}
	return watch(kind, out, sysfs, count);
}
