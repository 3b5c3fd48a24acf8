# SPDX-License-Identifier: GPL-2.0
# iodma: one target per job. Scripts print what they do and fail loudly.
#
#   make               modules for KDIR (default: the running kernel)
#   make demo          the edu driver doing real DMA in QEMU on Debian's
#                      stock 6.12 kernel (no kernel build); KERNEL=6.1 for
#                      Debian 12's default 6.1 kernel
#   make bench         iodma against the raw DMA API (typical and best
#                      hand-written paths), instruction counts (QEMU
#                      -icount) and wall clock, on each kernel line: table,
#                      CSV, PNG; KERNEL=6.1 for one line only, ARCH=arm64
#                      for the arm64 line
#   make profile       where one 4 KiB transfer's instructions go, function
#                      by function (QEMU plugin); make bench runs it too
#   make fuzz          the host fuzzer: FUZZ_RUNS executions (default 10
#                      million) or FUZZ_SECONDS (default 3600), the first
#   make check         every test: style, host (GoogleTest), KUnit and the
#                      demo on the test kernel, in QEMU
#   make check-host    host tests of the core (ASan + UBSan) and style checks
#   make check-kunit   KUnit suites in every QEMU configuration, on every
#                      test kernel (scripts/lib/kernels.sh: 6.12 and 6.1)
#   make check-demo    the demo's transfers on each test kernel (checked)
#   make check-nvme    samples/nvme (PRP, SGL, copy buffer, ext2 round trip
#                      with the kernel's nvme driver) in QEMU on every test
#                      kernel (the nvme stage of make check)
#   ARCH=arm64         with check-kunit, check-demo, demo, bench and profile:
#                      the arm64 lines alone (cross-built, QEMU virt);
#                      ARCH=x86_64 likewise
#   make check-arm64   the arm64 part of make check alone: the core-object
#                      checks' tests, KUnit in every arm64 configuration, the
#                      demo, with a summary
#   make install       iodma.ko for KDIR into /lib/modules/<release>/updates,
#                      header + Module.symvers into /usr/src/iodma-<version>,
#                      depmod; DESTDIR= for a staging root
#   make uninstall     remove what make install installed (same KDIR)
#   make install-dkms-source  the DKMS source tree, /usr/src/iodma-<version>
#   make deb           out/deb/iodma-dkms_<version>_all.deb (dpkg-buildpackage)
#   make check-install install + uninstall in a staging root, a client built
#                      against the installed files
#   make check-dkms    the .deb built, DKMS-built for Debian's 6.12 and 6.1
#                      and the edu demo run on each (subset of runs)
#   make docs          Documentation/ as HTML in out/docs/html (Sphinx,
#                      kernel-doc of the header and the shim; warnings fail)
#   make check-docs    the docs stage: render, then judge the reference
#   make check-static  sparse (make C=2) on the C shim and KUnit suites,
#                      clang-tidy (.clang-tidy) on the C++ core
#   make check-trace   the edu demo with iodma's trace events on, every
#                      record matched with the transfers (both test kernels)
#   make clean         remove build products (out/)

KDIR ?= /lib/modules/$(shell uname -r)/build
KREL := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null || echo unknown)
OUT := $(CURDIR)/out

.PHONY: all modules demo bench profile fuzz check check-host check-style check-checkers check-kunit check-demo check-nvme clean
.PHONY: check-arm64
.PHONY: install uninstall install-dkms-source deb check-install check-dkms
.PHONY: docs check-docs check-static check-trace

all: modules

modules:
	@scripts/build-modules.sh "$(KDIR)" "$(OUT)/modules-$(KREL)"

check-style:
	@scripts/check-style.sh

check-host: check-style
	@scripts/check-host.sh

# The checkers' own tests: crafted logs that each must fail (seconds, no QEMU).
check-checkers:
	@scripts/tests/run-checker-tests.sh

# ARCH= chooses the architectures of check-kunit, check-demo, demo, bench
# and profile (scripts/lib/kernels.sh); without it, every architecture's
# lines (make demo and make profile: the first, x86_64).
ARCH ?=
IODMA_ARCH_ENV := $(if $(ARCH),IODMA_ARCHES="$(ARCH)" IODMA_ARCH="$(ARCH)")

check-kunit:
	@$(IODMA_ARCH_ENV) scripts/check-kunit.sh

# Debian 12's stock kernel to run the demo on: 6.12 or 6.1.
KERNEL ?= 6.12
demo:
	@$(IODMA_ARCH_ENV) scripts/demo.sh stock $(KERNEL)

bench:
	@$(IODMA_ARCH_ENV) scripts/bench.sh $(if $(filter command line environment,$(origin KERNEL)),$(KERNEL))

profile:
	@$(IODMA_ARCH_ENV) scripts/profile.sh $(KERNEL)

# The host fuzzer, long (10 million executions, or an hour); make check runs
# it for a minute.
FUZZ_SECONDS ?= 3600
FUZZ_RUNS ?= 10000000
fuzz:
	@FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh $(FUZZ_SECONDS)

check-demo:
	@$(IODMA_ARCH_ENV) scripts/demo.sh test

check-nvme:
	@scripts/check-nvme.sh

install: modules
	@scripts/install.sh install "$(KDIR)" "$(DESTDIR)" "$(OUT)/modules-$(KREL)"

uninstall:
	@scripts/install.sh uninstall "$(KDIR)" "$(DESTDIR)"

install-dkms-source:
	@scripts/install-dkms-source.sh "$(DESTDIR)"

deb:
	@scripts/build-deb.sh

check-install:
	@scripts/check-install.sh

check-dkms:
	@scripts/check-dkms.sh

docs:
	@scripts/docs.sh

check-docs:
	@scripts/check-docs.sh

check-static:
	@scripts/check-static.sh

check-trace:
	@scripts/check-trace.sh

# Every stage, in three lanes side by side (scripts/check-all.sh: each
# stage's output printed whole when it ends); every stage runs even when an
# earlier one fails; the summary counts a stage that produced no result as
# one failure. IODMA_LANES=1: one stage after the other.
check:
	@scripts/check-all.sh

# The arm64 part of make check on its own.
check-arm64:
	@rm -rf $(OUT)/results
	-@scripts/tests/check-core-object-tests.sh
	-@IODMA_ARCHES=arm64 IODMA_ARCH=arm64 scripts/check-kunit.sh
	-@IODMA_ARCHES=arm64 IODMA_ARCH=arm64 scripts/demo.sh test
	@scripts/summary.sh $(OUT)/results core-object kunit demo

clean:
	rm -rf $(OUT)
