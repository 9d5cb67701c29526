// SPDX-License-Identifier: MIT
/*
 * vnpu-top: live view of vnpu devices and the processes using them.
 *
 * Device figures (per-queue utilisation, jobs/s, memory, modelled power,
 * resets, faults) come from the driver's netlink statistics through
 * libaccel; per-process figures from /proc/PID/fdinfo (the DRM usage
 * statistics every open accel file reports). Rates are computed between
 * two samples.
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "accel.h"
#include "tool_util.h"

#define MAX_DEVS	16
#define MAX_CLIENTS	256
#define MAX_Q		ACCEL_STATS_MAX_QUEUES

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vnpu-top [-b] [-n COUNT] [-d SECONDS] [-p PID] [--json]\n"
		"Show the utilisation of vnpu devices per engine (hardware queue)\n"
		"and per process: busy %%, jobs/s, memory and modelled power.\n"
		"\n"
		"  -b, --batch          print plain reports one after the other\n"
		"                       instead of refreshing the terminal\n"
		"  -n, --iterations N   stop after N reports (default: forever;\n"
		"                       with --json or -b and no -n: 1)\n"
		"  -d, --delay SECONDS  time between reports (default 1.0)\n"
		"  -p, --pid PID        show only this process\n"
		"  -j, --json           one JSON object per report (implies -b)\n"
		"  -h, --help           show this help\n"
		"\n"
		"On a terminal the view refreshes in place; press q to quit.\n"
		"Device statistics need the driver's \"vnpu\" netlink family;\n"
		"without it only the per-process view (fdinfo) is shown.\n"
		"Exit status: 0, 1 on error, 2 on a usage error.\n");
}

struct client {
	int pid;
	char comm[32];
	char pdev[32];
	uint64_t id;			/* drm-client-id */
	uint64_t engine_ns[MAX_Q];
	unsigned int nq;
	uint64_t mem;			/* bytes (drm-total-memory) */
	uint64_t completed;		/* vnpu-jobs-completed */
	/* From the netlink context statistics, matched by client id. */
	bool have_ctx;
	uint32_t ctx_id;
	uint64_t failed, faults;
};

struct sample {
	double t;			/* seconds, CLOCK_MONOTONIC */
	bool have_dev;
	struct accel_device_stats dev[MAX_DEVS];
	unsigned int ndev;
	struct client cl[MAX_CLIENTS];
	unsigned int ncl;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "123 KiB" and friends to bytes. */
static uint64_t parse_mem(const char *v)
{
	char unit[8] = "";
	uint64_t n = 0;

	if (sscanf(v, "%" SCNu64 " %7s", &n, unit) < 1)
		return 0;
	if (!strcmp(unit, "KiB"))
		n <<= 10;
	else if (!strcmp(unit, "MiB"))
		n <<= 20;
	else if (!strcmp(unit, "GiB"))
		n <<= 30;
	return n;
}

/* Parse one fdinfo file; returns true for a vnpu file. */
static bool read_fdinfo(const char *path, struct client *c)
{
	char line[256];
	bool vnpu = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');
		unsigned int q;

		if (!v)
			continue;
		*v++ = 0;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = 0;
		if (!strcmp(line, "drm-driver"))
			vnpu = !strcmp(v, "vnpu");
		else if (!strcmp(line, "drm-client-id"))
			c->id = strtoull(v, NULL, 10);
		else if (!strcmp(line, "drm-pdev"))
			snprintf(c->pdev, sizeof(c->pdev), "%s", v);
		else if (sscanf(line, "drm-engine-q%u", &q) == 1 && q < MAX_Q) {
			c->engine_ns[q] = strtoull(v, NULL, 10);
			if (q + 1 > c->nq)
				c->nq = q + 1;
		} else if (!strcmp(line, "drm-total-memory") ||
			   !strcmp(line, "drm-total-system")) {
			c->mem += parse_mem(v);
		} else if (!strcmp(line, "vnpu-jobs-completed")) {
			c->completed = strtoull(v, NULL, 10);
		}
	}
	fclose(f);
	return vnpu;
}

