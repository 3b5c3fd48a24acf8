// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit environment for iodma: the runner passes the name of the QEMU
 * configuration, so tests know independently of iodma what the platform
 * does (IOMMU or not), and find the edu device.
 */
#include <linux/dma-direct.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/iodma.h>
#include <linux/ioport.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swiotlb.h>
#include <linux/umh.h>

#include "kunit_env.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

static char *config;
module_param(config, charp, 0444);
MODULE_PARM_DESC(config, "QEMU configuration name: direct, swiotlb, iommu-strict, iommu-lazy, smp4");

/*
 * How many bytes of each case's log this kernel's KUnit keeps for its
 * debugfs results (0: all of them). Where there is a limit (6.1's
 * KUNIT_LOG_SIZE), the runner (scripts/qemu/init) also hands over the
 * kernel log, from which the host reads the full results
 * (scripts/lib/ktap-from-kmsg.py).
 */
#ifdef KUNIT_LOG_SIZE
static unsigned int log_limit = KUNIT_LOG_SIZE;
#else
static unsigned int log_limit;
#endif
module_param(log_limit, uint, 0444);
MODULE_PARM_DESC(log_limit, "bytes of each case's log KUnit keeps for debugfs (0: no limit)");

/*
 * Where KUnit runs the suites before the module's parameters are set (6.1
 * runs them as the module comes in, before parse_args()), config= is not
 * there yet: then iodma.config= on the kernel command line, which the
 * runner passes too (scripts/run-qemu.sh).
 */
static DEFINE_MUTEX(iodma_kunit_cmdline_lock);
static char iodma_kunit_cmdline_config[32];

/* The value of @key (e.g. "iodma.config=") on the command line into @out. */
static void iodma_kunit_cmdline_read(const char *key, char *out, size_t size)
{
	struct file *f;
	char *buf, *p;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open("/proc/cmdline", O_RDONLY, 0);
	if (IS_ERR(f))
		return;
	buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	n = buf ? kernel_read(f, buf, PAGE_SIZE - 1, &pos) : 0;
	p = n > 0 ? strstr(buf, key) : NULL;
	if (p) {
		p += strlen(key);
		strscpy(out, p, min(size, strcspn(p, "\n\t ") + 1));
	}
	kfree(buf);
	filp_close(f, NULL);
}

static const char *iodma_kunit_cmdline(void)
{
	mutex_lock(&iodma_kunit_cmdline_lock);
	if (!iodma_kunit_cmdline_config[0])
		iodma_kunit_cmdline_read("iodma.config=",
					 iodma_kunit_cmdline_config,
					 sizeof(iodma_kunit_cmdline_config));
	mutex_unlock(&iodma_kunit_cmdline_lock);
	return iodma_kunit_cmdline_config[0] ? iodma_kunit_cmdline_config :
					       "direct";
}

int iodma_kunit_expect_coherent(void)
{
	char v[4] = "";

	mutex_lock(&iodma_kunit_cmdline_lock);
	iodma_kunit_cmdline_read("iodma.coherent=", v, sizeof(v));
	mutex_unlock(&iodma_kunit_cmdline_lock);
	if (!strcmp(v, "1"))
		return 1;
	return strcmp(v, "0") ? -1 : 0;
}

unsigned int iodma_kunit_stress_cycles(void)
{
	char v[12] = "";
	unsigned int n;

	mutex_lock(&iodma_kunit_cmdline_lock);
	iodma_kunit_cmdline_read("iodma.stress_cycles=", v, sizeof(v));
	mutex_unlock(&iodma_kunit_cmdline_lock);
	return v[0] && !kstrtouint(v, 10, &n) ? n : 0;
}

bool iodma_kunit_expect_physical_refused(u32 mapping)
{
	u32 mode = mapping & ~IODMA_ITERATE_ONLY;

	if (mode != IODMA_BYPASSED && mode != IODMA_UNMAPPED)
		return false;
	return iodma_kunit_expect_translated() ||
	       iodma_kunit_expect_coherent() == 0;
}

const char *iodma_kunit_config(void)
{
	return config ?: iodma_kunit_cmdline();
}

