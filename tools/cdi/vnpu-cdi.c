// SPDX-License-Identifier: MIT
/*
 * vnpu-cdi: Container Device Interface spec for the vnpu devices present.
 *
 *   vnpu-cdi generate [--kind VENDOR/CLASS] [--output FILE] [--sysfs DIR]
 *
 * Every /sys/class/accel/accelN whose PCI parent is bound to the vnpu
 * driver becomes two CDI devices: "N" (by index) and the PCI address with
 * ':' kept (e.g. "0000:00:03.0"), each with the device node
 * /dev/accel/accelN (character device, major:minor from sysfs) as its
 * containerEdits. cdiVersion is 0.6.0. --sysfs points at another sysfs
 * root (tests). Writes to stdout, or atomically to FILE (write then
 * rename), e.g. /etc/cdi/vnpu.json or /var/run/cdi/vnpu.json.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	fprintf(f, "usage: vnpu-cdi generate [--kind VENDOR/CLASS] [--output FILE] [--sysfs DIR]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *kind = "vnpu.dev/npu", *out = NULL, *sysfs = "/sys";
	struct cdi_dev devs[MAX_DEVS];
	char tmp[PATH_MAX], idx[16];
	FILE *f = stdout;
	int c, n, i;

	while ((c = getopt_long(argc, argv, "k:o:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'o': out = optarg; break;
		case 's': sysfs = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "generate")) {
		usage(stderr);
		return 2;
	}
	if (!valid_kind(kind)) {
		fprintf(stderr, "vnpu-cdi: invalid kind '%s' (want vendor.tld/class)\n", kind);
		return 2;
	}
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
		if (fclose(f) || rename(tmp, out)) {
			fprintf(stderr, "vnpu-cdi: %s: %s\n", out, strerror(errno));
			unlink(tmp);
			return 1;
		}
	} else if (fflush(stdout)) {
		return 1;
	}
	return 0;
}