/* Every open vnpu file of every process (one entry per drm-client-id). */
static void scan_clients(struct sample *s, int only_pid)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;

	s->ncl = 0;
	if (!proc)
		return;
	while ((p = readdir(proc)) && s->ncl < MAX_CLIENTS) {
		char path[300], comm[32] = "?";
		struct dirent *fd;
		DIR *fds;
		FILE *f;
		int pid;

		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		pid = atoi(p->d_name);
		if (only_pid && pid != only_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/fdinfo", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fd = readdir(fds)) && s->ncl < MAX_CLIENTS) {
			struct client c;
			unsigned int i;

			if (fd->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid,
				 fd->d_name);
			if (!read_fdinfo(path, &c))
				continue;
			/* The same file through two descriptors: once. */
			for (i = 0; i < s->ncl; i++)
				if (s->cl[i].id == c.id)
					break;
			if (i < s->ncl)
				continue;
			c.pid = pid;
			snprintf(c.comm, sizeof(c.comm), "%s", comm);
			s->cl[s->ncl++] = c;
		}
		closedir(fds);
	}
	closedir(proc);
}

/* Add the driver's per-context figures to the fdinfo clients. */
static void merge_contexts(struct accel_telemetry *tel, struct sample *s,
			   int only_pid)
{
	static struct accel_context_stats ctx[MAX_CLIENTS];
	unsigned int n = 0, i, j;

	if (!tel || accel_telemetry_get_contexts(tel, -1, only_pid, ctx,
						 MAX_CLIENTS, &n))
		return;
	if (n > MAX_CLIENTS)
		n = MAX_CLIENTS;
	for (i = 0; i < s->ncl; i++)
		for (j = 0; j < n; j++)
			if (ctx[j].client_id == s->cl[i].id) {
				s->cl[i].have_ctx = true;
				s->cl[i].ctx_id = ctx[j].ctx_id;
				s->cl[i].failed = ctx[j].jobs_failed;
				s->cl[i].faults = ctx[j].faults;
			}
}

static void take_sample(struct accel_telemetry *tel, struct sample *s,
			int only_pid)
{
	unsigned int n = 0;

	s->t = now_s();
	s->have_dev = false;
	s->ndev = 0;
	if (tel && !accel_telemetry_get_devices(tel, -1, s->dev, MAX_DEVS, &n)) {
		s->have_dev = true;
		s->ndev = n < MAX_DEVS ? n : MAX_DEVS;
	}
	scan_clients(s, only_pid);
	merge_contexts(tel, s, only_pid);
}

static const struct accel_device_stats *find_dev(const struct sample *s,
						 uint32_t index)
{
	unsigned int i;

	for (i = 0; i < s->ndev; i++)
		if (s->dev[i].dev_index == index)
			return &s->dev[i];
	return NULL;
}

static const struct client *find_client(const struct sample *s, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < s->ncl; i++)
		if (s->cl[i].id == id)
			return &s->cl[i];
	return NULL;
}

static double pct(uint64_t now, uint64_t then, double dt)
{
	double p;

	if (now < then || dt <= 0)
		return 0;
	p = (double)(now - then) / (dt * 1e9) * 100;
	return p > 100 ? 100 : p;
}

static double rate(uint64_t now, uint64_t then, double dt)
{
	return now < then || dt <= 0 ? 0 : (double)(now - then) / dt;
}

static void human(uint64_t b, char *buf, size_t n)
{
	if (b >= 1ull << 30)
		snprintf(buf, n, "%.1fG", b / 1073741824.0);
	else if (b >= 1ull << 20)
		snprintf(buf, n, "%.1fM", b / 1048576.0);
	else if (b >= 1ull << 10)
		snprintf(buf, n, "%.1fK", b / 1024.0);
	else
		snprintf(buf, n, "%" PRIu64 "B", b);
}