bool iodma_kunit_expect_translated(void)
{
	/* iommu-* on x86 (Intel VT-d), smmuv3* on arm64. */
	return strncmp(iodma_kunit_config(), "iommu", 5) == 0 ||
	       strncmp(iodma_kunit_config(), "smmu", 4) == 0;
}

static void iodma_kunit_put_pci(void *pdev)
{
	pci_dev_put(pdev);
}

void iodma_kunit_cmd_destroy(void *cmd)
{
	iodma_cmd_destroy(cmd);
}

struct iodma_cmd *iodma_kunit_cmd(struct kunit *test, struct device *dev,
				  const struct iodma_spec *spec)
{
	struct iodma_cmd *cmd = iodma_cmd_create(dev, spec, 0, GFP_KERNEL);

	if (!IS_ERR_OR_NULL(cmd) &&
	    kunit_add_action_or_reset(test, iodma_kunit_cmd_destroy, cmd))
		return ERR_PTR(-ENOMEM);
	return cmd;
}

void iodma_kunit_md_put(void *md)
{
	iodma_md_put(md);
}

/*
 * The tests use edu as its driver would: bound. A PCI device gets its DMA
 * configuration when a driver binds to it (pci_dma_configure()); on a
 * device-tree machine (arm64's virt) only then do the IOMMU, the DMA ops
 * and the coherence of the host bridge reach it, and an unbound edu does
 * raw physical DMA that the SMMU blocks, as if it were coherent or not by
 * accident. This driver does nothing but bind. It is registered on first
 * use, from a test, and without an owner: where KUnit runs a module's
 * suites while the module is still coming in (6.1), its sysfs directory,
 * which an owner's driver links to, does not exist yet; it is unregistered
 * when this module unloads.
 */
static int iodma_kunit_edu_probe(struct pci_dev *pdev,
				 const struct pci_device_id *id)
{
	return 0;
}

static void iodma_kunit_edu_remove(struct pci_dev *pdev)
{
}

static const struct pci_device_id iodma_kunit_edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{}
};

static struct pci_driver iodma_kunit_edu_driver = {
	.name = "iodma_kunit_edu",
	.id_table = iodma_kunit_edu_ids,
	.probe = iodma_kunit_edu_probe,
	.remove = iodma_kunit_edu_remove,
};

static DEFINE_MUTEX(iodma_kunit_edu_lock);
static bool iodma_kunit_edu_registered;

static int iodma_kunit_edu_register(void)
{
	int err = 0;

	mutex_lock(&iodma_kunit_edu_lock);
	if (!iodma_kunit_edu_registered) {
		err = __pci_register_driver(&iodma_kunit_edu_driver, NULL,
					    NULL);
		iodma_kunit_edu_registered = !err;
	}
	mutex_unlock(&iodma_kunit_edu_lock);
	return err;
}

struct device *iodma_kunit_edu_dev(struct kunit *test)
{
	struct pci_dev *pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);

	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev, "no QEMU edu device (-device edu)");
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, iodma_kunit_put_pci, pdev));
	KUNIT_ASSERT_EQ(test, 0, iodma_kunit_edu_register());
	KUNIT_ASSERT_PTR_EQ_MSG(test, READ_ONCE(pdev->dev.driver),
				&iodma_kunit_edu_driver.driver,
				"edu is not bound to the tests' driver");
	return &pdev->dev;
}

static phys_addr_t iodma_kunit_dev_to_phys(struct device *dev, dma_addr_t dma)
{
	struct iommu_domain *d = iommu_get_domain_for_dev(dev);

	if (d && d->type != IOMMU_DOMAIN_IDENTITY)
		return iommu_iova_to_phys(d, dma);
	return dma_to_phys(dev, dma);
}

phys_addr_t iodma_kunit_dev_phys(struct device *dev, u64 dma)
{
	return iodma_kunit_dev_to_phys(dev, dma);
}

