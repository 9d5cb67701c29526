// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * The "vnpu" generic netlink family (uapi/vnpu_genl.h): statistics of the
 * devices and of their open contexts, and the "events" multicast group.
 */

#include <linux/ktime.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <net/genetlink.h>

#include "vnpu_drv.h"
#include "vnpu_genl.h"
#include "vnpu_genl_priv.h"
#include "vnpu_telemetry.h"

/* events are small: a header and at most ten attributes */
#define VNPU_GENL_EVENT_SIZE	512

enum vnpu_genl_mcgrp {
	VNPU_GENL_MCGRP_EVENTS_ID,
};

static const struct genl_multicast_group vnpu_genl_mcgrps[] = {
	[VNPU_GENL_MCGRP_EVENTS_ID] = { .name = VNPU_GENL_MCGRP_EVENTS },
};

static const struct nla_policy
vnpu_genl_dev_policy[VNPU_GENL_A_DEV_INDEX + 1] = {
	[VNPU_GENL_A_DEV_INDEX] = { .type = NLA_U32 },
};

/* context ids are 16-bit (VNPU_FAULT_CTX_MASK) and 0 is never used */
static const struct netlink_range_validation vnpu_genl_ctx_id_range = {
	.min = 1,
	.max = U16_MAX,
};

static const struct nla_policy
vnpu_genl_ctx_policy[VNPU_GENL_A_CTX_PID + 1] = {
	[VNPU_GENL_A_DEV_INDEX] = { .type = NLA_U32 },
	[VNPU_GENL_A_CTX_ID] = NLA_POLICY_FULL_RANGE(NLA_U32,
						     &vnpu_genl_ctx_id_range),
	[VNPU_GENL_A_CTX_PID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static struct genl_family vnpu_genl_family;

/* the registered device with accel index @index (devices lock held) */
static struct vnpu_telemetry *vnpu_genl_find_dev(u32 index)
{
	struct vnpu_telemetry *tel;

	lockdep_assert_held(&vnpu_tel_devices_lock);

	list_for_each_entry(tel, &vnpu_tel_devices, link)
		if (tel->index == index)
			return tel;
	return NULL;
}

static int vnpu_genl_put_queue(struct sk_buff *skb, int type, u32 index,
			       struct vnpu_tel_queue_stats *st, int active)
{
	struct nlattr *nest;
	char name[8];

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;

	snprintf(name, sizeof(name), "q%u", index);
	if (nla_put_u32(skb, VNPU_GENL_QUEUE_A_INDEX, index) ||
	    nla_put_string(skb, VNPU_GENL_QUEUE_A_NAME, name) ||
	    nla_put_u64_64bit(skb, VNPU_GENL_QUEUE_A_BUSY_NS,
			      atomic64_read(&st->busy_ns),
			      VNPU_GENL_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, VNPU_GENL_QUEUE_A_JOBS_COMPLETED,
			      atomic64_read(&st->completed),
			      VNPU_GENL_QUEUE_A_PAD) ||
	    nla_put_u64_64bit(skb, VNPU_GENL_QUEUE_A_JOBS_FAILED,
			      atomic64_read(&st->failed),
			      VNPU_GENL_QUEUE_A_PAD) ||
	    (active >= 0 &&
	     nla_put_u32(skb, VNPU_GENL_QUEUE_A_ACTIVE, active))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vnpu_genl_put_u64(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_u64_64bit(skb, type, value, VNPU_GENL_A_PAD);
}

static int vnpu_genl_put_dev_id(struct sk_buff *skb, struct vnpu_telemetry *tel)
{
	if (nla_put_u32(skb, VNPU_GENL_A_DEV_INDEX, tel->index) ||
	    nla_put_string(skb, VNPU_GENL_A_DEV_PCI_ADDR, tel->pci_addr))
		return -EMSGSIZE;
	return 0;
}

/* One DEV_GET reply. Called with the devices lock held. */
static int vnpu_genl_fill_dev(struct sk_buff *skb, struct vnpu_telemetry *tel,
			      u32 portid, u32 seq, int flags,
			      struct netlink_callback *cb)
{
	struct vnpu_device *vdev = tel->vdev;
	struct vnpu_tel_client *client;
	struct vnpu_tel_hw hw;
	u32 i, nr_clients;
	u64 mem = 0;
	void *hdr;
	int active;

	hdr = genlmsg_put(skb, portid, seq, &vnpu_genl_family, flags,
			  VNPU_GENL_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	/* a device that cannot be read reports the values read last */
	vnpu_telemetry_read_hw(vdev, &hw);

	mutex_lock(&tel->lock);
	nr_clients = tel->nr_clients;
	list_for_each_entry(client, &tel->clients, link)
		mem += vnpu_telemetry_client_mem(client);
	mutex_unlock(&tel->lock);

	if (vnpu_genl_put_dev_id(skb, tel) ||
	    nla_put_u32(skb, VNPU_GENL_A_DEV_NUM_QUEUES, vdev->num_queues) ||
	    nla_put_u32(skb, VNPU_GENL_A_DEV_NUM_ENGINES, vdev->num_engines))
		goto err_cancel;

	for (i = 0; i < vdev->num_queues; i++) {
		struct vnpu_queue *q = &vdev->queues[i];

		spin_lock(&q->lock);
		active = q->tail - q->done;
		spin_unlock(&q->lock);
		if (vnpu_genl_put_queue(skb, VNPU_GENL_A_DEV_QUEUE, i,
					&tel->q[i], active))
			goto err_cancel;
	}

	if (vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_BUSY_NS, hw.busy_ns) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_JOBS_SUBMITTED,
			      atomic64_read(&tel->submitted)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_JOBS_COMPLETED,
			      atomic64_read(&tel->completed)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_JOBS_FAILED,
			      atomic64_read(&tel->failed)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_HW_JOBS, hw.jobs) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_BYTES, hw.bytes) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_MACS, hw.macs) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_ENERGY_PJ, hw.energy_pj) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_XFER_BYTES, hw.xfer) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_IRQS, hw.irqs) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_RESETS,
			      atomic_read(&vdev->reset_count)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_HANGS,
			      atomic64_read(&tel->hangs)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_FAULTS, hw.faults) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_MEM_USED, mem) ||
	    nla_put_u32(skb, VNPU_GENL_A_DEV_CONTEXTS, nr_clients) ||
	    (READ_ONCE(vdev->hw_dead) &&
	     nla_put_flag(skb, VNPU_GENL_A_DEV_DEAD)))
		goto err_cancel;

	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* One CTX_GET reply. Called with the devices lock and tel->lock held. */
