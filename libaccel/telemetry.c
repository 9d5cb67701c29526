// SPDX-License-Identifier: MIT
/*
 * libaccel: telemetry through the driver's generic netlink family "vnpu"
 * (uapi/vnpu_genl.h), with libnl-genl: device and context statistics
 * (dumps) and driver events (the "events" multicast group).
 *
 * Copyright (C) 2026 The vnpu authors
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "vnpu_genl.h"
#include "accel_priv.h"

_Static_assert(ACCEL_EVENT_RESET == VNPU_GENL_EVENT_RESET &&
	       ACCEL_EVENT_FAULT == VNPU_GENL_EVENT_FAULT &&
	       ACCEL_EVENT_HANG == VNPU_GENL_EVENT_HANG &&
	       ACCEL_EVENT_UNPLUG == VNPU_GENL_EVENT_UNPLUG, "events");

struct accel_telemetry {
	pthread_mutex_t lock;	/* one request at a time on the socket */
	struct nl_sock *sk;
	int family;
};

/* libnl's error codes to errno. */
static int nl_err(int err)
{
	switch (-err) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_INVAL:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_TRUNC:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_MSG_OVERFLOW:
		return -ENOBUFS;
	case NLE_PROTO_MISMATCH:
	case NLE_AF_NOSUPPORT:
		return -EPROTONOSUPPORT;
	}
	return -EIO;
}

/* A connected generic netlink socket and the id of family "vnpu". */
static int nl_open(struct nl_sock **out, int *family)
{
	struct nl_sock *sk;
	int ret;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	ret = genl_connect(sk);
	if (ret < 0) {
		nl_socket_free(sk);
		return nl_err(ret);
	}
	ret = genl_ctrl_resolve(sk, VNPU_GENL_FAMILY_NAME);
	if (ret < 0) {
		nl_socket_free(sk);
		/* No such family: the driver (or its telemetry) is absent. */
		return ret == -NLE_OBJ_NOTFOUND ? -EPROTONOSUPPORT : nl_err(ret);
	}
	*family = ret;
	*out = sk;
	return 0;
}

