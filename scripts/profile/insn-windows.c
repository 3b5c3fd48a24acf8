// SPDX-License-Identifier: GPL-2.0
/*
 * insn-windows: a QEMU TCG plugin that counts the guest instructions
 * executed between two marker instructions, per translation block.
 *
 * The guest opens a window with a no-op marker and closes it with another:
 * on x86 "xchg %bx,%bx" (66 87 db) and "xchg %cx,%cx" (66 87 c9), on arm64
 * "orr x1, x1, x1" (aa010021) and "orr x2, x2, x2" (aa020042), which no
 * compiler emits. An instruction matches by its size and bytes; an x86-64
 * decoder reads 21 00 and 42 00 02 as whole instructions, so no 4-byte x86
 * instruction has an arm64 marker's bytes and one plugin serves both
 * guests. Inside a window, every translation block the marking vCPU
 * starts is written to the output file
 * as "<vaddr hex> <instructions>"; each window starts with a line
 * "window <n>" and ends with "end <n> <instructions>".
 * scripts/profile-report.py names the blocks after the guest's symbols.
 *
 * A block is counted whole when it starts, so the few instructions after
 * the closing marker in its block are counted and those after the opening
 * one are not; an interrupt taken inside a window is counted too (take the
 * window with the fewest instructions of several). Use it with one vCPU
 * (or -icount): callbacks are not serialised otherwise.
 *
 * Usage: qemu-system-x86_64 (or -aarch64) -plugin insn-windows.so,out=FILE ...
 * The few plugin API declarations are written here from QEMU's documented
 * plugin interface (API version 1, QEMU 7.2), since Debian ships no header.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_info_t;
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*vcpu_udata_cb)(unsigned int vcpu, void *udata);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *udata);
enum { CB_NO_REGS = 0 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  vcpu_udata_cb cb, int flags,
					  void *udata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    vcpu_udata_cb cb, int flags,
					    void *udata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb,
				    void *udata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
						 size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct block {
	uint64_t vaddr;
	uint64_t insns;
};

static FILE *out;
static bool open_window;
static unsigned int window_vcpu, windows;
static uint64_t window_insns;

struct mark {
	size_t size;
	unsigned char bytes[4];
};

/* Per architecture: the opening marker, then the closing one. */
static const struct mark marks[][2] = {
	{ { 3, { 0x66, 0x87, 0xdb } }, { 3, { 0x66, 0x87, 0xc9 } } },
	/* arm64, little-endian */
	{ { 4, { 0x21, 0x00, 0x01, 0xaa } }, { 4, { 0x42, 0x00, 0x02, 0xaa } } },
};

static void on_open(unsigned int vcpu, void *udata)
{
	(void)udata;
	if (open_window)
		fprintf(out, "nested window ignored\n");
	open_window = true;
	window_vcpu = vcpu;
	window_insns = 0;
	fprintf(out, "window %u\n", windows);
}

static void on_close(unsigned int vcpu, void *udata)
{
	(void)udata;
	if (!open_window || vcpu != window_vcpu)
		return;
	open_window = false;
	fprintf(out, "end %u %" PRIu64 "\n", windows++, window_insns);
}

static void on_block(unsigned int vcpu, void *udata)
{
	const struct block *b = udata;

	if (!open_window || vcpu != window_vcpu)
		return;
	window_insns += b->insns;
	fprintf(out, "%" PRIx64 " %" PRIu64 "\n", b->vaddr, b->insns);
}

/* 0: opens a window, 1: closes one, -1: no marker. */
static int mark_of(struct qemu_plugin_insn *insn)
{
	size_t size = qemu_plugin_insn_size(insn), a;
	int m;

	for (a = 0; a < sizeof(marks) / sizeof(marks[0]); a++)
		for (m = 0; m < 2; m++)
			if (size == marks[a][m].size &&
			    !memcmp(qemu_plugin_insn_data(insn),
				    marks[a][m].bytes, size))
				return m;
	return -1;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct block *b = malloc(sizeof(*b));

	(void)id;
	if (!b)
		abort();
	/* One per translation, alive as long as the block may run. */
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = n;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, CB_NO_REGS, b);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		int m = mark_of(insn);

		if (m == 0)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_open,
							       CB_NO_REGS, NULL);
		else if (m == 1)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_close,
							       CB_NO_REGS, NULL);
	}
}

static void on_qemu_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	fprintf(out, "windows %u\n", windows);
	fclose(out);
}

__attribute__((visibility("default"))) int
qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
		    int argc, char **argv)
{
	(void)info;
	if (argc != 1 || strncmp(argv[0], "out=", 4)) {
		fprintf(stderr, "insn-windows: usage: -plugin insn-windows.so,out=FILE\n");
		return -1;
	}
	out = fopen(argv[0] + 4, "w");
	if (!out) {
		perror(argv[0] + 4);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
}