static int vnpu_genl_fill_ctx(struct sk_buff *skb, struct vnpu_telemetry *tel,
			      struct vnpu_tel_client *client, u32 portid,
			      u32 seq, int flags, struct netlink_callback *cb)
{
	char comm[TASK_COMM_LEN];
	void *hdr;
	u32 i, pid;

	hdr = genlmsg_put(skb, portid, seq, &vnpu_genl_family, flags,
			  VNPU_GENL_CMD_CTX_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (cb)
		genl_dump_check_consistent(cb, hdr);

	pid = vnpu_telemetry_client_pid(client, task_active_pid_ns(current),
					comm);

	if (vnpu_genl_put_dev_id(skb, tel) ||
	    nla_put_u32(skb, VNPU_GENL_A_CTX_ID, client->ctx_id) ||
	    (pid && nla_put_u32(skb, VNPU_GENL_A_CTX_PID, pid)) ||
	    nla_put_string(skb, VNPU_GENL_A_CTX_COMM, comm) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_CTX_CLIENT_ID,
			      client->client_id) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_CTX_JOBS_SUBMITTED,
			      atomic64_read(&client->submitted)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_CTX_JOBS_COMPLETED,
			      atomic64_read(&client->completed)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_CTX_JOBS_FAILED,
			      atomic64_read(&client->failed)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_CTX_BUSY_NS,
			      atomic64_read(&client->busy_ns)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_CTX_MEM,
			      vnpu_telemetry_client_mem(client)) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_CTX_FAULTS,
			      atomic64_read(&client->faults)))
		goto err_cancel;

	for (i = 0; i < tel->vdev->num_queues; i++)
		if (vnpu_genl_put_queue(skb, VNPU_GENL_A_CTX_QUEUE, i,
					&client->q[i], -1))
			goto err_cancel;

	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vnpu_genl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vnpu_telemetry *tel;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VNPU_GENL_A_DEV_INDEX))
		return -EINVAL;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&vnpu_tel_devices_lock);
	tel = vnpu_genl_find_dev(nla_get_u32(info->attrs[VNPU_GENL_A_DEV_INDEX]));
	if (!tel) {
		NL_SET_BAD_ATTR(info->extack,
				info->attrs[VNPU_GENL_A_DEV_INDEX]);
		ret = -ENODEV;
	} else {
		ret = vnpu_genl_fill_dev(msg, tel, info->snd_portid,
					 info->snd_seq, 0, NULL);
	}
	mutex_unlock(&vnpu_tel_devices_lock);

	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* .start of both dumps: a device filter must name a device */