ACCEL_EXPORT int accel_telemetry_open(struct accel_telemetry **out)
{
	struct accel_telemetry *t;
	int ret;

	if (!out)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (pthread_mutex_init(&t->lock, NULL)) {
		free(t);
		return -ENOMEM;
	}
	ret = nl_open(&t->sk, &t->family);
	if (ret) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

ACCEL_EXPORT void accel_telemetry_close(struct accel_telemetry *t)
{
	if (!t)
		return;
	nl_socket_free(t->sk);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static uint64_t u64(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u64(tb[a]) : 0;
}

static uint32_t u32(struct nlattr **tb, int a)
{
	return tb[a] ? nla_get_u32(tb[a]) : 0;
}

static void str(struct nlattr **tb, int a, char *dst, size_t n)
{
	dst[0] = 0;
	if (tb[a])
		nla_strlcpy(dst, tb[a], n);
}

static struct nla_policy queue_policy[VNPU_GENL_QUEUE_A_MAX + 1] = {
	[VNPU_GENL_QUEUE_A_INDEX] = { .type = NLA_U32 },
	[VNPU_GENL_QUEUE_A_NAME] = { .type = NLA_STRING },
	[VNPU_GENL_QUEUE_A_BUSY_NS] = { .type = NLA_U64 },
	[VNPU_GENL_QUEUE_A_JOBS_COMPLETED] = { .type = NLA_U64 },
	[VNPU_GENL_QUEUE_A_JOBS_FAILED] = { .type = NLA_U64 },
	[VNPU_GENL_QUEUE_A_ACTIVE] = { .type = NLA_U32 },
};

/* The nested per-queue attributes of type @type in @attrs. */
static unsigned int parse_queues(struct nlmsghdr *nlh, int type,
				 struct accel_queue_stats *q, unsigned int max)
{
	struct nlattr *a;
	unsigned int n = 0;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		struct nlattr *tb[VNPU_GENL_QUEUE_A_MAX + 1];

		if (nla_type(a) != type || n >= max)
			continue;
		if (nla_parse_nested(tb, VNPU_GENL_QUEUE_A_MAX, a, queue_policy))
			continue;
		memset(&q[n], 0, sizeof(q[n]));
		q[n].index = u32(tb, VNPU_GENL_QUEUE_A_INDEX);
		str(tb, VNPU_GENL_QUEUE_A_NAME, q[n].name, sizeof(q[n].name));
		q[n].busy_ns = u64(tb, VNPU_GENL_QUEUE_A_BUSY_NS);
		q[n].jobs_completed = u64(tb, VNPU_GENL_QUEUE_A_JOBS_COMPLETED);
		q[n].jobs_failed = u64(tb, VNPU_GENL_QUEUE_A_JOBS_FAILED);
		q[n].active = u32(tb, VNPU_GENL_QUEUE_A_ACTIVE);
		n++;
	}
	return n;
}

/* Where a dump's replies go. */
struct dump {
	int cmd;
	void *out;
	unsigned int max, count;
};

static int dump_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[VNPU_GENL_A_MAX + 1];
	struct dump *d = arg;
	struct genlmsghdr *g = nlmsg_data(nlh);

	if (g->cmd != d->cmd)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, VNPU_GENL_A_MAX, NULL))
		return NL_SKIP;
	if (d->count < d->max && d->cmd == VNPU_GENL_CMD_DEV_GET) {
		struct accel_device_stats *s =
			&((struct accel_device_stats *)d->out)[d->count];

		memset(s, 0, sizeof(*s));
		s->dev_index = u32(tb, VNPU_GENL_A_DEV_INDEX);
		str(tb, VNPU_GENL_A_DEV_PCI_ADDR, s->pci_address,
		    sizeof(s->pci_address));
		s->num_queues = u32(tb, VNPU_GENL_A_DEV_NUM_QUEUES);
		s->num_engines = u32(tb, VNPU_GENL_A_DEV_NUM_ENGINES);
		s->busy_ns = u64(tb, VNPU_GENL_A_DEV_BUSY_NS);
		s->jobs_submitted = u64(tb, VNPU_GENL_A_DEV_JOBS_SUBMITTED);
		s->jobs_completed = u64(tb, VNPU_GENL_A_DEV_JOBS_COMPLETED);
		s->jobs_failed = u64(tb, VNPU_GENL_A_DEV_JOBS_FAILED);
		s->hw_jobs = u64(tb, VNPU_GENL_A_DEV_HW_JOBS);
		s->bytes = u64(tb, VNPU_GENL_A_DEV_BYTES);
		s->macs = u64(tb, VNPU_GENL_A_DEV_MACS);
		s->energy_pj = u64(tb, VNPU_GENL_A_DEV_ENERGY_PJ);
		s->resets = u64(tb, VNPU_GENL_A_DEV_RESETS);
		s->hangs = u64(tb, VNPU_GENL_A_DEV_HANGS);
		s->faults = u64(tb, VNPU_GENL_A_DEV_FAULTS);
		s->mem_used = u64(tb, VNPU_GENL_A_DEV_MEM_USED);
		s->contexts = u32(tb, VNPU_GENL_A_DEV_CONTEXTS);
		s->dead = tb[VNPU_GENL_A_DEV_DEAD] != NULL;
		s->nqueues = parse_queues(nlh, VNPU_GENL_A_DEV_QUEUE, s->queues,
					  ACCEL_STATS_MAX_QUEUES);
	} else if (d->count < d->max) {
		struct accel_context_stats *s =
			&((struct accel_context_stats *)d->out)[d->count];

		memset(s, 0, sizeof(*s));
		s->dev_index = u32(tb, VNPU_GENL_A_DEV_INDEX);
		s->ctx_id = u32(tb, VNPU_GENL_A_CTX_ID);
		s->pid = u32(tb, VNPU_GENL_A_CTX_PID);
		str(tb, VNPU_GENL_A_CTX_COMM, s->comm, sizeof(s->comm));
		s->client_id = u64(tb, VNPU_GENL_A_CTX_CLIENT_ID);
		s->jobs_submitted = u64(tb, VNPU_GENL_A_CTX_JOBS_SUBMITTED);
		s->jobs_completed = u64(tb, VNPU_GENL_A_CTX_JOBS_COMPLETED);
		s->jobs_failed = u64(tb, VNPU_GENL_A_CTX_JOBS_FAILED);
		s->busy_ns = u64(tb, VNPU_GENL_A_CTX_BUSY_NS);
		s->mem = u64(tb, VNPU_GENL_A_CTX_MEM);
		s->faults = u64(tb, VNPU_GENL_A_CTX_FAULTS);
		s->nqueues = parse_queues(nlh, VNPU_GENL_A_CTX_QUEUE, s->queues,
					  ACCEL_STATS_MAX_QUEUES);
	}
	d->count++;
	return NL_OK;
}

