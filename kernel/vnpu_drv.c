// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The vnpu authors
 *
 * vnpu: DRM accel driver for the vnpu PCI device (1234:4e50).
 */

#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/slab.h>

#include <drm/drm_accel.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>

#include "vnpu_drv.h"
#include "vnpu_gem.h"
#include "vnpu_hw.h"
#include "vnpu_job.h"
#include "vnpu_mmu.h"
#include "vnpu_telemetry.h"
#include "vnpu_pm.h"
#include "vnpu_vm.h"

static u64 vnpu_capabilities(struct vnpu_device *vdev)
{
	u64 caps = DRM_VNPU_CAP_VM_BIND | DRM_VNPU_CAP_USERPTR |
		   DRM_VNPU_CAP_PRIME | DRM_VNPU_CAP_PRIORITY |
		   DRM_VNPU_CAP_ENGINE_RESET;

	if (vdev->devmem_size)
		caps |= DRM_VNPU_CAP_DEVMEM;
	return caps;
}

static int vnpu_get_param_ioctl(struct drm_device *drm, void *data,
				struct drm_file *file)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);
	struct vnpu_file_priv *fpriv = file->driver_priv;
	struct drm_vnpu_param *args = data;

	if (args->index)
		return -EINVAL;

	switch (args->param) {
	case DRM_VNPU_PARAM_DEVICE_ID:
		args->value = to_pci_dev(drm->dev)->device;
		break;
	case DRM_VNPU_PARAM_REVISION:
		args->value = vdev->hw_version;
		break;
	case DRM_VNPU_PARAM_NUM_QUEUES:
		args->value = vdev->num_queues;
		break;
	case DRM_VNPU_PARAM_NUM_ENGINES:
		args->value = vdev->num_engines;
		break;
	case DRM_VNPU_PARAM_QUEUE_DEPTH:
		args->value = vdev->ring_entries;
		break;
	case DRM_VNPU_PARAM_DEVMEM_SIZE:
		args->value = vdev->devmem_size;
		break;
	case DRM_VNPU_PARAM_VA_BITS:
		args->value = vdev->va_bits;
		break;
	case DRM_VNPU_PARAM_VA_START:
		args->value = VNPU_VA_START;
		break;
	case DRM_VNPU_PARAM_VA_END:
		args->value = vdev->va_end;
		break;
	case DRM_VNPU_PARAM_PAGE_SIZES:
		args->value = 0;
		if (vdev->cap_mmu & VNPU_CAP_MMU_PAGE_4K)
			args->value |= BIT_ULL(VNPU_PAGE_SHIFT);
		if (vdev->cap_mmu & VNPU_CAP_MMU_PAGE_2M)
			args->value |= BIT_ULL(VNPU_HUGE_SHIFT);
		break;
	case DRM_VNPU_PARAM_OPS:
		args->value = vdev->ops;
		break;
	case DRM_VNPU_PARAM_CONTEXT_ID:
		args->value = fpriv->ctx->id;
		break;
	case DRM_VNPU_PARAM_MAX_BO_SIZE:
		args->value = VNPU_MAX_BO_SIZE;
		break;
	case DRM_VNPU_PARAM_MAX_CMD_SIZE:
		args->value = VNPU_CMD_MAX_SIZE;
		break;
	case DRM_VNPU_PARAM_DRIVER_VERSION:
		args->value = DRM_VNPU_DRIVER_MAJOR << 16 | DRM_VNPU_DRIVER_MINOR;
		break;
	case DRM_VNPU_PARAM_CAPABILITIES:
		args->value = vnpu_capabilities(vdev);
		break;
	case DRM_VNPU_PARAM_DTYPES:
		args->value = vdev->dtypes;
		break;
	case DRM_VNPU_PARAM_NUM_CONTEXTS:
		args->value = vdev->num_contexts - 1;
		break;
	case DRM_VNPU_PARAM_PRIORITY:
		args->value = READ_ONCE(fpriv->priority);
		break;
	case DRM_VNPU_PARAM_CONTEXT_HANGS:
		args->value = atomic_read(&fpriv->ctx->hangs);
		break;
	case DRM_VNPU_PARAM_CONTEXT_FAULTS:
		args->value = atomic_read(&fpriv->ctx->faults);
		break;
	case DRM_VNPU_PARAM_CONTEXT_BANNED:
		args->value = READ_ONCE(fpriv->ctx->banned);
		break;
	case DRM_VNPU_PARAM_RESET_COUNT:
		args->value = atomic_read(&vdev->reset_count);
		break;
	case DRM_VNPU_PARAM_HANG_LIMIT:
		args->value = vnpu_hang_limit;
		break;
	case DRM_VNPU_PARAM_JOB_TIMEOUT_MS:
		args->value = vnpu_job_timeout_ms;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int vnpu_ctx_set_param_ioctl(struct drm_device *drm, void *data,
				    struct drm_file *file)
{
	struct drm_vnpu_ctx_param *args = data;

	if (args->pad)
		return -EINVAL;

	switch (args->param) {
	case DRM_VNPU_CTX_PARAM_PRIORITY:
		if (args->value > U32_MAX)
			return -EINVAL;
		return vnpu_job_set_priority(file->driver_priv, args->value);
	default:
		return -EINVAL;
	}
}

static int vnpu_open(struct drm_device *drm, struct drm_file *file)
{
	struct vnpu_device *vdev = to_vnpu_device(drm);
	struct vnpu_file_priv *fpriv;
	int ret, idx;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;

	fpriv = kzalloc(sizeof(*fpriv), GFP_KERNEL);
	if (!fpriv) {
		ret = -ENOMEM;
		goto err_dev_exit;
	}
	fpriv->vdev = vdev;

	fpriv->ctx = vnpu_mmu_ctx_create(vdev);
	if (IS_ERR(fpriv->ctx)) {
		ret = PTR_ERR(fpriv->ctx);
		goto err_free_fpriv;
	}

	ret = vnpu_job_file_open(fpriv);
	if (ret)
		goto err_put_ctx;

	ret = vnpu_telemetry_file_open(fpriv, file);
	if (ret)
		goto err_job_close;

	file->driver_priv = fpriv;
	drm_dev_exit(idx);
	return 0;

err_job_close:
	vnpu_job_file_close(fpriv);
err_put_ctx:
	vnpu_mmu_ctx_put(fpriv->ctx);
err_free_fpriv:
	kfree(fpriv);
err_dev_exit:
	drm_dev_exit(idx);
	return ret;
}

static void vnpu_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct vnpu_file_priv *fpriv = file->driver_priv;

	vnpu_telemetry_file_close(fpriv);
	/* the handles are gone; BOs still mapped keep the context alive */
	vnpu_job_file_close(fpriv);
	vnpu_vm_unbind_all(fpriv->ctx);
	vnpu_mmu_ctx_put(fpriv->ctx);
	kfree(fpriv);
}

