// SPDX-License-Identifier: GPL-2.0
/*
 * iodma's trace events, defined here and only here (src/shim/trace.h), and
 * the Linux side of the core's copy-buffer event.
 */
#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/string.h>

#include "../core/core_api.h"
#include "../core/platform.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * Runs only inside an enabled event: reads the command through the core,
 * never changes it.
 */
void iodma_trace_view(const struct iodma_cmd *cmd, struct iodma_trace_view *v)
{
	struct iodma_core_cmd_state st;

	memset(v, 0, sizeof(*v));
	if (iodma_core_cmd_snapshot(cmd, &st)) {
		strscpy(v->dev, "-", sizeof(v->dev));
		v->dir = DMA_NONE;
		return;
	}
	strscpy(v->dev, dev_name(st.dev), sizeof(v->dev));
	v->id = st.id;
	v->mapping = st.spec.mapping;
	v->dir = st.md_kind ? st.dir : DMA_NONE;
	v->nest = st.nest;
	v->copy_buffer = st.copy_buffer;
}

void iodma_plat_event_copy_buffer(void *dev, unsigned long long cmd_id,
				  unsigned long long offset,
				  unsigned long long length, int dir,
				  unsigned int reason, int result)
{
	trace_copy_buffer(dev_name(dev), cmd_id, offset, length, dir, reason,
			  result);
}
