/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iodma's trace events (Documentation/observability.rst): iodma:prepare,
 * iodma:complete, iodma:gen_segments, iodma:synchronize and
 * iodma:copy_buffer. Defined in src/shim/trace.c only; a disabled event
 * costs a patched-out branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM iodma

#if !defined(_IODMA_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IODMA_TRACE_H

#include <linux/tracepoint.h>
#include <linux/types.h>

#ifndef _IODMA_TRACE_VIEW
#define _IODMA_TRACE_VIEW
struct iodma_cmd;

/* What a trace record says about a command, as it is now. */
struct iodma_trace_view {
	char dev[32];		/* dev_name(), cut; "-" for a bad command */
	u64 id;			/* the command's id (0: a bad command) */
	u32 mapping;		/* enum iodma_mapping | IODMA_ITERATE_ONLY */
	u32 dir;		/* enum dma_data_direction of the descriptor */
	u32 nest;		/* prepare nesting, 0 when not prepared */
	bool copy_buffer;	/* the device sees iodma's copy buffer */
};

void iodma_trace_view(const struct iodma_cmd *cmd, struct iodma_trace_view *v);
#endif

#define iodma_show_mapping(m)						\
	__print_symbolic((m) & ~0x40U, { 0, "mapped" }, { 1, "bypassed" }, \
			 { 2, "noncoherent" }, { 3, "unmapped" })
#define iodma_show_dir(d)						\
	__print_symbolic(d, { 0, "bidirectional" }, { 1, "to-device" }, \
			 { 2, "from-device" }, { 3, "none" })

/* prepare and complete: a range of the descriptor, flags and the result. */
DECLARE_EVENT_CLASS(iodma_range_op,
		    TP_PROTO(const struct iodma_cmd *cmd, u64 offset,
			     u64 length, unsigned int flags, int result),
		    TP_ARGS(cmd, offset, length, flags, result),
		    TP_STRUCT__entry(__array(char, dev, 32)
				     __field(u64, cmd)
				     __field(u64, offset)
				     __field(u64, length)
				     __field(unsigned int, flags)
				     __field(u32, mapping)
				     __field(u32, dir)
				     __field(u32, nest)
				     __field(bool, copy_buffer)
				     __field(int, result)),
		    TP_fast_assign(struct iodma_trace_view v;

				   iodma_trace_view(cmd, &v);
				   memcpy(__entry->dev, v.dev, sizeof(v.dev));
				   __entry->cmd = v.id;
				   __entry->offset = offset;
				   __entry->length = length;
				   __entry->flags = flags;
				   __entry->mapping = v.mapping;
				   __entry->dir = v.dir;
				   __entry->nest = v.nest;
				   __entry->copy_buffer = v.copy_buffer;
				   __entry->result = result;),
		    TP_printk("dev=%s cmd=%llu offset=%llu length=%llu flags=%#x mapping=%s%s dir=%s nest=%u copy_buffer=%d result=%d",
			      __entry->dev, __entry->cmd, __entry->offset,
			      __entry->length, __entry->flags,
			      iodma_show_mapping(__entry->mapping),
			      __entry->mapping & 0x40 ? "+iterate-only" : "",
			      iodma_show_dir(__entry->dir), __entry->nest,
			      __entry->copy_buffer, __entry->result));

/* The range asked for (length 0: to the end); nest and copy_buffer after. */
DEFINE_EVENT(iodma_range_op, prepare,
	     TP_PROTO(const struct iodma_cmd *cmd, u64 offset, u64 length,
		      unsigned int flags, int result),
	     TP_ARGS(cmd, offset, length, flags, result));

/* The prepared range before the call; nest after it. */
DEFINE_EVENT(iodma_range_op, complete,
	     TP_PROTO(const struct iodma_cmd *cmd, u64 offset, u64 length,
		      unsigned int flags, int result),
	     TP_ARGS(cmd, offset, length, flags, result));

/* A range of the prepared range (0, 0: all of it), options, result. */
DEFINE_EVENT(iodma_range_op, synchronize,
	     TP_PROTO(const struct iodma_cmd *cmd, u64 offset, u64 length,
		      unsigned int flags, int result),
	     TP_ARGS(cmd, offset, length, flags, result));

/* From @offset of the prepared range to @end: @count of @room segments. */
TRACE_EVENT(gen_segments,
	    TP_PROTO(const struct iodma_cmd *cmd, u64 offset, u64 end,
		     u32 room, u32 count, int result),
	    TP_ARGS(cmd, offset, end, room, count, result),
	    TP_STRUCT__entry(__array(char, dev, 32)
			     __field(u64, cmd)
			     __field(u64, offset)
			     __field(u64, end)
			     __field(u32, room)
			     __field(u32, count)
			     __field(u32, mapping)
			     __field(bool, copy_buffer)
			     __field(int, result)),
	    TP_fast_assign(struct iodma_trace_view v;

			   iodma_trace_view(cmd, &v);
			   memcpy(__entry->dev, v.dev, sizeof(v.dev));
			   __entry->cmd = v.id;
			   __entry->offset = offset;
			   __entry->end = end;
			   __entry->room = room;
			   __entry->count = count;
			   __entry->mapping = v.mapping;
			   __entry->copy_buffer = v.copy_buffer;
			   __entry->result = result;),
	    TP_printk("dev=%s cmd=%llu offset=%llu end=%llu room=%u count=%u mapping=%s copy_buffer=%d result=%d",
		      __entry->dev, __entry->cmd, __entry->offset,
		      __entry->end, __entry->room, __entry->count,
		      iodma_show_mapping(__entry->mapping),
		      __entry->copy_buffer, __entry->result));

/* A prepared range moved (or not, @result) to iodma's copy buffer. */
TRACE_EVENT(copy_buffer,
	    TP_PROTO(const char *dev, u64 cmd, u64 offset, u64 length,
		     int dir, unsigned int reason, int result),
	    TP_ARGS(dev, cmd, offset, length, dir, reason, result),
	    TP_STRUCT__entry(__array(char, dev, 32)
			     __field(u64, cmd)
			     __field(u64, offset)
			     __field(u64, length)
			     __field(int, dir)
			     __field(unsigned int, reason)
			     __field(int, result)),
	    TP_fast_assign(strscpy(__entry->dev, dev, sizeof(__entry->dev));
			   __entry->cmd = cmd;
			   __entry->offset = offset;
			   __entry->length = length;
			   __entry->dir = dir;
			   __entry->reason = reason;
			   __entry->result = result;),
	    TP_printk("dev=%s cmd=%llu offset=%llu length=%llu dir=%s reason=%s result=%d",
		      __entry->dev, __entry->cmd, __entry->offset,
		      __entry->length, iodma_show_dir(__entry->dir),
		      __print_symbolic(__entry->reason, { 0, "spec" },
				       { 1, "unreachable" }, { 2, "forced" }),
		      __entry->result));

#endif /* _IODMA_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