static const struct drm_ioctl_desc vnpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(VNPU_GET_PARAM, vnpu_get_param_ioctl, 0),
	DRM_IOCTL_DEF_DRV(VNPU_BO_CREATE, vnpu_bo_create_ioctl, 0),
	DRM_IOCTL_DEF_DRV(VNPU_BO_INFO, vnpu_bo_info_ioctl, 0),
	DRM_IOCTL_DEF_DRV(VNPU_SUBMIT, vnpu_submit_ioctl, 0),
	DRM_IOCTL_DEF_DRV(VNPU_WAIT, vnpu_wait_ioctl, 0),
	DRM_IOCTL_DEF_DRV(VNPU_VM_BIND, vnpu_vm_bind_ioctl, 0),
	DRM_IOCTL_DEF_DRV(VNPU_VM_UNBIND, vnpu_vm_unbind_ioctl, 0),
	DRM_IOCTL_DEF_DRV(VNPU_BO_USERPTR, vnpu_bo_userptr_ioctl, 0),
	DRM_IOCTL_DEF_DRV(VNPU_CTX_SET_PARAM, vnpu_ctx_set_param_ioctl, 0),
};

static const struct file_operations vnpu_fops = {
	.owner = THIS_MODULE,
	DRM_ACCEL_FOPS,
	.show_fdinfo = drm_show_fdinfo,
};

static const struct drm_driver vnpu_driver = {
	.driver_features = DRIVER_COMPUTE_ACCEL | DRIVER_GEM |
			   DRIVER_SYNCOBJ | DRIVER_SYNCOBJ_TIMELINE,

	.open = vnpu_open,
	.postclose = vnpu_postclose,

	.gem_create_object = vnpu_gem_create_object,
	.show_fdinfo = vnpu_telemetry_show_fdinfo,
	.gem_prime_import_sg_table = vnpu_gem_prime_import_sg_table,

	.ioctls = vnpu_ioctls,
	.num_ioctls = ARRAY_SIZE(vnpu_ioctls),
	.fops = &vnpu_fops,

	.name = DRIVER_NAME,
	.desc = DRIVER_DESC,
	.major = DRM_VNPU_DRIVER_MAJOR,
	.minor = DRM_VNPU_DRIVER_MINOR,
};