/* Run one dump of @cmd with optional device and pid filters. */
static int dump(struct accel_telemetry *t, int cmd, int dev_index, int pid,
		void *out, unsigned int max, unsigned int *count)
{
	struct dump d = { .cmd = cmd, .out = out, .max = max };
	struct nl_msg *msg;
	int ret, tries = 0;

again:
	d.count = 0;
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, t->family, 0,
			 NLM_F_DUMP, cmd, VNPU_GENL_VERSION) ||
	    (dev_index >= 0 &&
	     nla_put_u32(msg, VNPU_GENL_A_DEV_INDEX, (uint32_t)dev_index)) ||
	    (pid > 0 && nla_put_u32(msg, VNPU_GENL_A_CTX_PID, (uint32_t)pid))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	pthread_mutex_lock(&t->lock);
	ret = nl_socket_modify_cb(t->sk, NL_CB_VALID, NL_CB_CUSTOM, dump_cb, &d);
	if (ret >= 0)
		ret = nl_send_auto(t->sk, msg);
	if (ret >= 0)
		ret = nl_recvmsgs_default(t->sk);
	pthread_mutex_unlock(&t->lock);
	nlmsg_free(msg);
	/*
	 * A device or file came or went during the dump (NLM_F_DUMP_INTR):
	 * the driver asks for it to be repeated for a consistent view.
	 */
	if (ret == -NLE_DUMP_INTR && ++tries < 8)
		goto again;
	if (ret < 0)
		return ret == -NLE_DUMP_INTR ? -EAGAIN : nl_err(ret);
	*count = d.count;
	return 0;
}

ACCEL_EXPORT int accel_telemetry_get_devices(struct accel_telemetry *t,
					     int dev_index,
					     struct accel_device_stats *stats,
					     unsigned int max,
					     unsigned int *count)
{
	if (!t || !count || (max && !stats))
		return -EINVAL;
	return dump(t, VNPU_GENL_CMD_DEV_GET, dev_index, 0, stats, max, count);
}

ACCEL_EXPORT int accel_telemetry_get_contexts(struct accel_telemetry *t,
					      int dev_index, int pid,
					      struct accel_context_stats *stats,
					      unsigned int max,
					      unsigned int *count)
{
	if (!t || !count || (max && !stats))
		return -EINVAL;
	return dump(t, VNPU_GENL_CMD_CTX_GET, dev_index, pid, stats, max,
		    count);
}

ACCEL_EXPORT int accel_device_get_index(const struct accel_device *dev,
					unsigned int *index)
{
	const char *p;
	char *end;
	unsigned long n;

	if (!dev || !index)
		return -EINVAL;
	/* /dev/accel/accelN: N is the minor, which the driver reports. */
	p = strrchr(dev->devnode, '/');
	p = p ? p + 1 : dev->devnode;
	if (strncmp(p, "accel", 5))
		return -ENOENT;
	n = strtoul(p + 5, &end, 10);
	if (end == p + 5 || *end || n > 0xffff)
		return -ENOENT;
	*index = (unsigned int)n;
	return 0;
}

