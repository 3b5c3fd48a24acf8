// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-demo: the data-integrity load of samples/nvme, for the guest and
 * the host alike (a static program).
 *
 *   nvme-demo fill  FILE SEED OFF LEN   write the pattern (host: the image)
 *   nvme-demo check FILE SEED OFF LEN   verify it (host: after QEMU exits)
 *   nvme-demo read  DEV  SEED OFF LEN   O_DIRECT reads of every shape,
 *                                        every byte checked
 *   nvme-demo write DEV  SEED OFF LEN   O_DIRECT writes of every shape,
 *                                        then read back and checked
 *   nvme-demo bench DEV  WORKLOAD SECONDS SPAN
 *                                        a load: randread4k-qd1,
 *                                        randread4k-qd32 (32 threads),
 *                                        seqread128k, seqwrite128k over
 *                                        [0, SPAN); prints IOPS and MB/s
 *
 * OFF and LEN take K and M suffixes. The pattern of a byte depends only on
 * its offset on the disk and the seed, so the host and the guest agree
 * without sharing anything but these numbers.
 *
 * Shapes: 4 KiB to 1 MiB, page-aligned and at dword and sector offsets in
 * memory, and vectored I/O whose pieces leave gaps and sub-page segments
 * (what NVMe's PRP lists cannot describe: the driver's copy buffer case).
 * The block layer wants every piece dword-aligned and a whole number of
 * 512-byte sectors long.
 *
 * Prints "bytes=<n> ios=<n> errors=<n>" and exits non-zero on a mismatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

typedef unsigned long long u64;
typedef unsigned char u8;

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define BUF_BYTES (4 * MIB)
/*
 * The I/O buffers rotate over windows of a 256 MiB mapping, all of it
 * touched: in a 1 GiB guest part of it lies above 256 MiB, which a 28-bit
 * engine cannot reach (iodma's copy buffer then takes those I/Os).
 */
#define WINDOWS 8
#define WINDOW_STRIDE (32 * MIB)
#define MAX_PIECES 8

struct piece {
	u64 mem;	/* offset into the buffer */
	u64 len;
};

struct shape {
	const char *name;
	int n;
	struct piece p[MAX_PIECES];
};