static int vnpu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vnpu_device *vdev;
	int ret;

	vdev = devm_drm_dev_alloc(&pdev->dev, &vnpu_driver, struct vnpu_device,
				  drm);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	pci_set_drvdata(pdev, vdev);

	xa_init(&vdev->userptr_pages);
	INIT_LIST_HEAD(&vdev->dma_bos);
	ret = drmm_mutex_init(&vdev->drm, &vdev->dma_bos_lock);
	if (ret)
		return ret;
	ret = drmm_mutex_init(&vdev->drm, &vdev->reset_lock);
	if (ret)
		return ret;

	ret = pcim_enable_device(pdev);
	if (ret) {
		vnpu_err(vdev, "cannot enable the PCI device: %d\n", ret);
		return ret;
	}

	vdev->regs = pcim_iomap_region(pdev, VNPU_BAR_REGS, DRIVER_NAME);
	if (IS_ERR(vdev->regs)) {
		ret = PTR_ERR(vdev->regs);
		vnpu_err(vdev, "cannot map BAR%d: %d\n", VNPU_BAR_REGS, ret);
		return ret;
	}
	if (pci_resource_len(pdev, VNPU_BAR_REGS) < VNPU_BAR_REGS_SIZE) {
		vnpu_err(vdev, "BAR%d is too small\n", VNPU_BAR_REGS);
		return -ENODEV;
	}

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret) {
		vnpu_err(vdev, "no usable DMA mask: %d\n", ret);
		return ret;
	}
	/*
	 * The device MMU maps page by page: a scatterlist segment may have
	 * any length (the PCI default of 64 KiB made DMA-API debugging
	 * report the longer segments of contiguous shmem pages).
	 */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	pci_set_master(pdev);

	/* Everything below is drm- or device-managed, except the hardware. */
	ret = vnpu_hw_probe(vdev);
	if (ret)
		return ret;

	ret = vnpu_mmu_init(vdev);
	if (ret)
		return ret;

	ret = vnpu_devmem_init(vdev);
	if (ret)
		return ret;

	ret = vnpu_swap_init(vdev);
	if (ret)
		return ret;

	ret = vnpu_hw_queues_alloc(vdev);
	if (ret)
		return ret;

	ret = vnpu_sched_init(vdev);
	if (ret)
		return ret;

	ret = vnpu_hw_irq_init(vdev);
	if (ret)
		return ret;

	vnpu_pm_init(vdev);
	ret = vnpu_hw_init(vdev);
	if (ret)
		goto err_hw_fini;

	ret = vnpu_telemetry_init(vdev);
	if (ret)
		goto err_hw_fini;

	ret = drm_dev_register(&vdev->drm, 0);
	if (ret) {
		vnpu_err(vdev, "cannot register the device: %d\n", ret);
		goto err_hw_fini;
	}
	vnpu_telemetry_register(vdev);

	vnpu_pm_enable(vdev);
	return 0;

err_hw_fini:
	vnpu_hw_fini(vdev);
	return ret;
}

static void vnpu_remove(struct pci_dev *pdev)
{
	struct vnpu_device *vdev = pci_get_drvdata(pdev);

	vnpu_pm_disable(vdev);
	vnpu_telemetry_unplug(vdev);
	/* stop the hardware and fail its jobs while the registers are ours */
	vnpu_sched_hw_stop(vdev);
	drm_dev_unplug(&vdev->drm);
	/* nor DMA memory the binding (the rings and tables are devm) */
	vnpu_mmu_unplug(vdev);
	vnpu_gem_unplug(vdev);
	/* CPU mappings of device memory must not outlive the BAR */
	if (vdev->devmem_size)
		unmap_mapping_range(vdev->drm.anon_inode->i_mapping, 0, 0, 1);
}

static const struct pci_device_id vnpu_pci_ids[] = {
	{ PCI_DEVICE(VNPU_PCI_VENDOR_ID, VNPU_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vnpu_pci_ids);

static struct pci_driver vnpu_pci_driver = {
	.name = DRIVER_NAME,
	.id_table = vnpu_pci_ids,
	.probe = vnpu_probe,
	.remove = vnpu_remove,
	.driver.pm = pm_ptr(&vnpu_pm_ops),
};

static int __init vnpu_init(void)
{
	int ret;

	ret = vnpu_telemetry_module_init();
	if (ret)
		return ret;

	ret = pci_register_driver(&vnpu_pci_driver);
	if (ret)
		vnpu_telemetry_module_exit();
	return ret;
}
module_init(vnpu_init);

static void __exit vnpu_exit(void)
{
	pci_unregister_driver(&vnpu_pci_driver);
	vnpu_telemetry_module_exit();
}
module_exit(vnpu_exit);

MODULE_AUTHOR("The vnpu authors");
MODULE_DESCRIPTION(DRIVER_DESC);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