ACCEL_EXPORT int accel_device_get_stats(struct accel_device *dev,
					struct accel_device_stats *stats)
{
	struct accel_telemetry *t;
	unsigned int idx, n = 0;
	int ret;

	if (!dev || !stats)
		return -EINVAL;
	ret = accel_device_get_index(dev, &idx);
	if (ret)
		return ret;
	ret = accel_telemetry_open(&t);
	if (ret)
		return ret;
	ret = accel_telemetry_get_devices(t, (int)idx, stats, 1, &n);
	accel_telemetry_close(t);
	if (!ret && n == 0)
		ret = -ENODEV;
	return ret;
}

ACCEL_EXPORT int accel_device_get_context_stats(struct accel_device *dev,
						struct accel_context_stats *stats)
{
	struct accel_context_stats *all = NULL;
	struct accel_telemetry *t;
	unsigned int idx, n = 0, i, max = 64;
	uint64_t ctx;
	int ret;

	if (!dev || !stats)
		return -EINVAL;
	ret = accel_device_get_index(dev, &idx);
	if (!ret)
		ret = accel_device_query(dev, ACCEL_PARAM_CONTEXT_ID, &ctx);
	if (ret)
		return ret;
	ret = accel_telemetry_open(&t);
	if (ret)
		return ret;
	/* Contexts of this process on this device; pick ours by id. */
	for (;;) {
		free(all);
		all = calloc(max, sizeof(*all));
		if (!all) {
			ret = -ENOMEM;
			break;
		}
		ret = accel_telemetry_get_contexts(t, (int)idx, getpid(), all,
						   max, &n);
		if (ret || n <= max)
			break;
		max = n + 16;
	}
	accel_telemetry_close(t);
	if (!ret) {
		ret = -ENOENT;
		for (i = 0; i < n; i++) {
			if (all[i].ctx_id == ctx) {
				*stats = all[i];
				ret = 0;
				break;
			}
		}
	}
	free(all);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

#define EVQ_MAX		64

struct accel_events {
	struct nl_sock *sk;
	int family;
	struct accel_event q[EVQ_MAX];	/* parsed, not yet returned */
	unsigned int head, n;
	bool overrun;
};

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[VNPU_GENL_A_MAX + 1];
	struct accel_events *ev = arg;
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct accel_event *e;

	if (g->cmd != VNPU_GENL_CMD_EVENT ||
	    genlmsg_parse(nlh, 0, tb, VNPU_GENL_A_MAX, NULL) ||
	    !tb[VNPU_GENL_A_EVENT_TYPE])
		return NL_SKIP;
	if (ev->n == EVQ_MAX) {
		ev->overrun = true;
		return NL_SKIP;
	}
	e = &ev->q[(ev->head + ev->n++) % EVQ_MAX];
	memset(e, 0, sizeof(*e));
	e->type = u32(tb, VNPU_GENL_A_EVENT_TYPE);
	e->dev_index = u32(tb, VNPU_GENL_A_DEV_INDEX);
	str(tb, VNPU_GENL_A_DEV_PCI_ADDR, e->pci_address,
	    sizeof(e->pci_address));
	e->time_ns = u64(tb, VNPU_GENL_A_EVENT_TIME_NS);
	e->ctx_id = u32(tb, VNPU_GENL_A_CTX_ID);
	e->pid = u32(tb, VNPU_GENL_A_CTX_PID);
	e->queue = u32(tb, VNPU_GENL_A_EVENT_QUEUE);
	e->error = (int32_t)u32(tb, VNPU_GENL_A_EVENT_ERROR);
	e->job_id = u64(tb, VNPU_GENL_A_EVENT_JOB_ID);
	e->fault_va = u64(tb, VNPU_GENL_A_FAULT_VA);
	e->fault_access = u32(tb, VNPU_GENL_A_FAULT_ACCESS);
	e->resets = u64(tb, VNPU_GENL_A_DEV_RESETS);
	if (tb[VNPU_GENL_A_CTX_ID])
		e->valid |= ACCEL_EVENT_HAS_CTX;
	if (tb[VNPU_GENL_A_CTX_PID])
		e->valid |= ACCEL_EVENT_HAS_PID;
	if (tb[VNPU_GENL_A_EVENT_QUEUE])
		e->valid |= ACCEL_EVENT_HAS_QUEUE;
	if (tb[VNPU_GENL_A_EVENT_JOB_ID])
		e->valid |= ACCEL_EVENT_HAS_JOB;
	if (tb[VNPU_GENL_A_FAULT_VA])
		e->valid |= ACCEL_EVENT_HAS_FAULT;
	return NL_OK;
}

