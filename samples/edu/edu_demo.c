// SPDX-License-Identifier: GPL-2.0
/*
 * edu-demo: drive /dev/edu-dma through every buffer kind, size and
 * direction and print one line per transfer:
 *   DEMO|config|kind|size|direction|segments|gen calls|copy buffer|us|OK
 * then "DEMO-DONE pass=N fail=M". User memory goes through write()/read()
 * (DMA straight from/to these pages); kernel buffers through an ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "edu_dma_uapi.h"

static const char *const kinds[] = { "user", "kmalloc", "vmalloc", "pages" };
static int pass, fail;

static unsigned char pat(unsigned long long i, unsigned int seed)
{
	return (unsigned char)(i * 131 + seed * 7 + (i >> 8));
}

static void row(const char *cfg, const struct edu_xfer *x, int ok)
{
	printf("DEMO|%s|%s|%llu|%s|%u|%u|%s|%llu|%s\n", cfg, kinds[x->kind],
	       (unsigned long long)x->size,
	       x->dir == EDU_TO_DEVICE ? "to-device" : "from-device",
	       x->segments, x->gen_calls, x->copy_buffer ? "yes" : "no",
	       (unsigned long long)(x->ns / 1000), ok ? "OK" : "FAIL");
	fflush(stdout);
	if (ok)
		pass++;
	else
		fail++;
}

/* write() then read() back through the device, from/to user pages. */
static void user_xfer(int fd, const char *cfg, size_t size, unsigned int seed)
{
	unsigned char *out = malloc(size), *in = malloc(size);
	struct edu_xfer x;
	ssize_t n;
	size_t i;
	int ok;

	for (i = 0; i < size; i++)
		out[i] = pat(i, seed);
	n = write(fd, out, size);
	memset(&x, 0, sizeof(x));
	ioctl(fd, EDU_IOC_LAST, &x);
	x.kind = EDU_KIND_USER;
	x.dir = EDU_TO_DEVICE;
	x.size = size;
	row(cfg, &x, n == (ssize_t)size && x.result == 0);

	memset(in, 0, size);
	n = read(fd, in, size);
	memset(&x, 0, sizeof(x));
	ioctl(fd, EDU_IOC_LAST, &x);
	x.kind = EDU_KIND_USER;
	x.dir = EDU_FROM_DEVICE;
	x.size = size;
	ok = n == (ssize_t)size && x.result == 0 && !memcmp(in, out, size);
	row(cfg, &x, ok);
	free(out);
	free(in);
}

static void kernel_xfer(int fd, const char *cfg, unsigned int kind,
			unsigned int dir, size_t size, unsigned int seg_array,
			unsigned int seed)
{
	struct edu_xfer x = { .kind = kind, .dir = dir, .size = size,
			      .seg_array = seg_array, .seed = seed };
	int err = ioctl(fd, EDU_IOC_XFER, &x);

	if (err)
		x.result = -errno;
	row(cfg, &x, !err && x.result == 0);
	if (x.result)
		fprintf(stderr, "edu-demo: %s %s %zu: error %d\n", kinds[kind],
			dir == EDU_TO_DEVICE ? "to-device" : "from-device",
			size, x.result);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 1, 4096, 65536 };
	const char *cfg = argc > 1 ? argv[1] : "?";
	unsigned int seed = 1, k, d, s;
	int fd = open("/dev/edu-dma", O_RDWR);

	if (fd < 0) {
		perror("edu-demo: /dev/edu-dma");
		printf("DEMO-DONE pass=0 fail=1\n");
		return 1;
	}
	for (s = 0; s < 3; s++)
		user_xfer(fd, cfg, sizes[s], seed++);
	for (k = EDU_KIND_KMALLOC; k <= EDU_KIND_PAGES; k++)
		for (s = 0; s < 3; s++)
			for (d = EDU_TO_DEVICE; d <= EDU_FROM_DEVICE; d++)
				kernel_xfer(fd, cfg, k, d, sizes[s], 0, seed++);
	/* 1 MiB through a 2-entry segment array: many gen_segments calls. */
	kernel_xfer(fd, cfg, EDU_KIND_KMALLOC, EDU_TO_DEVICE, 1 << 20, 2,
		    seed++);
	close(fd);
	printf("DEMO-DONE pass=%d fail=%d\n", pass, fail);
	return fail ? 1 : 0;
}