static const struct shape shapes[] = {
	{ "4k", 1, { { 0, 4 * KIB } } },
	{ "4k+512", 1, { { 512, 4 * KIB } } },
	{ "64k+4", 1, { { 4, 64 * KIB } } },
	{ "128k", 1, { { 0, 128 * KIB } } },
	{ "1m", 1, { { 0, MIB } } },
	{ "1m+2052", 1, { { 2052, MIB } } },
	{ "vec-gaps", 5, { { 8192 + 4, 512 }, { 3 * 4096, 4096 },
			   { 6 * 4096 + 1024, 1536 }, { 9 * 4096, 8192 },
			   { 13 * 4096 + 400, 512 } } },
	{ "vec-subpage", 8, { { 0 * 4096 + 64, 512 }, { 2 * 4096 + 128, 512 },
			      { 4 * 4096 + 192, 512 }, { 6 * 4096, 512 },
			      { 8 * 4096 + 3584, 512 }, { 10 * 4096 + 8, 512 },
			      { 12 * 4096 + 1000, 512 },
			      { 14 * 4096 + 2048, 512 } } },
	{ "vec-large", 2, { { 4, 64 * KIB }, { 200 * KIB + 512, 60 * KIB } } },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSHAPES ARRAY_SIZE(shapes)

static u64 mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static u8 pattern(u64 seed, u64 off)
{
	return (u8)(mix((off >> 3) ^ (seed << 48)) >> (8 * (off & 7)));
}

static void fill(u8 *p, u64 len, u64 seed, u64 off)
{
	for (u64 i = 0; i < len; i++)
		p[i] = pattern(seed, off + i);
}

static u64 errors;

static void verify(const u8 *p, u64 len, u64 seed,
		   u64 off, const char *what)
{
	for (u64 i = 0; i < len; i++) {
		if (p[i] == pattern(seed, off + i))
			continue;
		if (errors++ < 5)
			fprintf(stderr,
				"nvme-demo: %s: byte %llu is %#x, want %#x\n",
				what, (unsigned long long)(off + i), p[i],
				pattern(seed, off + i));
	}
}

static u64 parse_size(const char *s)
{
	char *end;
	u64 v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v *= KIB;
	else if (*end == 'M' || *end == 'm')
		v *= MIB;
	return v;
}

static u64 shape_len(const struct shape *s)
{
	u64 t = 0;

	for (int i = 0; i < s->n; i++)
		t += s->p[i].len;
	return t;
}

/* The shapes one after the other over [off, off + len). */
static int run_direct(const char *dev, int write, u64 seed, u64 off,
		      u64 len)
{
	u8 *big = mmap(NULL, WINDOWS * WINDOW_STRIDE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	u8 *buf = big;
	int fd = open(dev, (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	u64 pos = off, ios = 0;
	unsigned int k = 0;

	if (big == MAP_FAILED || fd < 0) {
		perror(dev);
		return 2;
	}
	while (pos < off + len) {
		struct shape tail = { "tail", 1, { { 0, 0 } } };
		const struct shape *s = &shapes[k++ % NSHAPES];
		struct iovec iov[MAX_PIECES];
		u64 at = pos;
		ssize_t r;

		buf = big + (ios % WINDOWS) * WINDOW_STRIDE;
		if (shape_len(s) > off + len - pos) {
			/* The tail: one aligned piece, exactly what is left. */
			tail.p[0].len = off + len - pos;
			s = &tail;
		}
		for (int i = 0; i < s->n; i++) {
			iov[i].iov_base = buf + s->p[i].mem;
			iov[i].iov_len = s->p[i].len;
			if (write)
				fill(iov[i].iov_base, s->p[i].len, seed, at);
			else
				memset(iov[i].iov_base, 0xa5, s->p[i].len);
			at += s->p[i].len;
		}
		r = write ? pwritev(fd, iov, s->n, (off_t)pos) :
			    preadv(fd, iov, s->n, (off_t)pos);
		if (r != (ssize_t)shape_len(s)) {
			fprintf(stderr, "nvme-demo: %s %s at %llu: %zd (%s)\n",
				write ? "write" : "read", s->name,
				(unsigned long long)pos, r, strerror(errno));
			errors++;
			break;
		}
		if (!write) {
			at = pos;
			for (int i = 0; i < s->n; i++) {
				verify(iov[i].iov_base, s->p[i].len, seed, at,
				       s->name);
				at += s->p[i].len;
			}
		}
		pos += shape_len(s);
		ios++;
	}
	if (write && !errors) {
		/* Read back what was written, in 128 KiB aligned reads. */
		if (fsync(fd))
			errors++;
		for (u64 p = off; p < off + len; p += 128 * KIB) {
			u64 n = off + len - p < 128 * KIB ?
				     off + len - p : 128 * KIB;

			if (pread(fd, buf, n, (off_t)p) != (ssize_t)n) {
				errors++;
				break;
			}
			verify(buf, n, seed, p, "read-back");
			ios++;
		}
	}
	close(fd);
	printf("bytes=%llu ios=%llu errors=%llu\n",
	       (unsigned long long)(pos - off), (unsigned long long)ios,
	       (unsigned long long)errors);
	return errors ? 1 : 0;
}

/* Plain buffered access to a file or device: the host's side. */
static int run_file(const char *path, int write, u64 seed, u64 off,
		    u64 len)
{
	static u8 buf[MIB];
	int fd = open(path, write ? O_RDWR | O_CREAT : O_RDONLY, 0644);
	u64 p;

	if (fd < 0) {
		perror(path);
		return 2;
	}
	for (p = off; p < off + len; p += sizeof(buf)) {
		u64 n = off + len - p < sizeof(buf) ? off + len - p :
			     sizeof(buf);

		if (write) {
			fill(buf, n, seed, p);
			if (pwrite(fd, buf, n, (off_t)p) != (ssize_t)n)
				errors++;
		} else if (pread(fd, buf, n, (off_t)p) != (ssize_t)n) {
			errors++;
		} else {
			verify(buf, n, seed, p, path);
		}
	}
	if (write && fsync(fd))
		errors++;
	close(fd);
	printf("bytes=%llu errors=%llu\n", (unsigned long long)len,
	       (unsigned long long)errors);
	return errors ? 1 : 0;
}

struct bench {
	const char *dev;
	int write, seq;
	u64 bs, span;
	double end;
	u64 ops;
	int err;
	unsigned int id;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void *bench_thread(void *arg)
{
	struct bench *b = arg;
	u8 *buf = mmap(NULL, b->bs, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int fd = open(b->dev, (b->write ? O_RDWR : O_RDONLY) | O_DIRECT);
	u64 x = 0x12345678u + b->id, pos = 0;

	if (buf == MAP_FAILED || fd < 0) {
		b->err = 1;
		return NULL;
	}
	memset(buf, 0x5a, b->bs);
	while (now() < b->end) {
		ssize_t r;

		if (b->seq) {
			pos = (pos + b->bs) % b->span;
		} else {
			x = mix(x);
			pos = (x % (b->span / b->bs)) * b->bs;
		}
		r = b->write ? pwrite(fd, buf, b->bs, (off_t)pos) :
			       pread(fd, buf, b->bs, (off_t)pos);
		if (r != (ssize_t)b->bs) {
			b->err = 1;
			break;
		}
		b->ops++;
	}
	close(fd);
	return NULL;
}

static int run_bench(const char *dev, const char *w, double secs, u64 span)
{
	struct bench b[32];
	pthread_t t[32];
	int n = 1, err = 0;
	u64 ops = 0, bs = 4 * KIB;
	int write = 0, seq = 0;
	double start;

	if (!strcmp(w, "randread4k-qd32")) {
		n = 32;
	} else if (!strcmp(w, "seqread128k")) {
		bs = 128 * KIB;
		seq = 1;
	} else if (!strcmp(w, "seqwrite128k")) {
		bs = 128 * KIB;
		seq = 1;
		write = 1;
	} else if (strcmp(w, "randread4k-qd1")) {
		fprintf(stderr, "nvme-demo: unknown workload %s\n", w);
		return 2;
	}
	start = now();
	for (int i = 0; i < n; i++) {
		b[i] = (struct bench){ dev, write, seq, bs, span,
				       start + secs, 0, 0, (unsigned int)i };
		if (pthread_create(&t[i], NULL, bench_thread, &b[i]))
			return 2;
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		ops += b[i].ops;
		err |= b[i].err;
	}
	secs = now() - start;
	printf("%s iops=%.0f mbps=%.1f err=%d\n", w, ops / secs,
	       ops * bs / secs / 1e6, err);
	return err;
}

int main(int argc, char **argv)
{
	u64 seed, off, len;

	if (argc == 6 && !strcmp(argv[1], "bench"))
		return run_bench(argv[2], argv[3], strtod(argv[4], NULL),
				 parse_size(argv[5]));

	if (argc != 6) {
		fprintf(stderr, "usage: nvme-demo fill|check|read|write PATH SEED OFF LEN\n");
		return 2;
	}
	seed = strtoull(argv[3], NULL, 0);
	off = parse_size(argv[4]);
	len = parse_size(argv[5]);
	if (!strcmp(argv[1], "fill"))
		return run_file(argv[2], 1, seed, off, len);
	if (!strcmp(argv[1], "check"))
		return run_file(argv[2], 0, seed, off, len);
	if (!strcmp(argv[1], "read"))
		return run_direct(argv[2], 0, seed, off, len);
	if (!strcmp(argv[1], "write"))
		return run_direct(argv[2], 1, seed, off, len);
	fprintf(stderr, "nvme-demo: unknown command %s\n", argv[1]);
	return 2;
}