static int vnpu_genl_dump_start(struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct nlattr *attr = info->attrs[VNPU_GENL_A_DEV_INDEX];
	int ret = 0;

	if (!attr)
		return 0;

	mutex_lock(&vnpu_tel_devices_lock);
	if (!vnpu_genl_find_dev(nla_get_u32(attr))) {
		NL_SET_BAD_ATTR(cb->extack, attr);
		ret = -ENODEV;
	}
	mutex_unlock(&vnpu_tel_devices_lock);
	return ret;
}

static bool vnpu_genl_dev_match(const struct genl_info *info,
				struct vnpu_telemetry *tel)
{
	struct nlattr *attr = info->attrs[VNPU_GENL_A_DEV_INDEX];

	return !attr || nla_get_u32(attr) == tel->index;
}

/*
 * Dumps resume by position: cb->args[0] counts the replies already sent.
 * A device or file that comes or goes in between bumps the generation,
 * which sets NLM_F_DUMP_INTR on the next reply.
 */
static int vnpu_genl_dev_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct vnpu_telemetry *tel;
	long pos = 0, done = cb->args[0];
	int ret = 0;

	mutex_lock(&vnpu_tel_devices_lock);
	cb->seq = vnpu_tel_generation;
	list_for_each_entry(tel, &vnpu_tel_devices, link) {
		if (!vnpu_genl_dev_match(info, tel))
			continue;
		if (pos++ < done)
			continue;
		ret = vnpu_genl_fill_dev(skb, tel,
					 NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI, cb);
		if (ret)
			break;
		cb->args[0]++;
	}
	mutex_unlock(&vnpu_tel_devices_lock);

	/* a reply that does not fit in an empty buffer is an error */
	if (ret && cb->args[0] == done)
		return ret;
	return skb->len;
}

static bool vnpu_genl_ctx_match(const struct genl_info *info,
				struct vnpu_tel_client *client, u32 pid)
{
	struct nlattr *attr = info->attrs[VNPU_GENL_A_CTX_PID];

	return !attr || nla_get_u32(attr) == pid;
}

static int vnpu_genl_ctx_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct vnpu_tel_client *client;
	struct vnpu_telemetry *tel;
	long pos = 0, done = cb->args[0];
	char comm[TASK_COMM_LEN];
	int ret = 0;

	mutex_lock(&vnpu_tel_devices_lock);
	cb->seq = vnpu_tel_generation;
	list_for_each_entry(tel, &vnpu_tel_devices, link) {
		if (!vnpu_genl_dev_match(info, tel))
			continue;

		mutex_lock(&tel->lock);
		list_for_each_entry(client, &tel->clients, link) {
			u32 pid = vnpu_telemetry_client_pid(client, ns, comm);

			if (!vnpu_genl_ctx_match(info, client, pid))
				continue;
			if (pos++ < done)
				continue;
			ret = vnpu_genl_fill_ctx(skb, tel, client,
						 NETLINK_CB(cb->skb).portid,
						 cb->nlh->nlmsg_seq,
						 NLM_F_MULTI, cb);
			if (ret)
				break;
			cb->args[0]++;
		}
		mutex_unlock(&tel->lock);
		if (ret)
			break;
	}
	mutex_unlock(&vnpu_tel_devices_lock);

	if (ret && cb->args[0] == done)
		return ret;
	return skb->len;
}