bool iodma_kunit_dev_rw(struct device *dev, u64 dma, void *buf, size_t n,
			bool write)
{
	while (n) {
		phys_addr_t phys = iodma_kunit_dev_to_phys(dev, dma);
		size_t off = offset_in_page(phys), k = min(n, PAGE_SIZE - off);
		void *p;

		if (!phys)
			return false;
		p = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));
		if (write)
			memcpy(p + off, buf, k);
		else
			memcpy(buf, p + off, k);
		kunmap_local(p);
		dma += k;
		buf += k;
		n -= k;
	}
	return true;
}

unsigned int iodma_kunit_narrow_mask(struct kunit *test, struct device *dev,
				     unsigned int want)
{
	unsigned int bits;

	for (bits = want; bits < 64; bits++) {
		u64 top = 1ULL << bits;

		/* No memory above 2^bits: nothing left to keep out of reach. */
		if (region_intersects(top, PHYS_ADDR_MAX - top,
				      IORESOURCE_SYSTEM_RAM,
				      IORES_DESC_NONE) == REGION_DISJOINT)
			break;
		if (!dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits))) {
			if (bits != want)
				kunit_info(test, "a %u-bit DMA mask instead of %u: the narrowest this platform gives the device",
					   bits, want);
			return bits;
		}
	}
	KUNIT_FAIL(test,
		   "no DMA mask of %u bits or more with memory above it that the platform accepts",
		   want);
	return 0;
}

bool iodma_kunit_platform_bounces_within(struct device *dev, u64 limit)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	/* is_swiotlb_active(), which not every kernel exports. */
	return mem && mem->nslabs &&
	       phys_to_dma(dev, iodma_kunit_swiotlb_end(dev) - 1) <= limit;
}

phys_addr_t iodma_kunit_swiotlb_end(struct device *dev)
{
#ifdef HAVE_SWIOTLB_DEFPOOL
	return dev->dma_io_tlb_mem->defpool.end;
#else
	return dev->dma_io_tlb_mem->end;
#endif
}

/* ---------------------------------------------------------------------
 * Fallbacks for what this kernel's KUnit lacks (see kunit_env.h).
 */

#ifndef HAVE_KUNIT_ADD_ACTION
/*
 * kunit_add_action_or_reset() on the KUnit resource API: actions run when
 * the test ends, in reverse order of registration interleaved with the
 * other resources (kunit_kzalloc()...), as KUnit's own do; if the action
 * cannot be registered it runs at once. KUnit frees the resource itself
 * after its free function (which must not), so the action lives in the
 * resource's data.
 */
struct iodma_kunit_action {
	kunit_action_t *action;
	void *ctx;
};

static int iodma_kunit_action_init(struct kunit_resource *res, void *a)
{
	res->data = a;
	return 0;
}

static void iodma_kunit_action_free(struct kunit_resource *res)
{
	struct iodma_kunit_action *a = res->data;

	a->action(a->ctx);
	kfree(a);
}

int iodma_kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action,
				    void *ctx)
{
	struct iodma_kunit_action *a = kmalloc(sizeof(*a), GFP_KERNEL);

	if (a) {
		a->action = action;
		a->ctx = ctx;
		if (kunit_alloc_resource(test, iodma_kunit_action_init,
					 iodma_kunit_action_free, GFP_KERNEL, a))
			return 0;
		kfree(a);
	}
	action(ctx);
	return -ENOMEM;
}
#endif /* !HAVE_KUNIT_ADD_ACTION */

/* ---------------------------------------------------------------------
 * User memory for the tests (kunit_env.h). Not KUnit's kunit_vm_mmap()
 * (6.12): the address space it gives the test's thread is never freed.
 * kunit_attach_mm() attaches a new mm with kthread_use_mm(), which takes a
 * reference on the mm_struct (mm_count) that the thread's exit does not
 * drop (exit_mm() drops only the address space's, mm_users); kmemleak
 * then reports every such mm_struct with its page table, mm_count still 1.
 *
 * Here the test's thread adopts the address space of a helper process that
 * only sleeps (busybox, started on first use, killed when this module
 * unloads; mm_alloc() is not exported): a process of its own, never PID
 * 1's. The thread keeps it until it exits, whose exit_mm() puts the
 * address space; the reference kthread_use_mm() took on the mm_struct is
 * dropped when the test ends. Each mapping is unmapped when its test ends.
 */
