# SPDX-License-Identifier: GPL-2.0
# iodma: one target per job. Scripts print what they do and fail loudly.
#
#   make               modules for KDIR (default: the running kernel)
#   make check         every test: style, host (GoogleTest), KUnit in QEMU
#   make check-host    host tests of the core (ASan + UBSan) and style checks
#   make check-kunit   KUnit suites in every QEMU configuration
#   make clean         remove build products (out/)

KDIR ?= /lib/modules/$(shell uname -r)/build
KREL := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null || echo unknown)
OUT := $(CURDIR)/out

.PHONY: all modules check check-host check-style check-kunit clean

all: modules

modules:
	@scripts/build-modules.sh "$(KDIR)" "$(OUT)/modules-$(KREL)"

check-style:
	@scripts/check-style.sh

check-host: check-style
	@scripts/check-host.sh

check-kunit:
	@scripts/check-kunit.sh

# Every stage runs even when an earlier one fails; the summary counts a
# stage that produced no result as one failure.
check:
	@rm -rf $(OUT)/results
	-@scripts/check-style.sh
	-@scripts/check-host.sh
	-@scripts/check-kunit.sh
	@scripts/summary.sh $(OUT)/results style host kunit

clean:
	rm -rf $(OUT)