ACCEL_EXPORT int accel_events_open(struct accel_events **out)
{
	struct accel_events *ev;
	int grp, ret;

	if (!out)
		return -EINVAL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ret = nl_open(&ev->sk, &ev->family);
	if (ret) {
		free(ev);
		return ret;
	}
	grp = genl_ctrl_resolve_grp(ev->sk, VNPU_GENL_FAMILY_NAME,
				    VNPU_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		ret = grp == -NLE_OBJ_NOTFOUND ? -EPROTONOSUPPORT : nl_err(grp);
		goto err;
	}
	/* Events are not answers to requests: no sequence checks. */
	nl_socket_disable_seq_check(ev->sk);
	ret = nl_err(nl_socket_add_membership(ev->sk, grp));
	if (!ret)
		ret = nl_err(nl_socket_modify_cb(ev->sk, NL_CB_VALID,
						 NL_CB_CUSTOM, event_cb, ev));
	if (!ret)
		ret = nl_err(nl_socket_set_nonblocking(ev->sk));
	if (ret)
		goto err;
	*out = ev;
	return 0;
err:
	nl_socket_free(ev->sk);
	free(ev);
	return ret;
}

ACCEL_EXPORT void accel_events_close(struct accel_events *ev)
{
	if (!ev)
		return;
	nl_socket_free(ev->sk);
	free(ev);
}

ACCEL_EXPORT int accel_events_get_fd(const struct accel_events *ev, int *fd)
{
	if (!ev || !fd)
		return -EINVAL;
	*fd = nl_socket_get_fd(ev->sk);
	return 0;
}

ACCEL_EXPORT int accel_events_next(struct accel_events *ev,
				   struct accel_event *event,
				   int64_t timeout_ns)
{
	int64_t deadline;
	int ret;

	if (!ev || !event)
		return -EINVAL;
	deadline = accel_deadline(timeout_ns);
	while (!ev->n) {
		struct pollfd p = { .fd = nl_socket_get_fd(ev->sk),
				    .events = POLLIN };
		struct timespec ts;
		int64_t left;
		int ms;

		if (ev->overrun) {
			ev->overrun = false;
			return -ENOBUFS;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		left = deadline - ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
		if (deadline == INT64_MAX)
			ms = -1;
		else if (left <= 0)
			ms = 0;
		else
			ms = left / 1000000 > 3600000 ? 3600000 :
			     (int)((left + 999999) / 1000000);
		ret = poll(&p, 1, ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0) {
			if (ms >= 0 && left <= 1000000)
				return -ETIME;
			continue;
		}
		ret = nl_recvmsgs_default(ev->sk);
		if (ret < 0 && ret != -NLE_AGAIN) {
			ret = nl_err(ret);
			if (ret == -ENOBUFS)
				return ret;	/* the kernel dropped events */
			if (ret != -EINTR)
				return ret;
		}
	}
	*event = ev->q[ev->head];
	ev->head = (ev->head + 1) % EVQ_MAX;
	ev->n--;
	return 0;
}

ACCEL_EXPORT int accel_event_get_name(uint32_t type, const char **name)
{
	static const char *const names[] = {
		[ACCEL_EVENT_RESET] = "reset",
		[ACCEL_EVENT_FAULT] = "fault",
		[ACCEL_EVENT_HANG] = "hang",
		[ACCEL_EVENT_UNPLUG] = "unplug",
	};

	if (!name)
		return -EINVAL;
	if (type == 0 || type >= sizeof(names) / sizeof(names[0]))
		return -ERANGE;
	*name = names[type];
	return 0;
}
