// SPDX-License-Identifier: MIT
/*
 * vnpu-events: print vnpu driver events (resets, MMU faults, hangs,
 * unplugs) as they happen, from the driver's netlink "events" group, and
 * device hotplug (udev) events.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vnpu-events [--json] [-n COUNT] [-t SECONDS] [--no-hotplug]\n"
		"Print vnpu driver events as they happen: device resets, MMU\n"
		"faults, hung jobs and unplugs (netlink), and devices appearing\n"
		"or disappearing (udev). One line per event.\n"
		"\n"
		"  -j, --json          one JSON object per line\n"
		"  -n, --count N       exit after N events\n"
		"  -t, --timeout S     exit after S seconds (status 3 if fewer\n"
		"                      than COUNT events were seen)\n"
		"      --no-hotplug    do not watch udev hotplug events\n"
		"  -h, --help          show this help\n"
		"\n"
		"Lines are flushed at once, so the output can be piped. A line\n"
		"\"ready\" (or {\"event\": \"ready\"}) is printed once listening.\n"
		"Exit status: 0, 1 on error, 2 on a usage error, 3 on timeout.\n");
}

static bool json;
static long seen;

static void print_event(const struct accel_event *e)
{
	const char *name = "?";
	static const char acc[][8] = { "", "read", "write", "", "exec" };

	accel_event_get_name(e->type, &name);
	if (json) {
		printf("{\"event\": \"%s\", \"time_ns\": %" PRIu64
		       ", \"dev_index\": %u, \"pci_address\": \"%s\"",
		       name, e->time_ns, e->dev_index, e->pci_address);
		if (e->valid & ACCEL_EVENT_HAS_CTX)
			printf(", \"ctx_id\": %u", e->ctx_id);
		if (e->valid & ACCEL_EVENT_HAS_PID)
			printf(", \"pid\": %u", e->pid);
		if (e->valid & ACCEL_EVENT_HAS_QUEUE)
			printf(", \"queue\": %u", e->queue);
		if (e->valid & ACCEL_EVENT_HAS_JOB)
			printf(", \"job_id\": %" PRIu64, e->job_id);
		if (e->valid & ACCEL_EVENT_HAS_FAULT)
			printf(", \"fault_va\": %" PRIu64 ", \"fault_access\": %u",
			       e->fault_va, e->fault_access);
		if (e->type == ACCEL_EVENT_RESET)
			printf(", \"resets\": %" PRIu64 ", \"error\": %d",
			       e->resets, e->error);
		printf("}\n");
	} else {
		printf("%" PRIu64 ".%09" PRIu64 " accel%u %s %s", e->time_ns / 1000000000,
		       e->time_ns % 1000000000, e->dev_index, e->pci_address, name);
		if (e->valid & ACCEL_EVENT_HAS_CTX)
			printf(" ctx=%u", e->ctx_id);
		if (e->valid & ACCEL_EVENT_HAS_PID)
			printf(" pid=%u", e->pid);
		if (e->valid & ACCEL_EVENT_HAS_QUEUE)
			printf(" queue=%u", e->queue);
		if (e->valid & ACCEL_EVENT_HAS_JOB)
			printf(" job=%" PRIu64, e->job_id);
		if (e->valid & ACCEL_EVENT_HAS_FAULT)
			printf(" va=0x%" PRIx64 " access=%s", e->fault_va,
			       e->fault_access < 5 && acc[e->fault_access][0] ?
			       acc[e->fault_access] : "?");
		if (e->type == ACCEL_EVENT_RESET)
			printf(" resets=%" PRIu64 " %s", e->resets,
			       e->error ? accel_strerror(e->error) : "recovered");
		printf("\n");
	}
	fflush(stdout);
	seen++;
}

static void hotplug(void *data, int action, const char *node, const char *pci)
{
	const char *what = action == ACCEL_HOTPLUG_ADD ? "add" : "remove";

	if (json)
		printf("{\"event\": \"hotplug-%s\", \"devnode\": \"%s\", "
		       "\"pci_address\": \"%s\"}\n", what, node, pci);
	else
		printf("hotplug %s %s %s\n", what, node, pci);
	fflush(stdout);
	seen++;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-hotplug", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct accel_monitor *mon = NULL;
	struct accel_events *ev = NULL;
	bool watch_hotplug = true;
	double timeout = -1, deadline = 0;
	long count = -1;
	struct timespec ts;
	int c, ret, status = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "jn:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "vnpu-events: bad count '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (*end || !(timeout > 0)) {
				fprintf(stderr, "vnpu-events: bad timeout '%s'\n", optarg);
				return 2;
			}
			break;
		case 'H':
			watch_hotplug = false;
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
		fprintf(stderr, "vnpu-events: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	ret = accel_events_open(&ev);
	if (ret) {
		fprintf(stderr, "vnpu-events: cannot subscribe: %s\n",
			accel_strerror(ret));
		/* Without the netlink family, hotplug alone is still useful. */
		if (ret != -EPROTONOSUPPORT || !watch_hotplug)
			return 1;
		ev = NULL;
	}
	if (watch_hotplug) {
		ret = accel_monitor_new(hotplug, NULL, &mon);
		if (ret)
			fprintf(stderr, "vnpu-events: no hotplug events: %s\n",
				accel_strerror(ret));
	}
	if (!ev && !mon)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf(json ? "{\"event\": \"ready\"}\n" : "ready\n");
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (timeout > 0)
		deadline = ts.tv_sec + ts.tv_nsec / 1e9 + timeout;
	while (!stop && (count < 0 || seen < count)) {
		struct pollfd p[2] = { { .fd = -1, .events = POLLIN },
				       { .fd = -1, .events = POLLIN } };
		struct accel_event e;
		int n = 2, ms = -1;

		/* poll() ignores a negative descriptor. */
		if (ev)
			accel_events_get_fd(ev, &p[0].fd);
		if (mon)
			accel_monitor_get_fd(mon, &p[1].fd);
		if (timeout > 0) {
			double left;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			left = deadline - (ts.tv_sec + ts.tv_nsec / 1e9);
			if (left <= 0) {
				status = 3;
				break;
			}
			ms = (int)(left * 1000) + 1;
		}
		ret = poll(p, n, ms);
		if (ret < 0 && errno != EINTR) {
			perror("vnpu-events: poll");
			status = 1;
			break;
		}
		if (ret <= 0)
			continue;
		if (mon && (p[1].revents & POLLIN))
			accel_monitor_dispatch(mon, NULL);
		if (ev && (p[0].revents & POLLIN)) {
			/* Drain what arrived. */
			while ((count < 0 || seen < count) &&
			       (ret = accel_events_next(ev, &e, 0)) == 0)
				print_event(&e);
			if (ret == -ENOBUFS) {
				fprintf(stderr, "vnpu-events: events were lost\n");
			} else if (ret && ret != -ETIME) {
				fprintf(stderr, "vnpu-events: %s\n",
					accel_strerror(ret));
				status = 1;
				break;
			}
		}
	}
	accel_monitor_free(mon);
	accel_events_close(ev);
	return status;
}
