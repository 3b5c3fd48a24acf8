// SPDX-License-Identifier: GPL-2.0
/*
 * Managed commands and pools, the Linux convention for drivers: created in
 * probe, released with the device's other resources when it unbinds (or
 * when probe fails), in reverse order of creation. A command the driver
 * left prepared is completed then, and reported once, never leaked.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iodma.h>

#include "../core/core_api.h"
#include "shim.h"

void iodma_cmd_release_managed(struct device *dev, struct iodma_cmd *cmd)
{
	struct iodma_core_cmd_state was;

	if (iodma_core_cmd_abandon(cmd, &was))
		dev_warn(dev, "iodma: command %llu still prepared at unbind (range %#llx+%#llx, nest %u%s): completed\n",
			 was.id, was.offset, was.length, was.nest,
			 was.copy_buffer ? ", copy buffer" : "");
}

static void iodma_devm_cmd_release(void *cmd)
{
	iodma_cmd_release_managed(iodma_cmd_device(cmd), cmd);
}

/**
 * devm_iodma_cmd_create() - create a command released with its device
 * @dev: the device, as iodma_cmd_create(); the command is released when
 *	@dev unbinds from its driver (or its probe fails)
 * @spec: as iodma_cmd_create()
 * @priv_size: as iodma_cmd_create()
 * @gfp: as iodma_cmd_create(), for the command's later allocations
 *
 * At release a command still prepared is completed (every nesting level)
 * and reported once with dev_warn(); its descriptor reference is dropped.
 * Never pass the command to iodma_cmd_destroy().
 *
 * Context: Process context (registers a device resource with GFP_KERNEL);
 * typically the driver's probe.
 * Return: the command, or an ERR_PTR() as iodma_cmd_create(); -ENOMEM also
 * when the device resource cannot be registered (nothing is left then).
 */
struct iodma_cmd *devm_iodma_cmd_create(struct device *dev,
					const struct iodma_spec *spec,
					size_t priv_size, gfp_t gfp)
{
	struct iodma_cmd *cmd = iodma_cmd_create(dev, spec, priv_size, gfp);
	int err;

	if (IS_ERR(cmd))
		return cmd;
	err = devm_add_action_or_reset(dev, iodma_devm_cmd_release, cmd);
	return err ? ERR_PTR(err) : cmd;
}
EXPORT_SYMBOL_NS_GPL(devm_iodma_cmd_create, IODMA);

/* A managed pool and the device it is released with. */
struct iodma_devm_pool {
	struct iodma_pool *pool;
	struct device *dev;
};

static void iodma_devm_pool_release(struct device *dev, void *res)
{
	struct iodma_devm_pool *p = res;

	iodma_pool_release(p->pool, p->dev);
}

/**
 * devm_iodma_pool_create() - create a pool released with its device
 * @dev: the device, as iodma_pool_create(); the pool and all its commands
 *	are released when @dev unbinds from its driver (or its probe fails)
 * @spec: as iodma_pool_create()
 * @priv_size: as iodma_pool_create()
 * @count: as iodma_pool_create()
 * @gfp: as iodma_pool_create()
 *
 * At release every command is destroyed, also those still handed out; one
 * still prepared is completed and reported once with dev_warn(). Never
 * pass the pool to iodma_pool_destroy().
 *
 * Context: Process context (registers a device resource with GFP_KERNEL);
 * typically the driver's probe.
 * Return: the pool, or an ERR_PTR() as iodma_pool_create(); nothing is
 * left allocated on error.
 */
struct iodma_pool *devm_iodma_pool_create(struct device *dev,
					  const struct iodma_spec *spec,
					  size_t priv_size, unsigned int count,
					  gfp_t gfp)
{
	struct iodma_devm_pool *res;

	if (IS_ERR_OR_NULL(dev))
		return ERR_PTR(-EINVAL);
	res = devres_alloc(iodma_devm_pool_release, sizeof(*res), GFP_KERNEL);
	if (!res)
		return ERR_PTR(-ENOMEM);
	res->pool = iodma_pool_create(dev, spec, priv_size, count, gfp);
	if (IS_ERR(res->pool)) {
		struct iodma_pool *err = res->pool;

		devres_free(res);
		return err;
	}
	res->dev = dev;
	devres_add(dev, res);
	return res->pool;
}
EXPORT_SYMBOL_NS_GPL(devm_iodma_pool_create, IODMA);
