/* SPDX-License-Identifier: MIT */
/*
 * libaccel: compiled models (vnpu job packages from vnpu-compile).
 *
 * Copyright (C) 2026 The vnpu authors
 *
 * A struct accel_model is one loaded package on one device handle: its
 * buffer objects (constants, scratch, inputs, outputs, per-layer
 * timestamps), the command buffer built from the package's commands
 * (re-validated by the accel_cmdbuf_* builders) and its I/O bindings.
 * Runs of one model are serialised (they share scratch memory); load the
 * package several times, or use accel_model_clone(), to run batches in
 * parallel on several queues and engines, and accel_model_clone_to() or
 * accel_model_load_devices() to place instances on several devices;
 * accel_model_run_batch() spreads a batch over instances (data
 * parallelism) and accel_model_pipeline_new() chains the parts of a
 * network on several devices (pipeline stages). Same conventions as accel.h:
 * 0 or a negative errno, out-parameters untouched on failure.
 *
 * The package format is described in Documentation/accel/vnpu/package.rst.
 */
#ifndef LIBACCEL_ACCEL_MODEL_H
#define LIBACCEL_ACCEL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "accel.h"

#if defined(__cplusplus)
extern "C" {
#endif

struct accel_model;

/* accel_model_load() flags: keep every region in system memory. */
#define ACCEL_MODEL_NO_DEVMEM		(1u << 0)

/**
 * accel_model_load() - load a package file onto a device
 * @dev: the device
 * @path: a .vnpu package
 * @flags: 0 or ACCEL_MODEL_NO_DEVMEM
 * @model: out, the model; free it with accel_model_free()
 *
 * Creates the model's BOs (regions the package places in device memory
 * go there when the device has it and it has room, else to system
 * memory), uploads the constants and builds the command buffer.
 *
 * Return: 0; -EINVAL for NULL arguments or unknown @flags; -ENOENT and
 * other errno values of open(2)/read(2); -EBADMSG for a file that is not
 * a valid package (bad magic, version, checksum, truncation, an index or
 * relocation out of range); -EOPNOTSUPP if the device lacks an opcode the
 * package uses; -ENOMEM/-ENOSPC; or an error of the command builders.
 */
int accel_model_load(struct accel_device *dev, const char *path, uint32_t flags,
		     struct accel_model **model);

/**
 * accel_model_load_buffer() - load a package from memory
 * @dev: the device
 * @data: the package bytes (copied)
 * @size: bytes
 * @flags: as for accel_model_load()
 * @model: out, the model
 *
 * Return: as accel_model_load().
 */
int accel_model_load_buffer(struct accel_device *dev, const void *data,
			    size_t size, uint32_t flags,
			    struct accel_model **model);

/**
 * accel_model_clone() - a second instance of a loaded model
 * @model: a loaded model
 * @clone: out, a model with its own BOs (constants included: jobs that
 *         share a BO are ordered by the driver's implicit sync) and no
 *         bindings, made from the same package without re-reading it; it
 *         runs concurrently with @model when given another queue
 *
 * Return: 0, -EINVAL for NULL arguments, -ENOMEM/-ENOSPC, or an error of
 * the command builders.
 */
int accel_model_clone(struct accel_model *model, struct accel_model **clone);

/**
 * accel_model_clone_to() - an instance of a loaded model on another device
 * @model: a loaded model
 * @dev: the device the instance runs on (@model's own device works too)
 * @clone: out, like accel_model_clone() but with its BOs, command buffer
 *         and jobs on @dev; the package image is shared, not re-read
 *
 * Constants are uploaded to @dev by @dev's own BOs; nothing of @model's
 * device is referenced by the clone, which may outlive @model.
 *
 * Return: 0; -EINVAL for NULL arguments; -EOPNOTSUPP if @dev lacks an
 * opcode the package uses; -ENOMEM/-ENOSPC; or an error of the command
 * builders.
 */
int accel_model_clone_to(struct accel_model *model, struct accel_device *dev,
			 struct accel_model **clone);

/**
 * accel_model_load_devices() - load a package onto several devices
 * @devs: @count devices (distinct handles of distinct devices for data
 *        parallelism; the same device twice gives two instances on it)
 * @count: 1 .. ACCEL_MODEL_MAX_INSTANCES
 * @path: a .vnpu package, read once
 * @flags: as for accel_model_load()
 * @models: out, @count models: models[i] runs on devs[i]; free each with
 *          accel_model_free()
 *
 * On failure no model is left allocated and @models is untouched.
 *
 * Return: 0; -EINVAL for NULL arguments, a NULL device, @count 0 or above
 * ACCEL_MODEL_MAX_INSTANCES or unknown @flags; otherwise as
 * accel_model_load() for the first device that fails.
 */
int accel_model_load_devices(struct accel_device *const *devs,
			     unsigned int count, const char *path,
			     uint32_t flags, struct accel_model **models);

/* Most instances accel_model_load_devices()/accel_model_run_batch() take. */
#define ACCEL_MODEL_MAX_INSTANCES	64

/**
 * accel_model_run_batch() - run a batch data-parallel on several instances
 * @models: @count instances of one package (from accel_model_load_devices(),
 *          accel_model_clone() or accel_model_clone_to(); packages loaded
 *          separately are accepted when their bytes are identical)
 * @count: 1 .. ACCEL_MODEL_MAX_INSTANCES
 * @items: batch items (0 does nothing)
 * @inputs: @items * inputs pointers: inputs[i * inputs + k] is input k of
 *          item i, in the layout of accel_model_get_input()
 * @outputs: @items * outputs pointers: outputs[i * outputs + k] receives
 *           output k of item i
 *
 * Item i runs on models[i % @count]: every instance has at most one run in
 * flight, so with one instance per device all devices compute at once,
 * each on its own copy of the constants. Each item's result is what
 * accel_model_run() of that item gives on one device, bit for bit (the
 * devices run the same command stream on the same data). The instances'
 * host bindings are replaced during the call and left unbound after it;
 * their queues and BO bindings of other I/O are kept.
 *
 * Return: 0 if every item succeeded; -EINVAL for NULL arguments, @count 0
 * or above ACCEL_MODEL_MAX_INSTANCES, a NULL instance, instances of
 * different packages, or an input or output of an instance bound to a BO;
 * otherwise the first error of accel_model_submit()/accel_model_wait() (the
 * other items still run, and every submitted run has ended on return).
 */
int accel_model_run_batch(struct accel_model *const *models, unsigned int count,
			  unsigned int items, const void *const *inputs,
			  void *const *outputs);

struct accel_model_pipeline;

/* Most stages accel_model_pipeline_new() takes. */
#define ACCEL_MODEL_MAX_STAGES		8

/**
 * accel_model_pipeline_new() - chain models into pipeline stages
 * @stages: @count models (e.g. the parts of one network, each loaded on
 *          its own device): the single output of stage s feeds the single
 *          input of stage s + 1, with the same dtype and byte size; the
 *          first stage may have several inputs, the last several outputs
 * @count: 2 .. ACCEL_MODEL_MAX_STAGES
 * @pipe: out, the pipeline; free it with accel_model_pipeline_free()
 *
 * Makes two instances of every stage on the stage's device
 * (accel_model_clone_to(); the caller's models are not used afterwards
 * and may be freed) and, for every boundary, two system-memory BOs of the
 * producing stage's device, exported as dma-bufs and imported by the
 * consuming stage's device. Instance k of stage s writes boundary BO k
 * and instance k of stage s + 1 reads it (accel_model_bind_output_bo(),
 * accel_model_bind_input_bo()): the boundary tensor moves from device to
 * device without a CPU copy, and the driver's implicit sync on the shared
 * dma-buf orders each consumer after its producer and the producer's next
 * write after that read.
 *
 * Return: 0; -EINVAL for NULL arguments, @count out of range, a NULL stage
 * or a boundary that is not one output feeding one input of the same
 * dtype and size; -EOPNOTSUPP if a device cannot export or import a
 * dma-buf; errors of accel_model_clone_to(), accel_bo_new(),
 * accel_bo_export(), accel_bo_import() and the command builders.
 */
int accel_model_pipeline_new(struct accel_model *const *stages,
			     unsigned int count,
			     struct accel_model_pipeline **pipe);

/**
 * accel_model_pipeline_run() - run items through the pipeline stages
 * @pipe: the pipeline
 * @items: items (0 does nothing)
 * @inputs: @items * (inputs of the first stage) pointers, as for
 *          accel_model_run_batch()
 * @outputs: @items * (outputs of the last stage) pointers
 *
 * Item i uses instance i % 2 of every stage. All stages of an item are
 * submitted at once and ordered on the devices by implicit sync, so stage
 * s + 1 computes item i while stage s computes item i + 1. The outputs
 * are those of the unsplit network run on one device when the stages are
 * its parts compiled alike (vnpu_multi_test checks the digits MLP and CNN
 * bit for bit).
 *
 * Return: 0 if every item succeeded; -EINVAL for NULL arguments; otherwise
 * the first error of accel_model_submit()/accel_model_wait() (every
 * submitted run has ended on return).
 */
int accel_model_pipeline_run(struct accel_model_pipeline *pipe,
			     unsigned int items, const void *const *inputs,
			     void *const *outputs);

/**
 * accel_model_pipeline_free() - wait for the last runs and free a pipeline
 * @pipe: the pipeline, or NULL
 */
void accel_model_pipeline_free(struct accel_model_pipeline *pipe);

/**
 * accel_model_free() - wait for the model's last run and free it
 * @model: the model, or NULL
 */
void accel_model_free(struct accel_model *model);

/**
 * struct accel_model_io - an input or output of a model
 * @name: ONNX name; valid while the model lives
 * @dtype: ACCEL_DT_* of the data the application provides or receives
 * @rank: 1 .. 4
 * @shape: extents, outermost first (ONNX layout, e.g. NCHW)
 * @size: bytes
 */
struct accel_model_io {
	const char *name;
	uint32_t dtype;
	uint32_t rank;
	uint32_t shape[4];
	uint64_t size;
};

/**
 * accel_model_get_io_count() - number of inputs and outputs
 * @model: the model
 * @inputs: out (may be NULL)
 * @outputs: out (may be NULL)
 *
 * Return: 0, or -EINVAL if @model is NULL.
 */
int accel_model_get_io_count(const struct accel_model *model,
			     unsigned int *inputs, unsigned int *outputs);

/**
 * accel_model_get_input() - describe input @index
 * @model: the model
 * @index: 0 .. inputs - 1
 * @io: out
 *
 * Return: 0, -EINVAL for NULL arguments, -ERANGE for a bad @index.
 */
int accel_model_get_input(const struct accel_model *model, unsigned int index,
			  struct accel_model_io *io);

/**
 * accel_model_get_output() - describe output @index
 * @model: the model
 * @index: 0 .. outputs - 1
 * @io: out
 *
 * Return: as accel_model_get_input().
 */
int accel_model_get_output(const struct accel_model *model, unsigned int index,
			   struct accel_model_io *io);

/**
 * accel_model_bind_input() - read input @index from host memory
 * @model: the model
 * @index: the input
 * @data: @size bytes of the input's layout (see accel_model_get_input()),
 *        copied at each accel_model_run()/accel_model_submit(); NULL
 *        unbinds (the model's own input BO is then used as it is)
 *
 * Return: 0, -EINVAL for a NULL @model, -ERANGE for a bad @index.
 */
int accel_model_bind_input(struct accel_model *model, unsigned int index,
			   const void *data);

/**
 * accel_model_bind_output() - copy output @index to host memory
 * @model: the model
 * @index: the output
 * @data: @size bytes, written when a run ends (accel_model_run() or
 *        accel_model_wait()); NULL unbinds
 *
 * Return: as accel_model_bind_input().
 */
int accel_model_bind_output(struct accel_model *model, unsigned int index,
			    void *data);

/**
 * accel_model_bind_input_bo() - let the device read input @index from a BO
 * @model: the model
 * @index: the input
 * @bo: a BO of the model's device handle, or NULL to go back to the
 *      model's own input BO
 * @offset: byte offset of the input in @bo
 *
 * Zero copy: the commands are re-built to read @bo directly. A host
 * binding of the same input is dropped.
 *
 * Return: 0; -EINVAL for a NULL @model; -ERANGE for a bad @index or an
 * input that does not fit in @bo at @offset; -EXDEV for a BO of another
 * device handle; errors of the command builders.
 */
int accel_model_bind_input_bo(struct accel_model *model, unsigned int index,
			      struct accel_bo *bo, uint64_t offset);

/**
 * accel_model_bind_output_bo() - let the device write output @index to a BO
 * @model: the model
 * @index: the output
 * @bo: a BO of the model's device handle, or NULL to go back to the
 *      model's own output BO
 * @offset: byte offset of the output in @bo
 *
 * Return: as accel_model_bind_input_bo().
 */
int accel_model_bind_output_bo(struct accel_model *model, unsigned int index,
			       struct accel_bo *bo, uint64_t offset);

/**
 * accel_model_get_input_bo() - the model's own BO of input @index
 * @model: the model
 * @index: the input
 * @bo: out, owned by the model (write the input there with accel_bo_map()
 *      for a copy-free run without bindings)
 *
 * Return: 0, -EINVAL for NULL arguments, -ERANGE for a bad @index.
 */
int accel_model_get_input_bo(struct accel_model *model, unsigned int index,
			     struct accel_bo **bo);

/**
 * accel_model_get_output_bo() - the model's own BO of output @index
 * @model: the model
 * @index: the output
 * @bo: out, owned by the model
 *
 * Return: as accel_model_get_input_bo().
 */
int accel_model_get_output_bo(struct accel_model *model, unsigned int index,
			      struct accel_bo **bo);

/**
 * accel_model_set_queue() - hardware queue the model's jobs go to
 * @model: the model
 * @queue: 0 .. ACCEL_PARAM_NUM_QUEUES - 1 (default 0)
 *
 * Return: 0, -EINVAL for a NULL @model or a queue out of range.
 */
int accel_model_set_queue(struct accel_model *model, uint32_t queue);

/**
 * accel_model_submit() - start a run (asynchronous)
 * @model: the model
 * @opts: in-/out-syncs and priority for the job, or NULL
 * @job: out (may be NULL), the job, owned by the model and valid until its
 *       next submit or accel_model_free(): wait for it with
 *       accel_model_wait(), or use its fence (accel_job_get_syncobj() as
 *       another job's in-sync, accel_job_export_sync_file() to poll)
 *
 * Waits for the model's previous run first (runs share scratch memory),
 * then copies the host-bound inputs and submits.
 *
 * Return: 0; -EINVAL for a NULL @model; errors of accel_job_submit(); the
 * previous run's failure is not reported here (accel_model_wait() did).
 */
int accel_model_submit(struct accel_model *model,
		       const struct accel_submit_opts *opts,
		       struct accel_job **job);

/**
 * accel_model_wait() - wait for the model's last submitted run
 * @model: the model
 * @timeout_ns: relative timeout; negative waits forever
 *
 * When the run has ended successfully, copies the host-bound outputs and
 * reads the per-layer timestamps.
 *
 * Return: 0 if the run succeeded; -ETIME on timeout; -ENODATA if nothing
 * was submitted; the job's negative status (-EFAULT, -EINVAL, -EIO,
 * -ETIMEDOUT, -ECANCELED) if it failed; errors of accel_job_wait().
 */
int accel_model_wait(struct accel_model *model, int64_t timeout_ns);

/**
 * accel_model_run() - run once, synchronously
 * @model: the model
 *
 * accel_model_submit() then accel_model_wait() without timeout.
 *
 * Return: as those two.
 */
int accel_model_run(struct accel_model *model);

/**
 * struct accel_model_layer - one layer (an operator after fusion)
 * @name: ONNX node name
 * @op: operators merged into it, e.g. "Conv+BatchNormalization+Relu"
 * @macs: multiply-accumulates
 * @bytes: bytes its operands and result occupy
 * @time_ns: device time of the layer in the last successful run, from the
 *           device's TIMESTAMP commands (0 before the first run)
 */
struct accel_model_layer {
	const char *name;
	const char *op;
	uint64_t macs;
	uint64_t bytes;
	uint64_t time_ns;
};

/**
 * accel_model_get_layer_count() - number of layers
 * @model: the model
 * @count: out
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_model_get_layer_count(const struct accel_model *model,
				unsigned int *count);

/**
 * accel_model_get_layer() - describe layer @index and its last timing
 * @model: the model
 * @index: 0 .. count - 1
 * @layer: out; strings valid while the model lives
 *
 * Return: 0, -EINVAL for NULL arguments, -ERANGE for a bad @index.
 */
int accel_model_get_layer(const struct accel_model *model, unsigned int index,
			  struct accel_model_layer *layer);

/**
 * accel_model_get_devmem_size() - device memory the model occupies
 * @model: the model
 * @bytes: out, bytes of its BOs placed in device memory (0 if none)
 *
 * Return: 0, or -EINVAL for NULL arguments.
 */
int accel_model_get_devmem_size(const struct accel_model *model,
				uint64_t *bytes);

#if defined(__cplusplus)
}
#endif

#endif /* LIBACCEL_ACCEL_MODEL_H */
