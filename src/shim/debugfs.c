// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/iodma/: the core's statistics as text
 * (Documentation/observability.rst). One directory, created at module load
 * and removed as one tree at unload:
 *
 *   stats     counters of every command ever created, one "name value" a line
 *   devices   a line per device with live commands: its counters
 *   prepared  a line per prepared command: device, spec, range, nesting,
 *             copy buffer or not (what a stuck driver holds)
 *
 * The counters are the core's (src/core/stats.cpp); this file only prints.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/iodma.h>
#include <linux/seq_file.h>

#include "../core/core_api.h"
#include "shim.h"

static struct dentry *iodma_debugfs_dir;

/*
 * Read-only seq_files with read_iter, so that kernel_read() works on them
 * too (the KUnit suites read them). Created "unsafe" (without debugfs's
 * removal proxy, which has no read_iter): the files go only at module
 * unload, and an open file holds the module (.owner).
 */
#define IODMA_SEQ_FOPS(_open) {						\
	.owner = THIS_MODULE,						\
	.open = _open,							\
	.read_iter = seq_read_iter,					\
	.llseek = seq_lseek,						\
	.release = single_release,					\
}

static const char *const iodma_err_names[IODMA_CORE_NERR] = {
	[IODMA_CORE_ERR_EINVAL] = "EINVAL",
	[IODMA_CORE_ERR_ENODATA] = "ENODATA",
	[IODMA_CORE_ERR_EBUSY] = "EBUSY",
	[IODMA_CORE_ERR_ENOSPC] = "ENOSPC",
	[IODMA_CORE_ERR_ERANGE] = "ERANGE",
	[IODMA_CORE_ERR_EOVERFLOW] = "EOVERFLOW",
	[IODMA_CORE_ERR_EOPNOTSUPP] = "EOPNOTSUPP",
	[IODMA_CORE_ERR_ENOMEM] = "ENOMEM",
	[IODMA_CORE_ERR_EFAULT] = "EFAULT",
	[IODMA_CORE_ERR_EIO] = "EIO",
	[IODMA_CORE_ERR_OTHER] = "other",
};

struct iodma_counter {
	const char *name;
	unsigned long long value;
};

/* Counter names, in the order of struct iodma_core_stats. */
static void iodma_counters(const struct iodma_core_stats *s,
			   struct iodma_counter c[12])
{
	c[0] = (struct iodma_counter){ "commands", s->commands };
	c[1] = (struct iodma_counter){ "live", s->live };
	c[2] = (struct iodma_counter){ "prepares", s->prepares };
	c[3] = (struct iodma_counter){ "completes", s->completes };
	c[4] = (struct iodma_counter){ "bytes_prepared", s->bytes_prepared };
	c[5] = (struct iodma_counter){ "copy_buffer_engaged", s->cb_engaged };
	c[6] = (struct iodma_counter){ "copy_buffer_bytes", s->cb_bytes };
	c[7] = (struct iodma_counter){ "copy_buffer_reserved", s->cb_reserved };
	c[8] = (struct iodma_counter){ "syncs", s->syncs };
	c[9] = (struct iodma_counter){ "gen_segments_calls", s->gen_calls };
	c[10] = (struct iodma_counter){ "segments", s->segments };
	c[11] = (struct iodma_counter){ "abandoned_at_unbind", s->abandoned };
}

/* @sep between "name<eq>value" items: "\n" and " " for stats, " " and "=". */
static void iodma_print_stats(struct seq_file *m,
			      const struct iodma_core_stats *s,
			      const char *eq, const char *sep)
{
	struct iodma_counter c[12];
	unsigned int i;

	iodma_counters(s, c);
	for (i = 0; i < ARRAY_SIZE(c); i++)
		seq_printf(m, "%s%s%llu%s", c[i].name, eq, c[i].value, sep);
	for (i = 0; i < IODMA_CORE_NERR; i++)
		seq_printf(m, "failures.%s%s%llu%s", iodma_err_names[i], eq,
			   s->failures[i], sep);
}

static int iodma_stats_show(struct seq_file *m, void *unused)
{
	struct iodma_core_stats s;

	iodma_core_stats_read(NULL, &s);
	iodma_print_stats(m, &s, " ", "\n");
	return 0;
}

static int iodma_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, iodma_stats_show, NULL);
}

