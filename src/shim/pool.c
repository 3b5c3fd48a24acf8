// SPDX-License-Identifier: GPL-2.0
/*
 * Command pools (IOKit IOCommandPool): identical commands made at driver
 * initialisation, handed out and returned without allocating. A free list
 * under a spinlock and a wait queue for blocking gets: kernel mechanism
 * only; the commands themselves are the core's.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/iodma.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "shim.h"

/* One command of a pool, and whether a user holds it. */
struct iodma_pool_slot {
	struct iodma_cmd *cmd;
	bool out;			/* handed out and not yet returned */
};

struct iodma_pool {
	spinlock_t lock;		/* protects nfree, free[] and all[].out */
	wait_queue_head_t wait;
	struct iodma_spec spec;		/* what a put restores */
	unsigned int count;
	unsigned int nfree;
	unsigned int *free;		/* all[free[0..nfree)] are available */
	struct iodma_pool_slot all[];	/* every command of the pool */
};

/**
 * iodma_pool_create() - create a pool of identical commands
 * @dev: the device, as iodma_cmd_create()
 * @spec: the spec of every command
 * @priv_size: private data of every command, as iodma_cmd_create()
 * @count: number of commands, at least 1
 * @gfp: allocation mask for the pool and its commands
 *
 * Context: Process context if @gfp may sleep; any context otherwise.
 * Return: the pool, or an ERR_PTR(): -EINVAL for a zero @count or as
 * iodma_cmd_create(); -ENOMEM. Nothing is left allocated on error.
 */
struct iodma_pool *iodma_pool_create(struct device *dev,
				     const struct iodma_spec *spec,
				     size_t priv_size, unsigned int count,
				     gfp_t gfp)
{
	struct iodma_pool *pool;
	unsigned int i;

	if (!count || !spec)
		return ERR_PTR(-EINVAL);
	pool = kzalloc(struct_size(pool, all, count), gfp);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	pool->free = kcalloc(count, sizeof(*pool->free), gfp);
	if (!pool->free) {
		kfree(pool);
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_init(&pool->lock);
	init_waitqueue_head(&pool->wait);
	pool->spec = *spec;
	for (i = 0; i < count; i++) {
		struct iodma_cmd *cmd = i ? iodma_cmd_clone(pool->all[0].cmd, gfp) :
					    iodma_cmd_create(dev, spec,
							     priv_size, gfp);

		if (IS_ERR(cmd)) {
			pool->count = i;
			iodma_pool_destroy(pool);
			return ERR_CAST(cmd);
		}
		pool->all[i].cmd = cmd;
		pool->free[i] = i;
	}
	pool->count = count;
	pool->nfree = count;
	return pool;
}
EXPORT_SYMBOL_NS_GPL(iodma_pool_create, IODMA);

static struct iodma_cmd *iodma_pool_try_get(struct iodma_pool *pool)
{
	struct iodma_cmd *cmd = NULL;
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	if (pool->nfree) {
		struct iodma_pool_slot *slot = &pool->all[pool->free[--pool->nfree]];

		slot->out = true;
		cmd = slot->cmd;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	return cmd;
}

static bool iodma_pool_take(struct iodma_pool *pool, struct iodma_cmd **cmd)
{
	*cmd = iodma_pool_try_get(pool);
	return *cmd;
}

/**
 * iodma_pool_get() - take a command from a pool
 * @pool: the pool
 * @wait: sleep until a command is returned when none is free
 *
 * Context: Process context if @wait; any context otherwise.
 * Return: an unprepared command without a descriptor; NULL when none is
 * free and !@wait, when a fatal signal ends the wait, or for a NULL @pool.
 */
struct iodma_cmd *iodma_pool_get(struct iodma_pool *pool, bool wait)
{
	struct iodma_cmd *cmd;

	if (IS_ERR_OR_NULL(pool))
		return NULL;
	cmd = iodma_pool_try_get(pool);
	if (cmd || !wait)
		return cmd;
	if (wait_event_killable(pool->wait, iodma_pool_take(pool, &cmd)))
		return NULL;
	return cmd;
}
EXPORT_SYMBOL_NS_GPL(iodma_pool_get, IODMA);

/**
 * iodma_pool_put() - return a command to its pool
 * @pool: the pool the command came from
 * @cmd: the command; a command still prepared is completed and its
 *	descriptor dropped, so that the next user starts clean
 *
 * The command gets the pool's spec back. A command of another pool, or one
 * that is not out (a second put), is refused with a warning and left
 * alone: no command is ever handed to two users.
 *
 * Context: As iodma_cmd_complete() when @cmd is still prepared; any
 * context otherwise.
 * Return: nothing.
 */
void iodma_pool_put(struct iodma_pool *pool, struct iodma_cmd *cmd)
{
	unsigned long flags;
	unsigned int i;
	bool was_out;

	if (IS_ERR_OR_NULL(pool) || IS_ERR_OR_NULL(cmd))
		return;
	for (i = 0; i < pool->count && pool->all[i].cmd != cmd; i++)
		;
	if (WARN_ONCE(i == pool->count, "iodma: put of a command of another pool\n"))
		return;
	/* Claimed here, so that a concurrent second put finds it taken. */
	spin_lock_irqsave(&pool->lock, flags);
	was_out = pool->all[i].out;
	pool->all[i].out = false;
	spin_unlock_irqrestore(&pool->lock, flags);
	if (WARN_ONCE(!was_out, "iodma: command put twice into its pool\n"))
		return;
	iodma_cmd_clear_md(cmd, true);
	WARN_ON_ONCE(iodma_cmd_set_spec(cmd, &pool->spec));
	spin_lock_irqsave(&pool->lock, flags);
	pool->free[pool->nfree++] = i;
	spin_unlock_irqrestore(&pool->lock, flags);
	wake_up(&pool->wait);
}
EXPORT_SYMBOL_NS_GPL(iodma_pool_put, IODMA);

/**
 * iodma_pool_destroy() - destroy a pool and all its commands
 * @pool: the pool; NULL or an ERR_PTR() is ignored. Every command should
 *	have been returned: those still out are destroyed too.
 *
 * Context: Process context.
 * Return: nothing.
 */
void iodma_pool_destroy(struct iodma_pool *pool)
{
	iodma_pool_release(pool, NULL);
}
EXPORT_SYMBOL_NS_GPL(iodma_pool_destroy, IODMA);

/*
 * Destroy @pool; with @unbinding, as that device unbinds (devm): a command
 * still prepared then is completed and reported.
 */
void iodma_pool_release(struct iodma_pool *pool, struct device *unbinding)
{
	unsigned int i;

	if (IS_ERR_OR_NULL(pool))
		return;
	for (i = 0; i < pool->count; i++) {
		if (unbinding)
			iodma_cmd_release_managed(unbinding, pool->all[i].cmd);
		else
			iodma_cmd_destroy(pool->all[i].cmd);
	}
	kfree(pool->free);
	kfree(pool);
}