static void print_text(const struct sample *a, const struct sample *b,
		       bool tty)
{
	double dt = b->t - a->t;
	unsigned int i, q;
	char mem[16];

	if (tty)
		printf("\033[H\033[2J");
	printf("vnpu-top  interval %.2f s  devices %u  clients %u\n", dt,
	       b->ndev, b->ncl);
	if (!b->have_dev)
		printf("(no device statistics: the vnpu netlink family is not available)\n");
	else
		printf("\n%-4s %-13s %5s %-32s %8s %8s %9s %6s %6s\n", "DEV",
		       "PCI", "BUSY", "ENGINES (busy % per queue)", "JOBS/S",
		       "MEM", "POWER", "RESETS", "FAULTS");
	for (i = 0; i < b->ndev; i++) {
		const struct accel_device_stats *d = &b->dev[i];
		const struct accel_device_stats *o = find_dev(a, d->dev_index);
		char eng[64] = "";
		size_t len = 0;
		double busy, power;

		if (!o)
			o = d;
		for (q = 0; q < d->nqueues && len < sizeof(eng) - 8; q++)
			len += snprintf(eng + len, sizeof(eng) - len, "%s%3.0f",
					q ? " " : "",
					pct(d->queues[q].busy_ns,
					    o->queues[q].busy_ns, dt));
		busy = pct(d->busy_ns, o->busy_ns, dt) /
		       (d->num_engines ? d->num_engines : 1);
		power = d->energy_pj >= o->energy_pj && dt > 0 ?
			(d->energy_pj - o->energy_pj) / (dt * 1e9) : 0; /* mW */
		human(d->mem_used, mem, sizeof(mem));
		printf("%-4u %-13s %4.0f%% %-32s %8.1f %8s %7.1fmW %6" PRIu64
		       " %6" PRIu64 "%s\n", d->dev_index, d->pci_address, busy,
		       eng, rate(d->jobs_completed, o->jobs_completed, dt),
		       mem, power, d->resets, d->faults, d->dead ? " DEAD" : "");
	}
	printf("\n%-7s %-16s %-13s %5s %-32s %8s %8s %6s %6s\n", "PID",
	       "COMMAND", "PCI", "BUSY", "ENGINES (busy % per queue)", "JOBS/S",
	       "MEM", "FAILED", "FAULTS");
	for (i = 0; i < b->ncl; i++) {
		const struct client *c = &b->cl[i], *o = find_client(a, c->id);
		uint64_t tot = 0, otot = 0;
		char eng[64] = "";
		size_t len = 0;

		if (!o)
			o = c;
		for (q = 0; q < c->nq && len < sizeof(eng) - 8; q++) {
			len += snprintf(eng + len, sizeof(eng) - len, "%s%3.0f",
					q ? " " : "",
					pct(c->engine_ns[q], o->engine_ns[q], dt));
			tot += c->engine_ns[q];
			otot += o->engine_ns[q];
		}
		human(c->mem, mem, sizeof(mem));
		printf("%-7d %-16s %-13s %4.0f%% %-32s %8.1f %8s", c->pid,
		       c->comm, c->pdev, pct(tot, otot, dt) / (c->nq ? c->nq : 1),
		       eng, rate(c->completed, o->completed, dt), mem);
		if (c->have_ctx)
			printf(" %6" PRIu64 " %6" PRIu64 "\n", c->failed, c->faults);
		else
			printf(" %6s %6s\n", "-", "-");
	}
	fflush(stdout);
}