static const struct file_operations iodma_stats_fops =
	IODMA_SEQ_FOPS(iodma_stats_open);

static void iodma_device_line(void *dev, const struct iodma_core_stats *s,
			      void *m)
{
	seq_printf(m, "device=%s ", dev_name(dev));
	iodma_print_stats(m, s, "=", " ");
	seq_putc(m, '\n');
}

static int iodma_devices_show(struct seq_file *m, void *unused)
{
	iodma_core_stats_for_each_device(iodma_device_line, m);
	return 0;
}

static int iodma_devices_open(struct inode *inode, struct file *file)
{
	return single_open(file, iodma_devices_show, NULL);
}

static const struct file_operations iodma_devices_fops =
	IODMA_SEQ_FOPS(iodma_devices_open);

static const char *const iodma_md_kinds[] = {
	"none", "kmalloc", "vmalloc", "pages", "user", "sg_table", "phys",
};

static const char *const iodma_dirs[] = {
	"bidirectional", "to-device", "from-device", "none",
};

static const char *const iodma_mappings[] = {
	"mapped", "bypassed", "noncoherent", "unmapped",
};

static void iodma_prepared_line(const struct iodma_core_cmd_state *st,
				void *m)
{
	const struct iodma_core_spec *sp = &st->spec;
	unsigned int map = sp->mapping & ~IODMA_CORE_ITERATE_ONLY;

	seq_printf(m, "cmd=%llu device=%s range=%#llx+%#llx nest=%u dir=%s md=%s copy_buffer=%s",
		   st->id, dev_name(st->dev), st->offset, st->length, st->nest,
		   st->dir < ARRAY_SIZE(iodma_dirs) ? iodma_dirs[st->dir] : "?",
		   st->md_kind < ARRAY_SIZE(iodma_md_kinds) ?
		   iodma_md_kinds[st->md_kind] : "?",
		   st->copy_buffer ? "yes" : "no");
	seq_printf(m, " spec=format:%u,address_bits:%u,max_segment:%#llx,max_transfer:%#llx,alignment:%u/%u/%u,boundary:%#llx,mapping:%s%s\n",
		   sp->format, sp->address_bits, sp->max_segment_size,
		   sp->max_transfer_size, sp->alignment, sp->alignment_length,
		   sp->alignment_internal, sp->segment_boundary,
		   map < ARRAY_SIZE(iodma_mappings) ? iodma_mappings[map] : "?",
		   sp->mapping & IODMA_CORE_ITERATE_ONLY ? "+iterate-only" : "");
}

static int iodma_prepared_show(struct seq_file *m, void *unused)
{
	iodma_core_for_each_prepared(iodma_prepared_line, m);
	return 0;
}

static int iodma_prepared_open(struct inode *inode, struct file *file)
{
	return single_open(file, iodma_prepared_show, NULL);
}

static const struct file_operations iodma_prepared_fops =
	IODMA_SEQ_FOPS(iodma_prepared_open);

/**
 * iodma_stats_read() - the counters that /sys/kernel/debug/iodma/ shows
 * @dev: a device, or NULL for every command ever created
 * @out: receives the counters
 *
 * For the KUnit suites, which check that the counters move as the
 * operations say.
 *
 * Context: Any context; takes the statistics lock with interrupts off.
 * Return: 0; -ENODATA when @dev has no live command (its counts have gone
 * to the global ones); -EINVAL for a NULL @out.
 */
int iodma_stats_read(struct device *dev, struct iodma_core_stats *out)
{
	return iodma_core_stats_read(dev, out);
}
EXPORT_SYMBOL_NS_GPL(iodma_stats_read, IODMA);

void iodma_debugfs_init(void)
{
	/* debugfs failures are not errors: iodma works without it. */
	iodma_debugfs_dir = debugfs_create_dir("iodma", NULL);
	debugfs_create_file_unsafe("stats", 0444, iodma_debugfs_dir, NULL,
				   &iodma_stats_fops);
	debugfs_create_file_unsafe("devices", 0444, iodma_debugfs_dir, NULL,
				   &iodma_devices_fops);
	debugfs_create_file_unsafe("prepared", 0444, iodma_debugfs_dir, NULL,
				   &iodma_prepared_fops);
}

void iodma_debugfs_exit(void)
{
	debugfs_remove_recursive(iodma_debugfs_dir);
}