static int vnpu_genl_ctx_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct vnpu_tel_client *client;
	struct vnpu_telemetry *tel;
	char comm[TASK_COMM_LEN];
	struct sk_buff *msg;
	u32 ctx_id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VNPU_GENL_A_DEV_INDEX) ||
	    GENL_REQ_ATTR_CHECK(info, VNPU_GENL_A_CTX_ID))
		return -EINVAL;
	ctx_id = nla_get_u32(info->attrs[VNPU_GENL_A_CTX_ID]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&vnpu_tel_devices_lock);
	tel = vnpu_genl_find_dev(nla_get_u32(info->attrs[VNPU_GENL_A_DEV_INDEX]));
	if (!tel) {
		NL_SET_BAD_ATTR(info->extack,
				info->attrs[VNPU_GENL_A_DEV_INDEX]);
		ret = -ENODEV;
		goto out_unlock;
	}

	ret = -ENOENT;
	mutex_lock(&tel->lock);
	list_for_each_entry(client, &tel->clients, link) {
		if (client->ctx_id != ctx_id ||
		    !vnpu_genl_ctx_match(info, client,
					 vnpu_telemetry_client_pid(client, ns,
								   comm)))
			continue;
		ret = vnpu_genl_fill_ctx(msg, tel, client, info->snd_portid,
					 info->snd_seq, 0, NULL);
		break;
	}
	mutex_unlock(&tel->lock);
	if (ret == -ENOENT)
		NL_SET_BAD_ATTR(info->extack, info->attrs[VNPU_GENL_A_CTX_ID]);

out_unlock:
	mutex_unlock(&vnpu_tel_devices_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static const struct genl_split_ops vnpu_genl_ops[] = {
	{
		.cmd = VNPU_GENL_CMD_DEV_GET,
		.doit = vnpu_genl_dev_get_doit,
		.policy = vnpu_genl_dev_policy,
		.maxattr = VNPU_GENL_A_DEV_INDEX,
		.flags = GENL_CMD_CAP_DO,
	},
	{
		.cmd = VNPU_GENL_CMD_DEV_GET,
		.start = vnpu_genl_dump_start,
		.dumpit = vnpu_genl_dev_get_dumpit,
		.policy = vnpu_genl_dev_policy,
		.maxattr = VNPU_GENL_A_DEV_INDEX,
		.flags = GENL_CMD_CAP_DUMP,
	},
	{
		.cmd = VNPU_GENL_CMD_CTX_GET,
		.doit = vnpu_genl_ctx_get_doit,
		.policy = vnpu_genl_ctx_policy,
		.maxattr = VNPU_GENL_A_CTX_PID,
		.flags = GENL_CMD_CAP_DO,
	},
	{
		.cmd = VNPU_GENL_CMD_CTX_GET,
		.start = vnpu_genl_dump_start,
		.dumpit = vnpu_genl_ctx_get_dumpit,
		.policy = vnpu_genl_ctx_policy,
		.maxattr = VNPU_GENL_A_CTX_PID,
		.flags = GENL_CMD_CAP_DUMP,
	},
};

static struct genl_family vnpu_genl_family __ro_after_init = {
	.name = VNPU_GENL_FAMILY_NAME,
	.version = VNPU_GENL_VERSION,
	.netnsok = false,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.split_ops = vnpu_genl_ops,
	.n_split_ops = ARRAY_SIZE(vnpu_genl_ops),
	.resv_start_op = VNPU_GENL_CMD_MAX + 1,
	.mcgrps = vnpu_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vnpu_genl_mcgrps),
};

/**
 * vnpu_genl_register - register the "vnpu" family (module init)
 */
int vnpu_genl_register(void)
{
	return genl_register_family(&vnpu_genl_family);
}

/**
 * vnpu_genl_unregister - unregister the family (module exit)
 */
void vnpu_genl_unregister(void)
{
	genl_unregister_family(&vnpu_genl_family);
}

/*
 * Start an event: NULL when nobody listens or memory is short (events are
 * best effort). The reset, hang and fault paths signal fences, so they do
 * not wait for memory (GFP_NOWAIT).
 */
static struct sk_buff *vnpu_genl_event_new(struct vnpu_telemetry *tel,
					   u32 type, gfp_t gfp, void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&vnpu_genl_family, &init_net,
				VNPU_GENL_MCGRP_EVENTS_ID))
		return NULL;

	skb = genlmsg_new(VNPU_GENL_EVENT_SIZE, gfp);
	if (!skb)
		return NULL;

	*hdr = genlmsg_put(skb, 0, 0, &vnpu_genl_family, 0,
			   VNPU_GENL_CMD_EVENT);
	if (!*hdr ||
	    nla_put_u32(skb, VNPU_GENL_A_EVENT_TYPE, type) ||
	    vnpu_genl_put_dev_id(skb, tel) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_EVENT_TIME_NS, ktime_get_ns())) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void vnpu_genl_event_send(struct sk_buff *skb, void *hdr, gfp_t gfp)
{
	genlmsg_end(skb, hdr);
	/* -ESRCH: the last listener left meanwhile */
	genlmsg_multicast(&vnpu_genl_family, skb, 0, VNPU_GENL_MCGRP_EVENTS_ID,
			  gfp);
}