static DEFINE_MUTEX(iodma_kunit_helper_lock);
static struct task_struct *iodma_kunit_helper;

/* Runs in the new process, before its exec. */
static int iodma_kunit_helper_init(struct subprocess_info *info,
				   struct cred *new)
{
	iodma_kunit_helper = get_task_struct(current);
	return 0;
}

/* The helper's address space, one reference taken; NULL if none. */
static struct mm_struct *iodma_kunit_helper_mm(void)
{
	static const char * const argv[] = { "/bin/busybox", "sleep", "86400",
					     NULL };
	static const char * const envp[] = { "HOME=/", "PATH=/bin", NULL };
	struct subprocess_info *info;
	struct mm_struct *mm = NULL;

	mutex_lock(&iodma_kunit_helper_lock);
	if (!iodma_kunit_helper) {
		/* umh only reads them (kernel_execve() takes them const). */
		info = call_usermodehelper_setup(argv[0], (char **)argv,
						 (char **)envp, GFP_KERNEL,
						 iodma_kunit_helper_init, NULL,
						 NULL);
		if (info && call_usermodehelper_exec(info, UMH_WAIT_EXEC) &&
		    iodma_kunit_helper) {
			put_task_struct(iodma_kunit_helper);
			iodma_kunit_helper = NULL;
		}
	}
	if (iodma_kunit_helper)
		mm = get_task_mm(iodma_kunit_helper);
	mutex_unlock(&iodma_kunit_helper_lock);
	return mm;
}

/* Drops the mm_struct reference kthread_use_mm() took for a test. */
static void iodma_kunit_mmdrop(void *mm)
{
	mmdrop(mm);
}

struct iodma_kunit_mapping {
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long len;
};

/*
 * At the end of the test: in the test's thread (the usual case) or in a
 * kernel thread without an address space, unmap; elsewhere (KUnit cleaning
 * up after an aborted test from the loading process) leave the mapping to
 * the helper's exit.
 */
static void iodma_kunit_munmap(void *p)
{
	struct iodma_kunit_mapping *m = p;

	if (current->mm == m->mm) {
		vm_munmap(m->addr, m->len);
	} else if (!current->mm && (current->flags & PF_KTHREAD)) {
		kthread_use_mm(m->mm);
		vm_munmap(m->addr, m->len);
		kthread_unuse_mm(m->mm);
	}
	mmput(m->mm);
	kfree(m);
}

unsigned long iodma_kunit_vm_mmap(struct kunit *test, struct file *file,
				  unsigned long addr, unsigned long len,
				  unsigned long prot, unsigned long flag,
				  unsigned long offset)
{
	struct iodma_kunit_mapping *m;
	unsigned long uaddr;

	if (!current->mm) {
		struct mm_struct *mm = iodma_kunit_helper_mm();

		if (!mm)
			return 0;
		kthread_use_mm(mm);
		if (kunit_add_action_or_reset(test, iodma_kunit_mmdrop, mm))
			return 0;
	}
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return 0;
	uaddr = vm_mmap(file, addr, len, prot, flag, offset);
	/* As KUnit's: an error from vm_mmap() is returned as it is. */
	if (IS_ERR_VALUE(uaddr)) {
		kfree(m);
		return uaddr;
	}
	m->mm = current->mm;
	mmget(m->mm);
	m->addr = uaddr;
	m->len = len;
	if (kunit_add_action_or_reset(test, iodma_kunit_munmap, m))
		return 0;
	return uaddr;
}

static void iodma_kunit_helper_exit(void)
{
	if (iodma_kunit_helper) {
		send_sig(SIGKILL, iodma_kunit_helper, 1);
		put_task_struct(iodma_kunit_helper);
	}
}

static void __exit iodma_kunit_env_exit(void)
{
	if (iodma_kunit_edu_registered)
		pci_unregister_driver(&iodma_kunit_edu_driver);
	iodma_kunit_helper_exit();
}
module_exit(iodma_kunit_env_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for iodma");
MODULE_IMPORT_NS(IODMA);
