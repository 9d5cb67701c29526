// SPDX-License-Identifier: MIT
/*
 * vnpu-info: list vnpu devices and their parameters.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel.h"
#include "tool_util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vnpu-info [--json] [--device PATH|PCI|INDEX]\n"
		"List the vnpu accelerators: PCI address, driver version,\n"
		"parameters, capabilities, memory, reset state and statistics.\n"
		"\n"
		"  -j, --json         print one JSON object instead of text\n"
		"  -d, --device DEV   show only this device: a node such as\n"
		"                     /dev/accel/accel0, a PCI address, or an\n"
		"                     index in the listed order\n"
		"  -h, --help         show this help\n"
		"\n"
		"Exit status: 0 on success, 1 if no device was found or one could\n"
		"not be opened or queried, 2 on a usage error.\n");
}

/* Print @s as a JSON string. */
/* Parameters that read best in hexadecimal. */
static bool param_is_hex(uint32_t p)
{
	return p == ACCEL_PARAM_DEVICE_ID || p == ACCEL_PARAM_REVISION ||
	       p == ACCEL_PARAM_VA_START || p == ACCEL_PARAM_VA_END ||
	       p == ACCEL_PARAM_PAGE_SIZES || p == ACCEL_PARAM_OPS;
}

static const char *const op_names[] = {
	"nop", "fill", "copy", "timestamp", "barrier", "sem_wait", "sem_signal",
	"copy_nd", "gemm", "conv2d", "eltwise", "activation", "softmax",
	"layernorm", "rmsnorm", "reduce", "pool2d", "quantize", "dequantize",
	"cast",
};

static void print_ops(uint64_t ops)
{
	unsigned int i;
	bool first = true;

	printf(" (");
	for (i = 0; i < 64; i++) {
		if (!(ops & (1ull << i)))
			continue;
		if (i < sizeof(op_names) / sizeof(op_names[0]))
			printf("%s%s", first ? "" : " ", op_names[i]);
		else
			printf("%sop%u", first ? "" : " ", i);
		first = false;
	}
	printf(")");
}

static const char *const feature_names[] = {
	"syncobj_timeline", "prime_export", "prime_import", "vm_bind",
	"userptr", "devmem", "priority", "engine_reset",
};

static const char *const dtype_names[] = {
	"", "f32", "bf16", "i8", "u8", "i32",
};

