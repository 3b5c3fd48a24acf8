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
 * OFF and LEN take K and M suffixes; LEN "cycle" is every shape once. The
 * pattern of a byte depends only on its offset on the disk and the seed,
 * so the host and the guest agree without sharing anything but these
 * numbers.
 *
 * Shapes (make_shapes()): every power of two from 4 KiB to 1 MiB, each
 * page-aligned and at a dword or sector offset in memory, and vectored
 * I/O whose pieces leave gaps and sub-page segments. The block layer
 * wants every piece dword-aligned and a whole number of 512-byte sectors
 * long.
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
/*
 * The I/O buffers rotate over windows, each a mapping of its own, touched
 * at once. Half of them start above 256 MiB physical, which a 28-bit
 * engine cannot reach (iodma's copy buffer then takes those I/Os), half
 * below, when the guest lets us tell (root reads the frame numbers in
 * /proc/self/pagemap; pick_windows()). A window holds the largest shape
 * (1 MiB at an offset of 2052).
 */
#define WINDOWS 8
#define WINDOW_STRIDE (2 * MIB)
#define HIGH_PHYS (256 * MIB)
/* At most this many windows' worth is taken looking for high ones. */
#define MAX_CHUNKS 128
#define MAX_PIECES 8

struct piece {
	u64 mem;	/* offset into the buffer */
	u64 len;
};

struct shape {
	char name[16];
	int n;
	struct piece p[MAX_PIECES];
};

/*
 * The vectored shapes: pieces that leave gaps between them and pieces
 * shorter than a page (what NVMe's PRP lists cannot describe: the driver's
 * copy buffer case).
 */
static const struct shape vectored[] = {
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

/* Memory offsets that are not page-aligned: dword, sector and odd dword. */
static const u64 unaligned[] = { 4, 512, 2052 };

/* Every power of two from 4 KiB to 1 MiB, twice, and the vectored shapes. */
#define NSIZES 9
#define MAX_SHAPES (2 * NSIZES + ARRAY_SIZE(vectored))
static struct shape shapes[MAX_SHAPES];
static unsigned int nshapes;

/*
 * The cycle of shapes: pass A has every size, page-aligned and unaligned
 * in turn starting aligned, then two vectored shapes; pass B has every
 * size with the other alignment, then the last vectored shape. So the
 * first 3 MiB (the writes) already hold every size, both alignments and
 * vectored I/O; a whole cycle (the reads) holds every size at both.
 */
static void make_shapes(void)
{
	unsigned int u = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < NSIZES; i++) {
			struct shape *s = &shapes[nshapes++];
			u64 len = 4 * KIB << i;
			u64 mem = 0;

			if ((i + pass) % 2)
				mem = unaligned[u++ % ARRAY_SIZE(unaligned)];
			snprintf(s->name, sizeof(s->name), "%lluk+%llu",
				 len / KIB, mem);
			s->n = 1;
			s->p[0] = (struct piece){ mem, len };
		}
		for (unsigned int v = pass ? 2 : 0; v < (pass ? 3u : 2u); v++)
			shapes[nshapes++] = vectored[v];
	}
}