/**
 * vnpu_genl_event_reset - send a RESET event
 * @tel: device
 * @error: 0, or the error when the device did not come back
 */
void vnpu_genl_event_reset(struct vnpu_telemetry *tel, int error)
{
	struct sk_buff *skb;
	void *hdr;

	skb = vnpu_genl_event_new(tel, VNPU_GENL_EVENT_RESET, GFP_NOWAIT, &hdr);
	if (!skb)
		return;

	if (vnpu_genl_put_u64(skb, VNPU_GENL_A_DEV_RESETS,
			      atomic_read(&tel->vdev->reset_count)) ||
	    nla_put_s32(skb, VNPU_GENL_A_EVENT_ERROR, error)) {
		nlmsg_free(skb);
		return;
	}
	vnpu_genl_event_send(skb, hdr, GFP_NOWAIT);
}

/**
 * vnpu_genl_event_hang - send a HANG event
 * @tel: device
 * @ctx_id: context of the job
 * @queue: its queue
 * @job_id: its id
 */
void vnpu_genl_event_hang(struct vnpu_telemetry *tel, u32 ctx_id, u32 queue,
			  u64 job_id)
{
	struct sk_buff *skb;
	void *hdr;

	skb = vnpu_genl_event_new(tel, VNPU_GENL_EVENT_HANG, GFP_NOWAIT, &hdr);
	if (!skb)
		return;

	if (nla_put_u32(skb, VNPU_GENL_A_CTX_ID, ctx_id) ||
	    nla_put_u32(skb, VNPU_GENL_A_EVENT_QUEUE, queue) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_EVENT_JOB_ID, job_id)) {
		nlmsg_free(skb);
		return;
	}
	vnpu_genl_event_send(skb, hdr, GFP_NOWAIT);
}

/**
 * vnpu_genl_event_fault - send a FAULT event
 * @tel: device
 * @ctx_id: faulting context
 * @queue: queue of the faulting job
 * @va: faulting device VA
 * @access: VNPU_ACCESS_*
 *
 * Called from the error interrupt thread.
 */
void vnpu_genl_event_fault(struct vnpu_telemetry *tel, u32 ctx_id, u32 queue,
			   u64 va, u32 access)
{
	struct vnpu_tel_client *client;
	char comm[TASK_COMM_LEN];
	struct sk_buff *skb;
	u32 pid = 0;
	void *hdr;

	skb = vnpu_genl_event_new(tel, VNPU_GENL_EVENT_FAULT, GFP_NOWAIT, &hdr);
	if (!skb)
		return;

	mutex_lock(&tel->lock);
	list_for_each_entry(client, &tel->clients, link) {
		if (client->ctx_id == ctx_id) {
			pid = vnpu_telemetry_client_pid(client, &init_pid_ns,
							comm);
			break;
		}
	}
	mutex_unlock(&tel->lock);

	if (nla_put_u32(skb, VNPU_GENL_A_CTX_ID, ctx_id) ||
	    (pid && nla_put_u32(skb, VNPU_GENL_A_CTX_PID, pid)) ||
	    nla_put_u32(skb, VNPU_GENL_A_EVENT_QUEUE, queue) ||
	    vnpu_genl_put_u64(skb, VNPU_GENL_A_FAULT_VA, va) ||
	    nla_put_u32(skb, VNPU_GENL_A_FAULT_ACCESS, access)) {
		nlmsg_free(skb);
		return;
	}
	vnpu_genl_event_send(skb, hdr, GFP_NOWAIT);
}

/**
 * vnpu_genl_event_unplug - send an UNPLUG event
 * @tel: device going away
 */
void vnpu_genl_event_unplug(struct vnpu_telemetry *tel)
{
	struct sk_buff *skb;
	void *hdr;

	skb = vnpu_genl_event_new(tel, VNPU_GENL_EVENT_UNPLUG, GFP_KERNEL, &hdr);
	if (skb)
		vnpu_genl_event_send(skb, hdr, GFP_KERNEL);
}