/* Runtime power state of the PCI function ("active", "suspended"...). */
static const char *power_state(struct accel_device *dev, char *buf, size_t n)
{
	const char *pci;
	char path[128];
	FILE *f;

	if (accel_device_get_pci_address(dev, &pci))
		return NULL;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/runtime_status",
		 pci);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (!fgets(buf, (int)n, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf[0] ? buf : NULL;
}

/* Capabilities, reset state and live statistics of an open device. */
static void show_state(struct accel_device *dev, bool json)
{
	char pbuf[32];
	const char *power = power_state(dev, pbuf, sizeof(pbuf));
	struct accel_device_caps caps;
	struct accel_reset_status rs;
	struct accel_device_stats st;
	int rret, sret;
	unsigned int i;
	bool first = true;

	accel_device_get_caps(dev, &caps);
	rret = accel_device_get_reset_status(dev, &rs);
	sret = accel_device_get_stats(dev, &st);
	if (json) {
		printf(",\n     \"features\": [");
		for (i = 0; i < 64; i++) {
			if (!(caps.features & (1ull << i)))
				continue;
			printf("%s", first ? "" : ", ");
			if (i < sizeof(feature_names) / sizeof(feature_names[0]))
				json_str(feature_names[i]);
			else
				printf("\"feature%u\"", i);
			first = false;
		}
		printf("],\n     \"dtypes\": [");
		first = true;
		for (i = 1; i < 6; i++)
			if (caps.dtypes & (1ull << i)) {
				printf("%s\"%s\"", first ? "" : ", ", dtype_names[i]);
				first = false;
			}
		printf("]");
		printf(",\n     \"device_version\": \"%u.%u\"",
		       caps.revision >> 16, caps.revision & 0xffff);
		if (power) {
			printf(",\n     \"power\": ");
			json_str(power);
		}
		if (!rret)
			printf(",\n     \"reset\": {\"resets\": %" PRIu64
			       ", \"context_hangs\": %" PRIu64
			       ", \"context_banned\": %s}", rs.resets,
			       rs.context_hangs, rs.banned ? "true" : "false");
		if (!sret)
			printf(",\n     \"state\": {\"dead\": %s, \"contexts\": %u"
			       ", \"mem_used\": %" PRIu64 ", \"jobs_completed\": %"
			       PRIu64 ", \"jobs_failed\": %" PRIu64
			       ", \"resets\": %" PRIu64 ", \"hangs\": %" PRIu64
			       ", \"faults\": %" PRIu64 ", \"busy_ns\": %" PRIu64
			       ", \"energy_pj\": %" PRIu64 ", \"macs\": %" PRIu64
			       "}", st.dead ? "true" : "false", st.contexts,
			       st.mem_used, st.jobs_completed, st.jobs_failed,
			       st.resets, st.hangs, st.faults, st.busy_ns,
			       st.energy_pj, st.macs);
		return;
	}
	printf("    %-14s", "features");
	for (i = 0; i < 64; i++)
		if (caps.features & (1ull << i))
			printf(" %s", i < sizeof(feature_names) / sizeof(feature_names[0]) ?
			       feature_names[i] : "?");
	printf("\n    %-14s", "dtypes");
	for (i = 1; i < 6; i++)
		if (caps.dtypes & (1ull << i))
			printf(" %s", dtype_names[i]);
	printf("%s\n", caps.dtypes ? "" : " (not reported)");
	printf("    %-14s %u.%u%s%s\n", "device", caps.revision >> 16,
	       caps.revision & 0xffff, power ? ", power " : "",
	       power ? power : "");
	if (!rret)
		printf("    %-14s %" PRIu64 " resets, this context: %" PRIu64
		       " hangs%s\n", "reset", rs.resets, rs.context_hangs,
		       rs.banned ? ", BANNED" : "");
	if (!sret)
		printf("    %-14s %s, %u contexts, %.1f MiB in BOs, %" PRIu64
		       " jobs done, %" PRIu64 " failed, %" PRIu64 " faults\n",
		       "state", st.dead ? "DEAD (reset failed)" : "alive",
		       st.contexts, st.mem_used / 1048576.0, st.jobs_completed,
		       st.jobs_failed, st.faults);
	else
		printf("    %-14s unavailable: %s\n", "state", accel_strerror(sret));
}

/* Show one device; returns 0 or a negative errno. */
static int show(unsigned int index, const char *devnode, const char *pci,
		bool json, bool first)
{
	const char *name = "", *date = "", *desc = "", *dpci = NULL;
	int major = 0, minor = 0, patch = 0, ret, failed = 0;
	struct accel_device *dev;
	uint32_t p;

	ret = accel_device_open(devnode, &dev);
	if (json) {
		printf("%s\n    {\"index\": %u, \"devnode\": ", first ? "" : ",",
		       index);
		json_str(devnode);
	}
	if (!ret && !pci && accel_device_get_pci_address(dev, &dpci) == 0)
		pci = dpci;
	if (ret) {
		if (json) {
			printf(", \"pci_address\": ");
			json_str(pci ? pci : "");
			printf(", \"error\": ");
			json_str(accel_strerror(ret));
			printf("}");
		} else {
			printf("[%u] %s: cannot open: %s\n", index, devnode,
			       accel_strerror(ret));
		}
		return ret;
	}
	accel_device_get_driver_info(dev, &name, &date, &desc);
	accel_device_get_driver_version(dev, &major, &minor, &patch);

	if (json) {
		printf(", \"pci_address\": ");
		json_str(pci ? pci : "");
		printf(",\n     \"driver\": {\"name\": ");
		json_str(name);
		printf(", \"major\": %d, \"minor\": %d, \"patchlevel\": %d, "
		       "\"date\": ", major, minor, patch);
		json_str(date);
		printf(", \"desc\": ");
		json_str(desc);
		printf("},\n     \"params\": {");
	} else {
		printf("[%u] %s  pci %s\n", index, devnode, pci ? pci : "?");
		printf("    %-14s %s %d.%d.%d (%s) %s\n", "driver", name, major,
		       minor, patch, date, desc);
	}

	for (p = 0; p < ACCEL_PARAM_COUNT; p++) {
		const char *pname = "?";
		uint64_t v;
		int r;

		accel_param_get_name(p, &pname);
		r = accel_device_query(dev, p, &v);
		if (r)
			failed = r;
		if (json) {
			printf("%s\n       ", p ? "," : "");
			json_str(pname);
			if (r) {
				printf(": {\"error\": ");
				json_str(accel_strerror(r));
				printf("}");
			} else {
				printf(": %" PRIu64, v);
			}
			continue;
		}
		if (r) {
			printf("    %-14s error: %s\n", pname, accel_strerror(r));
			continue;
		}
		if (param_is_hex(p))
			printf("    %-14s 0x%" PRIx64, pname, v);
		else
			printf("    %-14s %" PRIu64, pname, v);
		if (p == ACCEL_PARAM_REVISION)
			printf(" (%u.%u)", (unsigned int)(v >> 16) & 0xffff,
			       (unsigned int)v & 0xffff);
		else if (p == ACCEL_PARAM_OPS)
			print_ops(v);
		else if ((p == ACCEL_PARAM_MAX_BO_SIZE ||
			  p == ACCEL_PARAM_MAX_CMD_SIZE ||
			  p == ACCEL_PARAM_DEVMEM_SIZE) && v >= 1024)
			printf(" (%.1f MiB)", (double)v / (1 << 20));
		printf("\n");
	}
	if (json)
		printf("\n     }");
	show_state(dev, json);
	if (json)
		printf("}");
	accel_device_close(dev);
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct accel_device_list *list = NULL;
	const char *only = NULL;
	unsigned int count = 0, i, shown = 0;
	bool json = false;
	int c, ret, status = 0;

	while ((c = getopt_long(argc, argv, "jd:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'd':
			only = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vnpu-info: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}

	ret = accel_device_enumerate(&list);
	if (ret) {
		fprintf(stderr, "vnpu-info: cannot enumerate devices: %s\n",
			accel_strerror(ret));
		return 1;
	}
	accel_device_list_get_count(list, &count);

	if (json)
		printf("{\"devices\": [");
	else if (!only)
		printf("vnpu devices: %u\n", count);

	if (only) {
		const char *pci = NULL;
		unsigned int pos = 0;
		size_t digits = strspn(only, "0123456789");

		/*
		 * Use the enumerated PCI address when the node is listed; a
		 * PCI address ("0000:00:03.0" or "00:03.0") names its node.
		 */
		for (i = 0; i < count; i++) {
			const char *node, *addr;

			accel_device_list_get_devnode(list, i, &node);
			accel_device_list_get_pci_address(list, i, &addr);
			if (!strcmp(node, only) || !strcmp(addr, only) ||
			    (strlen(only) == 7 && !strncmp(addr, "0000:", 5) &&
			     !strcmp(addr + 5, only)) ||
			    (digits && !only[digits] && digits < 10 &&
			     strtoul(only, NULL, 10) == i)) {
				pci = addr;
				only = node;
				pos = i;
				break;
			}
		}
		if (show(pos, only, pci, json, true))
			status = 1;
		shown = 1;
	} else {
		for (i = 0; i < count; i++) {
			const char *node, *pci;

			accel_device_list_get_devnode(list, i, &node);
			accel_device_list_get_pci_address(list, i, &pci);
			if (show(i, node, pci, json, i == 0))
				status = 1;
			shown++;
		}
	}
	if (json)
		printf("%s]}\n", shown ? "\n  " : "");
	if (!shown) {
		fprintf(stderr, "vnpu-info: no vnpu device found\n");
		status = 1;
	}
	accel_device_list_free(list);
	return status;
}