static u64 mix(u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Byte off of pattern seed: byte off % 8 of the word of its 8-byte unit. */
static u64 pattern_word(u64 seed, u64 off)
{
	return mix((off >> 3) ^ (seed << 48));
}

static u8 pattern(u64 seed, u64 off)
{
	return (u8)(pattern_word(seed, off) >> (8 * (off & 7)));
}

static void fill(u8 *p, u64 len, u64 seed, u64 off)
{
	u64 w = pattern_word(seed, off);

	for (u64 i = 0; i < len; i++) {
		if (((off + i) & 7) == 0)
			w = pattern_word(seed, off + i);
		p[i] = (u8)(w >> (8 * ((off + i) & 7)));
	}
}

static u64 errors;

static void verify(const u8 *p, u64 len, u64 seed,
		   u64 off, const char *what)
{
	u64 w = pattern_word(seed, off);

	for (u64 i = 0; i < len; i++) {
		if (((off + i) & 7) == 0)
			w = pattern_word(seed, off + i);
		if (p[i] == (u8)(w >> (8 * ((off + i) & 7))))
			continue;
		if (errors++ < 5)
			fprintf(stderr,
				"nvme-demo: %s: byte %llu is %#x, want %#x\n",
				what, (unsigned long long)(off + i), p[i],
				pattern(seed, off + i));
	}
}

static u64 shape_len(const struct shape *s)
{
	u64 t = 0;

	for (int i = 0; i < s->n; i++)
		t += s->p[i].len;
	return t;
}

/* A size with K or M suffix, or "cycle": every shape once. */
static u64 parse_size(const char *s)
{
	char *end;
	u64 v = strtoull(s, &end, 0);

	if (!strcmp(s, "cycle")) {
		v = 0;
		for (unsigned int i = 0; i < nshapes; i++)
			v += shape_len(&shapes[i]);
		return v;
	}

	if (*end == 'K' || *end == 'k')
		v *= KIB;
	else if (*end == 'M' || *end == 'm')
		v *= MIB;
	return v;
}

/* The physical address of a touched page, or -1 when it cannot be read. */
static long long phys_of(int pagemap, const void *p)
{
	unsigned long long e;
	long pg = sysconf(_SC_PAGESIZE);
	off_t at = (off_t)((unsigned long)p / pg * sizeof(e));

	if (pagemap < 0 || pread(pagemap, &e, sizeof(e), at) != sizeof(e) ||
	    !(e >> 63) || !(e & ((1ull << 55) - 1)))
		return -1;
	return (long long)((e & ((1ull << 55) - 1)) * pg);
}

/*
 * WINDOWS windows: high ones (first page above HIGH_PHYS) at odd places,
 * low ones at even places. Chunks are taken until both kinds are complete,
 * or, once the high ones are, after 2 * WINDOWS chunks (the low ones are a
 * bonus), or after MAX_CHUNKS; chunks not needed stay mapped meanwhile, so
 * that the allocator does not hand them back, and fill the empty places
 * at the end. Without frame numbers in /proc/self/pagemap (not root: the
 * host) the first WINDOWS chunks. Counts the high windows in *high.
 */
static int pick_windows(u8 *win[WINDOWS], unsigned int *high)
{
	static u8 *spare[MAX_CHUNKS];
	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	unsigned int nhigh = 0, nlow = 0, nspare = 0, i, w, j = 0;

	for (i = 0; i < MAX_CHUNKS; i++) {
		u8 *c = mmap(NULL, WINDOW_STRIDE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		long long pa;

		if (c == MAP_FAILED)
			break;
		pa = phys_of(pagemap, c);
		if (pa >= (long long)HIGH_PHYS && nhigh < WINDOWS / 2)
			win[2 * nhigh++ + 1] = c;
		else if (pa < (long long)HIGH_PHYS && nlow < WINDOWS / 2)
			win[2 * nlow++] = c;
		else
			spare[nspare++] = c;
		if (nhigh + nlow == WINDOWS || (pa < 0 && i + 1 >= WINDOWS) ||
		    (nhigh == WINDOWS / 2 && i + 1 >= 2 * WINDOWS))
			break;
	}
	for (w = 0; w < WINDOWS; w++) {
		if (win[w])
			continue;
		if (j < nspare) {
			win[w] = spare[j++];
			continue;
		}
		win[w] = mmap(NULL, WINDOW_STRIDE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
			      -1, 0);
		if (win[w] == MAP_FAILED)
			return -1;
	}
	for (; j < nspare; j++)
		munmap(spare[j], WINDOW_STRIDE);
	*high = 0;
	for (w = 0; w < WINDOWS; w++)
		*high += phys_of(pagemap, win[w]) >= (long long)HIGH_PHYS;
	if (pagemap >= 0)
		close(pagemap);
	return 0;
}

/* The shapes one after the other over [off, off + len). */
static int run_direct(const char *dev, int write, u64 seed, u64 off,
		      u64 len)
{
	u8 *win[WINDOWS] = { NULL };
	u8 *buf;
	int fd = open(dev, (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	u64 pos = off, ios = 0;
	unsigned int k = 0, high;

	if (fd < 0 || pick_windows(win, &high)) {
		perror(dev);
		return 2;
	}
	buf = win[0];
	while (pos < off + len) {
		struct shape tail = { "tail", 1, { { 0, 0 } } };
		const struct shape *s = &shapes[k++ % nshapes];
		struct iovec iov[MAX_PIECES];
		u64 at = pos;
		ssize_t r;

		buf = win[ios % WINDOWS];
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
	printf("bytes=%llu ios=%llu errors=%llu high-windows=%u\n",
	       (unsigned long long)(pos - off), (unsigned long long)ios,
	       (unsigned long long)errors, high);
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

	make_shapes();
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