static void print_json(const struct sample *a, const struct sample *b)
{
	double dt = b->t - a->t;
	unsigned int i, q;

	printf("{\"interval_s\": %.3f, \"netlink\": %s, \"devices\": [", dt,
	       b->have_dev ? "true" : "false");
	for (i = 0; i < b->ndev; i++) {
		const struct accel_device_stats *d = &b->dev[i];
		const struct accel_device_stats *o = find_dev(a, d->dev_index);

		if (!o)
			o = d;
		printf("%s{\"index\": %u, \"pci_address\": ", i ? ", " : "",
		       d->dev_index);
		json_str(d->pci_address);
		printf(", \"busy_pct\": %.2f, \"jobs_per_s\": %.2f, "
		       "\"jobs_completed\": %" PRIu64 ", \"jobs_failed\": %" PRIu64
		       ", \"mem_used\": %" PRIu64 ", \"power_mw\": %.3f, "
		       "\"energy_pj\": %" PRIu64 ", \"resets\": %" PRIu64
		       ", \"hangs\": %" PRIu64 ", \"faults\": %" PRIu64
		       ", \"contexts\": %u, \"dead\": %s, \"engines\": [",
		       pct(d->busy_ns, o->busy_ns, dt) /
		       (d->num_engines ? d->num_engines : 1),
		       rate(d->jobs_completed, o->jobs_completed, dt),
		       d->jobs_completed, d->jobs_failed, d->mem_used,
		       d->energy_pj >= o->energy_pj && dt > 0 ?
		       (d->energy_pj - o->energy_pj) / (dt * 1e9) : 0.0,
		       d->energy_pj, d->resets, d->hangs, d->faults,
		       d->contexts, d->dead ? "true" : "false");
		for (q = 0; q < d->nqueues; q++) {
			printf("%s{\"name\": ", q ? ", " : "");
			json_str(d->queues[q].name);
			printf(", \"busy_pct\": %.2f, \"active\": %u}",
			       pct(d->queues[q].busy_ns, o->queues[q].busy_ns, dt),
			       d->queues[q].active);
		}
		printf("]}");
	}
	printf("], \"processes\": [");
	for (i = 0; i < b->ncl; i++) {
		const struct client *c = &b->cl[i], *o = find_client(a, c->id);

		if (!o)
			o = c;
		printf("%s{\"pid\": %d, \"comm\": ", i ? ", " : "", c->pid);
		json_str(c->comm);
		printf(", \"pci_address\": ");
		json_str(c->pdev);
		printf(", \"client_id\": %" PRIu64 ", \"mem\": %" PRIu64
		       ", \"jobs_per_s\": %.2f, \"jobs_completed\": %" PRIu64
		       ", ", c->id, c->mem,
		       rate(c->completed, o->completed, dt), c->completed);
		if (c->have_ctx)
			printf("\"ctx_id\": %u, \"jobs_failed\": %" PRIu64
			       ", \"faults\": %" PRIu64 ", ", c->ctx_id,
			       c->failed, c->faults);
		printf("\"engines\": [");
		for (q = 0; q < c->nq; q++)
			printf("%s{\"name\": \"q%u\", \"busy_pct\": %.2f, "
			       "\"busy_ns\": %" PRIu64 "}", q ? ", " : "", q,
			       pct(c->engine_ns[q], o->engine_ns[q], dt),
			       c->engine_ns[q]);
		printf("]}");
	}
	printf("]}\n");
	fflush(stdout);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct sample s[2];
	struct accel_telemetry *tel = NULL;
	bool batch = false, json = false, tty, keys = false;
	struct termios saved_tio;
	long count = -1, done = 0;
	double delay = 1.0;
	int c, pid = 0, cur = 0, ret;
	char *end;

	while ((c = getopt_long(argc, argv, "bn:d:p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			batch = true;
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "vnpu-top: bad count '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			delay = strtod(optarg, &end);
			if (*end || !(delay > 0) || delay > 3600) {
				fprintf(stderr, "vnpu-top: bad delay '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p':
			pid = (int)strtol(optarg, &end, 10);
			if (*end || pid <= 0) {
				fprintf(stderr, "vnpu-top: bad pid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j':
			json = batch = true;
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
		fprintf(stderr, "vnpu-top: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	tty = !batch && isatty(STDOUT_FILENO);
	if (!tty && count < 0)
		count = 1;	/* a pipe gets one report unless told otherwise */

	ret = accel_telemetry_open(&tel);
	if (ret && ret != -EPROTONOSUPPORT) {
		fprintf(stderr, "vnpu-top: telemetry: %s\n", accel_strerror(ret));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* Interactive: read single keys ('q' quits) without echo. */
	if (tty && isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		struct termios raw = saved_tio;

		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		keys = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	take_sample(tel, &s[cur], pid);
	while (!stop && (count < 0 || done < count)) {
		struct timespec ts = { .tv_sec = (time_t)delay,
				       .tv_nsec = (long)((delay - (time_t)delay) * 1e9) };

		if (keys) {
			struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
			double until = now_s() + delay;
			char ch;

			while (!stop && now_s() < until) {
				if (poll(&p, 1, (int)((until - now_s()) * 1000) + 1) > 0 &&
				    read(STDIN_FILENO, &ch, 1) == 1 &&
				    (ch == 'q' || ch == 'Q'))
					stop = 1;
			}
		} else {
			while (nanosleep(&ts, &ts) && !stop)
				;
		}
		if (stop)
			break;
		take_sample(tel, &s[!cur], pid);
		if (json)
			print_json(&s[cur], &s[!cur]);
		else
			print_text(&s[cur], &s[!cur], tty);
		cur = !cur;
		done++;
		if (!tty && !json && (count < 0 || done < count))
			printf("\n");
	}
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	accel_telemetry_close(tel);
	return 0;
}
