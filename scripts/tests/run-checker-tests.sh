#!/usr/bin/env bash
# Usage: scripts/tests/run-checker-tests.sh
# The checkers' own tests: seconds, no kernel build, no QEMU. Crafted logs
# (scripts/tests/ktap/, scripts/tests/demo/, scripts/tests/trace/,
# scripts/tests/nvme/) go through ktap-check.py, trace-check.py,
# robustness-kunit.py, check-kunit.sh --no-run, run-qemu.sh (with a fake
# QEMU), summary.sh, demo-report.py and nvme-report.py. A good run must pass with exact
# counts; each broken one (missing suite, suite that did not initialise,
# crash mid-suite, log cut short, skipped case, suite- or case-level
# "not ok", stale counts file, crashed checker, empty log, timeout, kmemleak
# not scanned, ...) must fail with its counts and the line saying why.
# scripts/tests/bench/ holds iodma_bench outputs for bench-report.py.
# Writes out/results/checkers ("P F"); ends with the line
# "checker-tests: N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
export PYTHONDONTWRITEBYTECODE=1 # leave no __pycache__ in scripts/
# Under make check these name its guest slots (scripts/check-all.sh): the
# stand-in guests below must not wait for, or hold, a real guest's slot.
unset IODMA_SLOTS IODMA_SLOTS_DIR

scripts=$IODMA_TOP/scripts
data=$scripts/tests
results=$IODMA_TOP/out/results
mkdir -p "$results"
rm -f "$results/checkers"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

p=0 f=0 rc=0 log=/dev/null
why=()

# run LOG CMD...: run CMD, output to LOG, exit status to $rc.
run() {
	log=$1
	shift
	rc=0
	"$@" >"$log" 2>&1 || rc=$?
}
expect_rc() {
	if [ "$rc" != "$1" ]; then why+=("exit status $rc, want $1"); fi
}
# expect_file FILE CONTENT ("-": FILE must not exist)
expect_file() {
	local got
	got=$(cat "$1" 2>/dev/null || echo -)
	if [ "$got" != "$2" ]; then why+=("${1##*/} is '$got', want '$2'"); fi
}
# expect_out TEXT...: lines of the output holding each TEXT
expect_out() {
	local t
	for t in "$@"; do
		if ! grep -qF -- "$t" "$log"; then why+=("no line with '$t'"); fi
	done
}
expect_no() {
	local t
	for t in "$@"; do
		if grep -qF -- "$t" "$log"; then why+=("a line with '$t'"); fi
	done
}
verdict() {
	if [ ${#why[@]} -eq 0 ]; then
		p=$((p + 1))
		echo "PASS checkers: $1"
	else
		f=$((f + 1))
		echo "FAIL checkers: $1:"
		printf '    want: %s\n' "${why[@]}"
		sed 's/^/    | /' "$log"
	fi
	why=()
}

# ktap_case NAME KTAP CONSOLE QEMU_EXIT RC COUNTS TEXT...
# A log directory of the crafted files ("-": absent) and a stale counts file
# "999 0"; ktap-check.py must exit RC, replace the counts with COUNTS, print
# its summary line and a line with each TEXT.
ktap_case() {
	local name=$1 ktap=$2 console=$3 qexit=$4 want_rc=$5 counts=$6
	shift 6
	local d=$tmp/ktap-$name
	mkdir -p "$d"
	[ "$ktap" = - ] || cp "$data/ktap/$ktap" "$d/ktap.log"
	[ "$console" = - ] || cp "$data/ktap/$console" "$d/console.log"
	[ "$qexit" = - ] || echo "$qexit" >"$d/qemu.exit"
	echo "999 0" >"$d/counts"
	run "$d.out" python3 "$scripts/ktap-check.py" --name "kunit[t]" \
		--logdir "$d" --suites-from "$data/ktap/suites"
	expect_rc "$want_rc"
	expect_file "$d/counts" "$counts"
	expect_out "kunit[t]: ${counts% *} passed, ${counts#* } failed" "$@"
	expect_no Traceback
	verdict "ktap-check: $name"
}

c=clean.console
ktap_case good good.ktap $c 0 0 "13 0"
ktap_case missing-suite missing-suite.ktap $c 0 1 "9 1" \
	"FAIL kunit[t]: kernel clean: suite iodma_stale missing from the run"
ktap_case empty-suite empty-suite.ktap $c 0 1 "10 1" \
	"FAIL kunit[t]: iodma_badinput: no test results"
ktap_case suite-init-failure suite-init-failure.ktap $c 0 1 "10 1" \
	"FAIL kunit[t]: iodma_badinput: suite failed to initialize (-19)" \
	"FAIL kunit[t]: iodma_badinput: 0 of 1 planned results reported"
ktap_case suite-never-ran suite-never-ran.ktap $c 0 1 "11 1" \
	"FAIL kunit[t]: iodma_fault: 0 of 1 planned results reported"
ktap_case subtest-without-tests subtest-no-tests.ktap $c 0 1 "10 1" \
	"FAIL kunit[t]: iodma_stale: no test results"
ktap_case param-case-without-params param-no-results.ktap $c 0 1 "10 1" \
	"FAIL kunit[t]: iodma_badinput: badinput_test: no test results"
ktap_case crash-mid-suite crash-mid-suite.ktap $c 0 1 "12 1" \
	"FAIL kunit[t]: iodma_stale: 1 of 2 planned results reported"
ktap_case log-ends-mid-suite log-ends-mid-suite.ktap $c 0 1 "11 2" \
	"FAIL kunit[t]: iodma_xfer: xfer_matrix_test: no result line" \
	"FAIL kunit[t]: iodma_xfer: 1 of 2 planned results reported" \
	"FAIL kunit[t]: iodma_xfer: no suite result line"
ktap_case no-suite-end no-suite-end.ktap $c 0 1 "13 1" \
	"FAIL kunit[t]: iodma_stale: no IODMA-SUITE-END"
ktap_case skipped-case skipped-case.ktap $c 0 1 "12 1" \
	"FAIL kunit[t]: iodma_stale: stale_carry_test skipped: no copy buffer"
ktap_case skipped-param skipped-param.ktap $c 0 1 "12 1" \
	"FAIL kunit[t]: iodma_badinput: badinput_test: user_unmapped skipped"
ktap_case suite-level-not-ok suite-not-ok.ktap $c 0 1 "13 1" \
	"FAIL kunit[t]: iodma_stress: suite reported not ok although none of its cases failed"
ktap_case case-level-not-ok case-not-ok.ktap $c 0 1 "13 1" \
	"FAIL kunit[t]: iodma_xfer: xfer_matrix_test reported not ok"
ktap_case failed-param-counted-once failed-case.ktap $c 0 1 "12 1" \
	"FAIL kunit[t]: iodma_xfer: xfer_matrix_test: vmalloc_from_device failed"
ktap_case duplicate-suite duplicate-suite.ktap $c 0 1 "13 1" \
	"FAIL kunit[t]: suite iodma_stress reported twice"
ktap_case more-results-than-planned extra-results.ktap $c 0 1 "14 1" \
	"FAIL kunit[t]: iodma_stress: 2 results, 1 planned"
ktap_case empty-log empty.ktap $c 0 1 "0 1" \
	"suite iodma_badinput missing" "suite iodma_fault missing" \
	"suite iodma_stale missing" "suite iodma_stress missing" \
	"suite iodma_xfer missing"
ktap_case stale-counts-nothing-run - - - 1 "0 1" \
	"no ktap.log" "no console output" "no QEMU exit status"
ktap_case kernel-crash kernel-crash.ktap crash.console 0 1 "5 1" \
	"kernel clean: run did not complete" "kernel clean: console: [    5.432102] Oops" \
	"kernel clean: suite iodma_stale missing"
ktap_case qemu-timeout good.ktap $c 124 1 "12 1" \
	"FAIL kunit[t]: kernel clean: QEMU timed out (exit 124)"
ktap_case qemu-status-missing good.ktap $c - 1 "12 1" \
	"FAIL kunit[t]: kernel clean: no QEMU exit status"
ktap_case dma-api-errors good.ktap dma-api-errors.console 0 1 "12 1" \
	"FAIL kunit[t]: kernel clean: DMA-API debug error count: 1"
ktap_case lockdep-off good.ktap lockdep-off.console 0 1 "12 1" \
	"FAIL kunit[t]: kernel clean: lockdep debug_locks: 0"
ktap_case kmemleak-not-scanned good.ktap no-kmemleak.console 0 1 "12 1" \
	"FAIL kunit[t]: kernel clean: kmemleak scan not reported"
ktap_case kmemleak-disabled good.ktap kmemleak-off.console 0 1 "12 1" \
	"kernel clean: console: [    1.234568] kmemleak: Kernel memory leak detector disabled"
ktap_case kmemleak-leak good.ktap kmemleak-leak.console 0 1 "12 1" \
	"FAIL kunit[t]: kernel clean: kmemleak: unreferenced object 0xffff888004a1c000 (size 64):"
# The baseline (IODMA-KMEMLEAK-SINCE, scripts/qemu/init): an object the
# report dates before it was allocated during the boot and is passed over;
# one dated at it or later, one without a date, and anything when the
# baseline came after a module loaded still fail.
ktap_case kmemleak-boot-object good.ktap kmemleak-boot-object.console 0 0 "13 0"
ktap_case kmemleak-leak-since-baseline good.ktap kmemleak-leak-since.console 0 1 "12 1" \
	"FAIL kunit[t]: kernel clean: kmemleak: unreferenced object 0xffff888004a1c000 (size 64):"
ktap_case kmemleak-late-baseline good.ktap kmemleak-late-baseline.console 0 1 "12 1" \
	"FAIL kunit[t]: kernel clean: kmemleak baseline taken after a module loaded"
ktap_case kmemleak-undated-object good.ktap kmemleak-undated.console 0 1 "12 1" \
	"FAIL kunit[t]: kernel clean: kmemleak: unreferenced object 0xffff888004a1c000 (size 64):"
ktap_case kmemleak-two-baselines good.ktap kmemleak-two-baselines.console 0 1 "12 1" \
	"FAIL kunit[t]: kernel clean: kmemleak baseline reported twice"
# Kernel messages that fall inside the kmemleak report (the console is
# shared) are judged as anywhere else: a stall notice is no leak, a
# warning still fails.
ktap_case kmemleak-window-kernel-message good.ktap kmemleak-kernel-message.console 0 0 "13 0"
ktap_case kmemleak-window-warning good.ktap kmemleak-warning.console 0 1 "12 1" \
	"kernel clean: console: [   20.123456] WARNING: CPU: 0 PID: 1 at mm/kmemleak.c:123"

# Expected skips (scripts/lib/expected-skips): a case listed for the kernel
# line may skip there, counted neither passed nor failed, listed by name
# (output and LOGDIR/skips); unlisted, or on another line, a skip fails.
# skip_case NAME KTAP KERNEL RC COUNTS SKIPS TEXT... (SKIPS: the skips file)
skip_case() {
	local name=$1 ktap=$2 kernel=$3 want_rc=$4 counts=$5 skips=$6
	shift 6
	local d=$tmp/skip-$name
	mkdir -p "$d"
	cp "$data/ktap/$ktap" "$d/ktap.log"
	cp "$data/ktap/clean.console" "$d/console.log"
	echo 0 >"$d/qemu.exit"
	echo stale >"$d/skips"
	run "$d.out" python3 "$scripts/ktap-check.py" --name "kunit[t]" \
		--logdir "$d" --suites-from "$data/ktap/suites" \
		--kernel "$kernel" --expected-skips "$data/ktap/expected-skips"
	expect_rc "$want_rc"
	expect_file "$d/counts" "$counts"
	expect_file "$d/skips" "$skips"
	expect_out "kunit[t]: ${counts% *} passed, ${counts#* } failed" "$@"
	expect_no Traceback
	verdict "ktap-check: expected skips: $name"
}
tab=$'\t'
skip_case listed-case skipped-case.ktap 6.1 0 "12 0" \
	"iodma_stale.stale_carry_test${tab}no copy buffer in this configuration" \
	"SKIP kunit[t]: iodma_stale.stale_carry_test: no copy buffer in this configuration"
skip_case other-kernel skipped-case.ktap 6.12 1 "12 1" "" \
	"FAIL kunit[t]: iodma_stale: stale_carry_test skipped: no copy buffer"
skip_case listed-param skipped-param.ktap 6.1 0 "12 0" \
	"iodma_badinput.badinput_test${tab}" \
	"SKIP kunit[t]: iodma_badinput.badinput_test: (no reason given)"
lacks="iodma_stale.stale_from_device_test${tab}needs a feature this kernel lacks"
skip_case whole-suite all-skipped-suite.ktap 6.1 0 "10 0" \
	"$lacks
$lacks
iodma_stale.stale_carry_test${tab}no copy buffer in this configuration" \
	"SKIP kunit[t]: iodma_stale.stale_from_device_test: needs a feature this kernel lacks"
skip_case whole-suite-unlisted all-skipped-suite.ktap 9.9 1 "10 3" "" \
	"FAIL kunit[t]: iodma_stale: stale_from_device_test: copy_kmalloc skipped"

# Results from the kernel log (scripts/lib/ktap-from-kmsg.py): where KUnit
# kept only 512 bytes of each case's log for debugfs (6.1), init also hands
# over the kernel log; the suites are read from there, twice in a row gives
# the same, the run's own output is kept in ktap.raw.log. A kernel log cut
# short changes nothing; a skipped parameter (reported "ok" by 6.1's KUnit,
# counted in its case's statistics) is a skip, not a pass.
# kmsg_case NAME KTAP RC COUNTS TEXT...
kmsg_case() {
	local name=$1 ktap=$2 want_rc=$3 counts=$4 i
	shift 4
	local d=$tmp/kmsg-$name
	mkdir -p "$d"
	cp "$data/ktap/$ktap" "$d/ktap.log"
	cp "$data/ktap/clean.console" "$d/console.log"
	echo 0 >"$d/qemu.exit"
	for i in 1 2; do
		run "$d.conv$i" python3 "$scripts/lib/ktap-from-kmsg.py" "$d"
		expect_rc 0
		run "$d.out$i" python3 "$scripts/ktap-check.py" --name "kunit[t]" \
			--logdir "$d" --suites-from "$data/ktap/suites"
		expect_rc "$want_rc"
		expect_file "$d/counts" "$counts"
		expect_out "kunit[t]: ${counts% *} passed, ${counts#* } failed" "$@"
		expect_no Traceback
	done
	if [ -f "$d/ktap.raw.log" ] && ! cmp -s "$d/ktap.raw.log" "$data/ktap/$ktap"; then
		why+=("ktap.raw.log is not the run's output")
	fi
	verdict "ktap-from-kmsg: $name"
}
kmsg_case good kmsg-good.ktap 0 "13 0"
kmsg_case cut-short kmsg-cut.ktap 1 "1 7" \
	"FAIL kunit[t]: iodma_badinput: badinput_test: no test results"
kmsg_case param-skipped kmsg-param-skip.ktap 1 "13 1" \
	"FAIL kunit[t]: iodma_badinput: badinput_test skipped although none of its 3 results failed"

# The suites expected are those kunit_test_suites() registers: in
# declarations/ (every way of declaring them), and in the real kunit/. An
# empty run lists each one as missing.
mkdir -p "$tmp/decl"
run "$tmp/decl.out" python3 "$scripts/ktap-check.py" --name decl \
	--logdir "$tmp/decl" --suites-from "$data/ktap/declarations"
expect_rc 1
expect_out "suite iodma_badinput missing" "suite iodma_fault missing" \
	"suite iodma_stale missing" "suite iodma_stress missing" \
	"suite iodma_xfer missing"
expect_no iodma_unregistered iodma_commented
verdict "ktap-check: suites expected are those registered (declarations/)"
mkdir -p "$tmp/real"
run "$tmp/real.out" python3 "$scripts/ktap-check.py" --name real \
	--logdir "$tmp/real" --suites-from "$IODMA_TOP/kunit"
want=$(cat "$IODMA_TOP"/kunit/*.c | tr '\n' ' ' |
	grep -o 'kunit_test_suites *([^)]*)' | tr -cd '&' | wc -c)
got=$(grep -c 'missing from the run' "$log" || true)
if [ "$want" -eq 0 ] || [ "$got" != "$want" ]; then
	why+=("$want suites registered in kunit/*.c, $got expected")
fi
expect_rc 1
verdict "ktap-check: suites expected are those registered (kunit/)"

# robustness_case NAME RC "CONFIG=KTAP[:CONSOLE] ..." TEXT...
# KTAP "-": the configuration is listed but has no log directory.
robustness_case() {
	local name=$1 want_rc=$2 runs=$3
	shift 3
	local d=$tmp/rob-$name spec cfg ktap console cfgs=()
	mkdir -p "$d"
	for spec in $runs; do
		cfg=${spec%%=*} ktap=${spec#*=} console=clean.console
		case $ktap in *:*) console=${ktap#*:} ktap=${ktap%%:*} ;; esac
		cfgs+=("$cfg")
		[ "$ktap" != - ] || continue
		mkdir -p "$d/$cfg"
		cp "$data/ktap/$ktap" "$d/$cfg/ktap.log"
		cp "$data/ktap/$console" "$d/$cfg/console.log"
		echo 0 >"$d/$cfg/qemu.exit"
	done
	run "$d.out" python3 "$scripts/robustness-kunit.py" "$d" "${cfgs[@]}"
	expect_rc "$want_rc"
	expect_out "$@"
	expect_no Traceback
	verdict "robustness-kunit: $name"
}

all="smp4=good.ktap swiotlb-tiny=good.ktap"
robustness_case good 0 "$all direct=good.ktap" \
	"robustness: swiotlb-exhaustion enomem=5 recovered=yes" \
	"robustness: faults sites=63 injected=63 leaks=0" \
	"robustness: stress cycles=101004 mismatches=0 reports=0" \
	"robustness: bad-inputs cases=3 failed=0" \
	"robustness: stale-data cases=3 failed=0"
expect_no FAIL
verdict "robustness-kunit: good run prints no FAIL"
robustness_case smp4-one-cpu 1 "smp4=one-thread.ktap swiotlb-tiny=good.ktap direct=good.ktap" \
	"FAIL robustness: stress: the stress test ran 1 thread(s) in smp4 (fewer than 2 CPUs online)"
robustness_case missing-suite 1 "$all direct=missing-suite.ktap" \
	"robustness: stale-data cases=3 failed=1" \
	"FAIL robustness: stale-data: iodma_stale missing from direct"
robustness_case empty-suite 1 "$all direct=empty-suite.ktap" \
	"robustness: bad-inputs cases=3 failed=1" \
	"FAIL robustness: bad-inputs: direct: iodma_badinput: no test results"
robustness_case suite-init-failure 1 "$all direct=suite-init-failure.ktap" \
	"robustness: bad-inputs cases=3 failed=1" \
	"FAIL robustness: bad-inputs: direct: iodma_badinput: 0 of 1 planned results"
robustness_case suite-never-ran 1 "$all direct=suite-never-ran.ktap" \
	"robustness: faults sites=42 injected=42 leaks=1" \
	"FAIL robustness: faults: direct: iodma_fault reported no faults figures"
robustness_case crash-mid-suite 1 "$all direct=crash-mid-suite.ktap" \
	"robustness: stale-data cases=3 failed=1" \
	"FAIL robustness: stale-data: direct: iodma_stale: 1 of 2 planned results"
robustness_case log-ends-mid-suite 1 "smp4=good.ktap swiotlb-tiny=log-ends-mid-suite.ktap" \
	"robustness: swiotlb-exhaustion enomem=0 recovered=no" \
	"FAIL robustness: swiotlb-exhaustion: xfer_swiotlb_exhaustion_test did not pass"
robustness_case skipped-case 1 "$all direct=skipped-case.ktap" \
	"robustness: stale-data cases=3 failed=1" \
	"FAIL robustness: stale-data: direct: iodma_stale: stale_carry_test skipped"
robustness_case skipped-param 1 "$all direct=skipped-param.ktap" \
	"robustness: bad-inputs cases=3 failed=1" \
	"FAIL robustness: bad-inputs: direct: iodma_badinput: badinput_test: user_unmapped skipped"
robustness_case suite-level-not-ok 1 "smp4=suite-not-ok.ktap swiotlb-tiny=good.ktap" \
	"FAIL robustness: stress: smp4: iodma_stress: suite reported not ok"
robustness_case empty-log 1 "smp4=empty.ktap swiotlb-tiny=empty.ktap direct=empty.ktap" \
	"robustness: swiotlb-exhaustion enomem=0 recovered=no" \
	"robustness: stress cycles=0 mismatches=0 reports=1" \
	"robustness: bad-inputs cases=0 failed=3" \
	"robustness: stale-data cases=0 failed=3" \
	"FAIL robustness: bad-inputs: iodma_badinput missing from smp4"
robustness_case config-never-ran 1 "smp4=- swiotlb-tiny=good.ktap" \
	"FAIL robustness: runs: smp4: no ktap.log" \
	"FAIL robustness: stress: no stress figures in the smp4 run"
robustness_case stress-kernel-not-clean 1 "smp4=good.ktap:crash.console swiotlb-tiny=good.ktap" \
	"FAIL robustness: stress: smp4 kernel not clean: run did not complete"
robustness_case swiotlb-figures-missing 1 "smp4=good.ktap swiotlb-tiny=no-figures.ktap" \
	"FAIL robustness: swiotlb-exhaustion: no swiotlb-exhaustion figures"
# Without a configuration list, swiotlb-tiny and smp4 are required.
mkdir -p "$tmp/rob-default/direct"
cp "$data/ktap/good.ktap" "$tmp/rob-default/direct/ktap.log"
cp "$data/ktap/clean.console" "$tmp/rob-default/direct/console.log"
echo 0 >"$tmp/rob-default/direct/qemu.exit"
run "$tmp/rob-default.out" python3 "$scripts/robustness-kunit.py" "$tmp/rob-default"
expect_rc 1
expect_out "FAIL robustness: swiotlb-exhaustion: no swiotlb-tiny run" \
	"FAIL robustness: stress: no smp4 run"
verdict "robustness-kunit: default configurations include swiotlb-tiny and smp4"

# check-kunit.sh --no-run in a copy of the tree whose kunit/ is the fixture:
# what it adds up from each configuration's counts (out/kunit/<kernel
# line>/<config>/), and robustness.
# A fake python3 lets ktap-check.py for kunit[direct] crash (no counts) or
# leave garbage; each configuration first holds a stale counts "999 0".
tree=$tmp/tree
mkdir -p "$tree/kunit" "$tmp/bin"
cp -r "$scripts" "$tree/scripts"
cp "$data"/ktap/suites/*.c "$tree/kunit/"
cat >"$tmp/bin/python3" <<EOF
#!/bin/sh
if [ "\${1##*/}" = ktap-check.py ] && [ "\$3" = "kunit[6.12/direct]" ]; then
	case "\${FAKE_KTAP_CHECK:-}" in
	crash) echo "Traceback (most recent call last): simulated" >&2; exit 1 ;;
	garble) echo "12 passed" >"\$5/counts"; exit 1 ;;
	esac
fi
exec $(command -v python3) "\$@"
EOF
chmod +x "$tmp/bin/python3"

# kunit_case NAME RC RESULT FAKE "CONFIG=KTAP ..." TEXT...
# (kernel line KUNIT_LINE, default 6.12)
kunit_case() {
	local name=$1 want_rc=$2 want=$3 fake=$4 runs=$5
	shift 5
	local spec cfg ktap cfgs=() kl=${KUNIT_LINE:-6.12}
	rm -rf "$tree/out"
	for spec in $runs; do
		cfg=${spec%%=*} ktap=${spec#*=}
		cfgs+=("$cfg")
		[ "$ktap" != - ] || continue
		mkdir -p "$tree/out/kunit/$kl/$cfg"
		cp "$data/ktap/$ktap" "$tree/out/kunit/$kl/$cfg/ktap.log"
		cp "$data/ktap/clean.console" "$tree/out/kunit/$kl/$cfg/console.log"
		echo 0 >"$tree/out/kunit/$kl/$cfg/qemu.exit"
		echo "999 0" >"$tree/out/kunit/$kl/$cfg/counts"
	done
	if ! grep -q -- --no-run "$tree/scripts/check-kunit.sh"; then
		# Without --no-run it would build a kernel and boot QEMU.
		log=/dev/null
		why+=("check-kunit.sh has no --no-run: not run")
	else
		run "$tmp/kunit-$name.out" env PATH="$tmp/bin:$PATH" FAKE_KTAP_CHECK="$fake" \
			"$tree/scripts/check-kunit.sh" --no-run --kernel "$kl" "${cfgs[@]}"
		expect_rc "$want_rc"
		expect_file "$tree/out/results/kunit" "$want"
		expect_out "kunit: ${want% *} passed, ${want#* } failed" "$@"
	fi
	verdict "check-kunit --no-run: $name"
}

all="smp4=good.ktap swiotlb-tiny=good.ktap"
kunit_case good 0 "39 0" "" "$all direct=good.ktap"
kunit_case checker-crash-stale-counts 1 "26 1" crash "$all direct=good.ktap" \
	"FAIL kunit[6.12/direct]: ktap-check.py left no valid counts (none; crashed?)"
kunit_case checker-garbled-counts 1 "26 1" garble "$all direct=good.ktap" \
	"FAIL kunit[6.12/direct]: ktap-check.py left no valid counts (12 passed; crashed?)"
kunit_case config-never-ran 1 "26 2" "" "$all direct=-" \
	"FAIL kunit[6.12/direct]: kernel clean: no ktap.log" \
	"FAIL robustness: runs: direct: no ktap.log" \
	"FAIL kunit[6.12]: robustness figures missing or showing a problem"
kunit_case robustness-figures-missing 1 "39 1" "" \
	"smp4=good.ktap swiotlb-tiny=no-figures.ktap direct=good.ktap" \
	"FAIL robustness: swiotlb-exhaustion: no swiotlb-exhaustion figures" \
	"FAIL kunit[6.12]: robustness figures missing or showing a problem"
kunit_case skipped-case 1 "38 2" "" "$all direct=skipped-case.ktap" \
	"FAIL kunit[6.12/direct]: iodma_stale: stale_carry_test skipped" \
	"FAIL robustness: stale-data: direct: iodma_stale: stale_carry_test skipped"
# An expected skip: listed by name once per kernel with its configurations,
# not counted; robustness-kunit.py still fails a skip in its suites.
printf '6.1 iodma_stale.stale_carry_test no copy buffer\n' >>"$tree/scripts/lib/expected-skips"
KUNIT_LINE=6.1 kunit_case expected-skip 1 "50 1" "" \
	"$all direct=skipped-case.ktap iommu-strict=skipped-case.ktap" \
	"skipped on 6.1: iodma_stale.stale_carry_test: no copy buffer in this configuration (direct, iommu-strict)" \
	"kunit 6.1: 50 passed, 1 failed" \
	"FAIL robustness: stale-data: direct: iodma_stale: stale_carry_test skipped"
expect_file "$tree/out/results/kunit-skips" \
	"skipped on 6.1: iodma_stale.stale_carry_test: no copy buffer in this configuration (direct, iommu-strict)"
verdict "check-kunit --no-run: expected skips listed in out/results/kunit-skips"

# run-qemu.sh with a fake QEMU (and dpkg-query, so that nothing is
# installed): an earlier run's outputs, the judges' included, are gone
# before the run, and QEMU's exit status is kept in qemu.exit.
mkdir -p "$tmp/fakebin"
printf '#!/bin/sh\necho "install ok installed"\n' >"$tmp/fakebin/dpkg-query"
# shellcheck disable=SC2016 # expanded by the fake QEMU, not here
# The stand-in QEMU: if FAKE_QEMU_IDLE is 1, says IODMA-IDLE on its
# console first (the first -serial file:PATH; the second serial port is
# the KTAP chardev), as init does before its pause; sleeps
# FAKE_QEMU_SLEEP seconds, exits FAKE_QEMU_EXIT.
cat >"$tmp/fakebin/qemu-system-x86_64" <<'EOF'
#!/bin/sh
con=
while [ $# -gt 0 ]; do
	case $1 in -serial) [ -n "$con" ] || con=${2#file:} ;; esac
	shift
done
[ "${FAKE_QEMU_IDLE:-0}" = 0 ] || echo "IODMA-IDLE 5 s" >>"${con:-/dev/null}"
sleep "${FAKE_QEMU_SLEEP:-0}"
exit "${FAKE_QEMU_EXIT:-0}"
EOF
chmod +x "$tmp/fakebin"/*
qemu_case() {
	local name=$1 status=$2 d=$tmp/qemu-$1 o
	shift 2
	mkdir -p "$d"
	for o in console.log ktap.log qemu.log counts results.ktap; do
		echo stale >"$d/$o"
	done
	echo 0 >"$d/qemu.exit"
	if ! PATH="$tmp/fakebin:$PATH" dpkg-query -W qemu-system-x86 | grep -q 'ok installed'; then
		log=/dev/null
		why+=("the fake dpkg-query is not used: not run (it would install QEMU)")
	else
		run "$d.out" env PATH="$tmp/fakebin:$PATH" FAKE_QEMU_EXIT="$status" \
			"$scripts/run-qemu.sh" direct "$tmp/bzImage" "$tmp/initrd" "$d" iodma 30
		expect_rc "$status"
		for o in console.log ktap.log counts results.ktap; do expect_file "$d/$o" -; done
		expect_file "$d/qemu.exit" "$status"
		if grep -q stale "$d/qemu.log" 2>/dev/null; then why+=("qemu.log is stale"); fi
		run "$d.check" python3 "$scripts/ktap-check.py" --name "kunit[q]" \
			--logdir "$d" --suites-from "$data/ktap/suites"
		expect_rc 1
		expect_file "$d/counts" "0 1"
		expect_out "kernel clean: run did not complete" "$@"
	fi
	verdict "run-qemu: $name"
}
qemu_case stale-outputs-removed 0
qemu_case timeout-recorded 124 "kernel clean: QEMU timed out (exit 124)"

# slot_case NAME SLOTS WAITS: two guests of 2 s each started together with
# IODMA_SLOTS=SLOTS; WAITS of them (0 or 1) must say they waited for a
# slot, and with one slot the second starts when the first has ended.
slot_case() {
	local name=$1 slots=$2 want=$3 d=$tmp/slot-$1 t0 pids=() i n
	mkdir -p "$d"
	t0=$(date +%s)
	for i in 1 2; do
		env PATH="$tmp/fakebin:$PATH" FAKE_QEMU_SLEEP=2 IODMA_SLOTS="$slots" \
			IODMA_SLOTS_DIR="$d/slots" "$scripts/run-qemu.sh" direct \
			"$tmp/bzImage" "$tmp/initrd" "$d/run$i" iodma 30 >"$d/out$i" 2>&1 &
		pids+=($!)
	done
	rc=0
	for i in "${pids[@]}"; do wait "$i" || rc=$?; done
	log=$d/out1
	expect_rc 0
	n=$(cat "$d/out1" "$d/out2" | grep -c 'waited [0-9]* s for a guest slot' || true)
	[ "$n" = "$want" ] || why+=("$n runs waited for a slot, want $want")
	if [ "$want" = 1 ] && [ $(( $(date +%s) - t0 )) -lt 4 ]; then
		why+=("both 2 s guests ran at once with one slot")
	fi
	verdict "run-qemu: $name"
}
slot_case one-slot-one-at-a-time 1 1
slot_case two-slots-both-at-once 2 0

# One slot; the first guest says IODMA-IDLE at once and then runs 5 s
# more, the second starts once the first has its slot: the second must
# get the slot and end first (without the handover it would wait for the
# whole first run).
idle_case() {
	local d=$tmp/slot-idle i t pids=()
	mkdir -p "$d"
	for i in 1 2; do
		if [ "$i" = 2 ]; then
			for t in $(seq 50); do
				[ -e "$d/run1/console.log" ] && break
				sleep 0.1
			done
		fi
		(
			env PATH="$tmp/fakebin:$PATH" FAKE_QEMU_SLEEP=$((i == 1 ? 5 : 0)) \
				FAKE_QEMU_IDLE=$((i == 1)) IODMA_SLOTS=1 IODMA_SLOTS_DIR="$d/slots" \
				"$scripts/run-qemu.sh" direct "$tmp/bzImage" "$tmp/initrd" \
				"$d/run$i" iodma 30 >"$d/out$i" 2>&1
			echo "$?" >"$d/rc$i"
			date +%s.%N >"$d/end$i"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	log=$d/out1
	rc=$(cat "$d/rc1" "$d/rc2" | sort -u | tr -d '\n')
	expect_rc 0
	grep -q 'waited [0-9]* s for a guest slot' "$d/out2" ||
		why+=("the second guest did not wait for the slot")
	awk -v a="$(cat "$d/end2")" -v b="$(cat "$d/end1")" 'BEGIN { exit !(a < b) }' ||
		why+=("the second guest did not end first: the idle guest kept its slot")
	verdict "run-qemu: idle-guest-gives-back-its-slot"
}
idle_case

# summary_case NAME RC LAST FAIL_TEXT STAGE=CONTENT... (CONTENT "-": no file)
summary_case() {
	local name=$1 want_rc=$2 last=$3 text=$4 spec stages=()
	shift 4
	local d=$tmp/sum-$name
	mkdir -p "$d"
	for spec in "$@"; do
		# STAGE.lines=...: a stage's per-line file, not a stage
		[[ ${spec%%=*} == *.lines ]] || stages+=("${spec%%=*}")
		[ "${spec#*=}" = - ] || printf '%b\n' "${spec#*=}" >"$d/${spec%%=*}"
	done
	run "$d.out" "$scripts/summary.sh" "$d" "${stages[@]}"
	expect_rc "$want_rc"
	if [ "$(tail -n 1 "$log")" != "$last" ]; then why+=("last line '$last'"); fi
	[ -z "$text" ] || expect_out "$text"
	verdict "summary: $name"
}
summary_case good 0 "23 passed, 0 failed" "" "style=3 0" "checkers=20 0"
summary_case stage-without-result 1 "3 passed, 1 failed" \
	"FAIL host: stage produced no result" "style=3 0" "host=-"
summary_case one-number 1 "3 passed, 1 failed" \
	"FAIL host: garbled result file '5'" "style=3 0" "host=5"
summary_case empty-file 1 "3 passed, 1 failed" \
	"FAIL host: garbled result file ''" "style=3 0" "host="
summary_case trailing-garbage 1 "3 passed, 1 failed" \
	"FAIL host: garbled result file '5 0 x'" "style=3 0" "host=5 0 x"
summary_case no-test-counted 1 "3 passed, 1 failed" \
	"FAIL host: stage counted no test" "style=3 0" "host=0 0"
summary_case no-stage 1 "0 passed, 1 failed" "FAIL summary: no stage given"
# Per kernel line: the stages' STAGE.lines, added up per line.
summary_case per-line 0 "33 passed, 0 failed" \
	"kernel 6.12-arm64 (arm64): 10 passed, 0 failed (kunit 6/0, demo 4/0)" \
	"style=3 0" "kunit=20 0" "kunit.lines=6.12 14 0\n6.12-arm64 6 0" \
	"demo=10 0" "demo.lines=6.12 6 0\n6.12-arm64 4 0"
summary_case per-line-failure 1 "32 passed, 1 failed" \
	"kernel 6.12 (x86_64): 19 passed, 1 failed (kunit 13/1, demo 6/0)" \
	"style=3 0" "kunit=19 1" "kunit.lines=6.12 13 1\n6.12-arm64 6 0" \
	"demo=10 0" "demo.lines=6.12 6 0\n6.12-arm64 4 0"
summary_case per-line-garbled 1 "23 passed, 1 failed" \
	"FAIL kunit: garbled line '6.12 14' in kunit.lines" \
	"style=3 0" "kunit=20 0" "kunit.lines=6.12 14\n6.12-arm64 6 0"
summary_case per-line-nothing-counted 1 "23 passed, 1 failed" \
	"FAIL kernel 6.1: counted no test" \
	"style=3 0" "kunit=20 0" "kunit.lines=6.12 20 0\n6.1 0 0"
summary_case per-line-short 1 "23 passed, 1 failed" \
	"FAIL kunit: kunit.lines adds up to 14 passed, 0 failed, the stage counted 20, 0" \
	"style=3 0" "kunit=20 0" "kunit.lines=6.12 14 0"

# demo_case NAME DEMO CONSOLE QEMU_EXIT RC COUNTS TEXT...
# One run "direct/28" of the crafted files, a stale counts file first.
demo_case() {
	local name=$1 demo=$2 console=$3 qexit=$4 want_rc=$5 counts=$6
	shift 6
	local d=$tmp/demo-$name
	mkdir -p "$d"
	[ "$demo" = - ] || cp "$data/demo/$demo" "$d/ktap.log"
	[ "$console" = - ] || cp "$data/$console" "$d/console.log"
	[ "$qexit" = - ] || echo "$qexit" >"$d/qemu.exit"
	echo "999 0" >"$d.counts"
	run "$d.out" python3 "$scripts/demo-report.py" --debug-kernel \
		--counts "$d.counts" "direct/28=$d"
	expect_rc "$want_rc"
	expect_file "$d.counts" "$counts"
	expect_out "$@"
	expect_no Traceback
	verdict "demo-report: $name"
}
c=demo/good.console
demo_case good good.demo $c 0 0 "26 0" "demo: 25 of 25 transfers OK in 1 runs, 0 problems"
demo_case missing-transfer missing-transfer.demo $c 0 1 "25 1" \
	"FAIL direct/28: 1 of 25 transfers missing"
demo_case duplicate-transfer duplicate-transfer.demo $c 0 1 "25 2" \
	"FAIL direct/28: kmalloc 4 KiB from-device reported twice" \
	"FAIL direct/28: 1 of 25 transfers missing"
demo_case garbled-transfer garbled-transfer.demo $c 0 1 "25 2" \
	"FAIL direct/28: unreadable transfer line"
demo_case failed-transfer failed-transfer.demo $c 0 1 "25 1" \
	"FAIL direct/28: user 4 KiB from-device: FAIL"
demo_case no-demo-done no-done.demo $c 0 1 "26 1" \
	"FAIL direct/28: edu-demo did not report its end"
demo_case qemu-timeout good.demo $c 124 1 "25 1" \
	"FAIL direct/28: kernel not clean: QEMU timed out (exit 124)"
demo_case kernel-crash good.demo ktap/crash.console 0 1 "25 1" \
	"FAIL direct/28: kernel not clean: run did not complete"
demo_case nothing-run - - - 1 "0 26" \
	"FAIL direct/28: 25 of 25 transfers missing" \
	"FAIL direct/28: kernel not clean: no QEMU exit status"

# bench_case NAME LOG QEMU_EXIT RC TEXT...
# bench-report.py over one wall-clock run "direct" of the crafted guest
# output scripts/tests/bench/LOG ("-": none) and an icount run of good.log: a
# complete run passes; an error line from the guest (an iodma or raw (best)
# scaling worker that failed or never started), no raw (best) scaling beside
# iodma's, a missing, failed or zero row, a cut-short or unreadable log, a
# QEMU timeout or no run at all fails, saying why.
bench_case() {
	local name=$1 blog=$2 qexit=$3 want_rc=$4
	shift 4
	local d=$tmp/bench-$name
	mkdir -p "$d/icount" "$d/wall"
	[ "$blog" = - ] || cp "$data/bench/$blog" "$d/wall/ktap.log"
	[ "$qexit" = - ] || echo "$qexit" >"$d/wall/qemu.exit"
	cp "$data/bench/good.log" "$d/icount/ktap.log"
	echo 0 >"$d/icount/qemu.exit"
	run "$d.out" python3 "$scripts/bench-report.py" --no-plot --out "$d" \
		--kernel "6.12 test" "icount:direct=$d/icount" "wall:direct=$d/wall"
	expect_rc "$want_rc"
	expect_out "$@"
	expect_no Traceback
	verdict "bench-report: $name"
}
bench_case good good.log 0 0 "bench: kernel 6.12 test" \
	"bench: mode icount: instructions" "(the targets use this mode)" \
	"bench: ratio-best direct kmalloc 4K 1.78" "bench: ratio direct kmalloc 4K 1.33" \
	"bench: wall-ratio-best direct user 16M 1.00" "bench: wall-ratio direct user 16M 1.00" \
	"bench: scaling direct 2vcpu/1vcpu 1.01 (min 1.01 max 1.01, 3 runs)" \
	"bench: scaling-raw direct 2vcpu/1vcpu 1.92 (min 1.92 max 1.92, 3 runs)" \
	"bench: scaling-of-raw direct iodma/raw 0.53 (min 0.53 max 0.53, 3 runs)" \
	"bench: icount-scaling direct 2vcpu/1vcpu" "bench: subrange direct 64K-of-1G/64K 1.00" \
	"bench: profile-4K icount direct user iodma-best +1521: prepare-(pin+map) +1001 gen-walk +387 complete-unmap +133 (clock read 61)" \
	"bench: target icount ratio-best <= 1.05: 7 of 15 met; worst 1.78 (direct vmalloc 4K)" "bench: 2 runs, 0 problems"
expect_no FAIL
verdict "bench-report: a good run prints no FAIL, kmalloc 16M n/a is expected"
bench_case worker-never-started worker-never-started.log 0 1 \
	"bench: FAIL wall direct: guest: error scaling run 0 threads 2: worker 1 never started" \
	"bench: FAIL wall direct: scaling figure missing"
bench_case scaling-zero old-scaling-zero.log 0 1 \
	"bench: FAIL wall direct: unreadable line: scaling 529707 0" \
	"bench: FAIL wall direct: scaling figure missing"
bench_case raw-scaling-missing raw-scaling-missing.log 0 1 \
	"bench: FAIL wall direct: raw (best) scaling: 0 measurements for 3 of iodma"
bench_case raw-worker-failed raw-worker-failed.log 0 1 \
	"bench: FAIL wall direct: guest: error scaling-raw run 2 threads 2: worker 0 failed: -5"
bench_case row-missing row-missing.log 0 1 "bench: FAIL wall direct: row pages 64K missing"
bench_case row-error row-error.log 0 1 \
	"bench: FAIL wall direct: guest: error row user 4K: iodma failed in iteration 17" \
	"bench: FAIL wall direct: row user 4K missing"
bench_case unexpected-na unexpected-na.log 0 1 \
	"bench: FAIL wall direct: row vmalloc 16M: n/a (allocation failed: -12)"
bench_case zero-time zero-time.log 0 1 "bench: FAIL wall direct: row pages 1M: a time of 0 or no iteration"
bench_case cut-short cut-short.log 0 1 \
	"bench: FAIL wall direct: the benchmark did not reach its end (no 'done')" \
	"bench: FAIL wall direct: sub-range figure missing"
bench_case garbled garbled.log 0 1 \
	"bench: FAIL wall direct: unreadable line: row kmalloc 64K 1593 1883 1 2000"
bench_case qemu-timeout good.log 124 1 "bench: FAIL wall direct: QEMU timed out (exit 124)"
bench_case nothing-run - - 1 "bench: FAIL wall direct: no QEMU exit status" \
	"bench: FAIL wall direct: no ktap.log (the benchmark never ran)"
# nvme_case NAME MODES NVME CONSOLE QEMU_EXIT HOST_CHECK RC COUNTS TEXT...
# One samples/nvme boot "6.12/direct" of crafted files (scripts/tests/nvme/,
# "-": absent; MODES: the host's modes file) through nvme-report.py, a
# stale counts file first.
nvme_case() {
	local name=$1 modes=$2 nvme=$3 console=$4 qexit=$5 host=$6 want_rc=$7
	local counts=$8
	shift 8
	local d=$tmp/nvme-$name/direct
	mkdir -p "$d"
	[ "$modes" = - ] || echo "$modes" >"$d/modes"
	[ "$nvme" = - ] || cp "$data/nvme/$nvme" "$d/ktap.log"
	[ "$console" = - ] || cp "$data/nvme/$console" "$d/console.log"
	[ "$qexit" = - ] || echo "$qexit" >"$d/qemu.exit"
	[ "$host" = - ] || echo "$host" >"$d/host-check"
	echo "999 0" >"$d.counts"
	run "$d.out" python3 "$scripts/nvme-report.py" --debug-kernel \
		--counts "$d.counts" "6.12/direct=$d"
	expect_rc "$want_rc"
	expect_file "$d.counts" "$counts"
	expect_out "$@"
	expect_no Traceback
	verdict "nvme-report: $name"
}
g=good.console h="1 67108864" all="prp sgl prp/28 sgl/28"
nvme_case good "$all" good.nvme $g 0 "$h" 0 "12 0" \
	"nvme: 12 of 12 checks OK in 1 runs"
nvme_case good-two-modes "prp sgl" two-modes.nvme $g 0 "$h" 0 "8 0" \
	"nvme: 8 of 8 checks OK in 1 runs"
nvme_case asked-28-bit-not-run "$all" two-modes.nvme $g 0 "$h" 1 "8 4" \
	"FAIL 6.12/direct: read PRP 28-bit: missing" \
	"FAIL 6.12/direct: write SGL 28-bit: missing"
nvme_case no-modes-file - good.nvme $g 0 "$h" 1 "12 1" \
	"FAIL 6.12/direct: no valid modes file"
nvme_case unknown-mode "prp sgl/64" good.nvme $g 0 "$h" 1 "12 1" \
	"FAIL 6.12/direct: no valid modes file"
nvme_case missing-run "$all" missing-run.nvme $g 0 "$h" 1 "11 1" \
	"FAIL 6.12/direct: write SGL 28-bit: missing"
nvme_case mismatch "$all" mismatch.nvme $g 0 "$h" 1 "11 1" \
	"FAIL 6.12/direct: read PRP: FAIL (copy buffer yes, 9 bounced)"
nvme_case host-image-mismatch "$all" good.nvme $g 0 "0 33554432" 1 "11 1" \
	"FAIL 6.12/direct: host image check: mismatch or missing writes"
nvme_case no-host-check "$all" good.nvme $g 0 - 1 "11 1" \
	"FAIL 6.12/direct: host image check: no result"
nvme_case duplicate-run "$all" duplicate-run.nvme $g 0 "$h" 1 "12 1" \
	"FAIL 6.12/direct: ('read', 'sgl') reported twice"
nvme_case garbled-run "$all" garbled-run.nvme $g 0 "$h" 1 "11 2" \
	"FAIL 6.12/direct: garbled line" \
	"FAIL 6.12/direct: write SGL: missing"
nvme_case dirty-kernel-kasan "$all" good.nvme kasan.console 0 "$h" 1 "11 1" \
	"FAIL 6.12/direct: kernel not clean: console: [  403.100001] BUG: KASAN: slab-out-of-bounds"
nvme_case dirty-kernel-dma-api "$all" good.nvme dma-api.console 0 "$h" 1 "11 1" \
	"FAIL 6.12/direct: kernel not clean: DMA-API debug error count: 2"
nvme_case timeout "$all" cut-short.nvme timeout.console 124 "0 0" 1 "3 9" \
	"FAIL 6.12/direct: write SGL: missing" \
	"FAIL 6.12/direct: kernel not clean: run did not complete" \
	"FAIL 6.12/direct: kernel not clean: QEMU timed out (exit 124)"
nvme_case nothing-run "$all" - - - - 1 "0 12" \
	"FAIL 6.12/direct: read PRP: missing" \
	"FAIL 6.12/direct: kernel not clean: no console output" \
	"FAIL 6.12/direct: kernel not clean: no QEMU exit status"

# check-nvme.sh given a kernel line where a configuration goes: it must stop
# at once, by name, before it builds or boots anything.
run "$tmp/nvme-line-as-config.out" "$scripts/check-nvme.sh" 6.12
expect_rc 1
expect_out "unknown configuration '6.12'" "--kernel LINE picks a kernel line"
expect_no "booting" "building"
verdict "check-nvme: a kernel line given as a configuration"

# sparse_case NAME LOG STATUS RC COUNTS TEXT...
# scripts/sparse-report.py on a crafted `make C=2` log
# (scripts/tests/static/, "-": none) of a build that exited STATUS.
sparse_case() {
	local name=$1 slog=$2 status=$3 want_rc=$4 counts=$5
	shift 5
	local l=$data/static/$slog
	[ "$slog" != - ] || l=$tmp/no-such.log
	run "$tmp/sparse-$name.out" python3 "$scripts/sparse-report.py" --log "$l" \
		--build-dir /BUILD --status "$status" \
		src/shim/cmd.c src/shim/pool.c kunit/xfer_kunit.c
	expect_rc "$want_rc"
	expect_out "sparse: ${counts% *} passed, ${counts#* } failed" "$@"
	expect_no Traceback
	verdict "sparse-report: $name"
}
sparse_case good sparse-good.log 0 0 "4 0" "PASS sparse: src/shim/cmd.c"
sparse_case warning sparse-warning.log 1 1 "3 1" \
	"FAIL sparse: src/shim/cmd.c: diagnostics above" \
	"cmd.c:412:18: warning: incorrect type in initializer (different address spaces)"
sparse_case not-run sparse-not-run.log 0 1 "3 1" \
	"FAIL sparse: src/shim/pool.c: sparse did not run on it (no CHECK line)"
sparse_case header-finding sparse-header.log 1 1 "3 1" \
	"FAIL sparse: 1 diagnostic(s) outside the checked files" \
	"include/linux/iodma.h:120:6: warning: symbol 'iodma_x' redeclared"
sparse_case build-failed sparse-build-failed.log 2 1 "3 1" \
	"FAIL sparse: the module build failed (exit 2) with no diagnostic"
sparse_case no-log - 2 1 "0 4" \
	"FAIL sparse: src/shim/cmd.c: sparse did not run on it" \
	"FAIL sparse: empty or missing build log"

# docs_start NAME SETUP: start scripts/check-docs.sh (Sphinx and
# scripts/docs-check.py) in the background, in a copy of the parts of the
# tree the documentation reads, changed by the function SETUP run inside it
# (crafted inputs in scripts/tests/docs/), a stale result file planted
# first. The copies build in parallel (host_jobs at once): each is a full
# Sphinx run.
docs_start() {
	local t=$tmp/docs-$1
	mkdir -p "$t/src" "$t/out/results"
	cp -r "$IODMA_TOP/Documentation" "$IODMA_TOP/include" "$IODMA_TOP/VERSION" "$t/"
	cp -r "$IODMA_TOP/src/shim" "$t/src/"
	cp -r "$scripts" "$t/scripts"
	echo "999 0" >"$t/out/results/docs"
	(cd "$t" && "$2")
	while [ "$(jobs -rp | wc -l)" -ge "$(host_jobs)" ]; do wait -n || true; done
	(
		r=0
		"$t/scripts/check-docs.sh" >"$t.out" 2>&1 || r=$?
		echo "$r" >"$t.rc"
	) &
}
# docs_case NAME RC RESULT TEXT...: judge the run docs_start NAME started.
docs_case() {
	local name=$1 want_rc=$2 want=$3
	shift 3
	local t=$tmp/docs-$name
	log=$t.out
	rc=$(cat "$t.rc" 2>/dev/null || echo none)
	expect_rc "$want_rc"
	expect_file "$t/out/results/docs" "$want"
	expect_out "docs: ${want% *} passed, ${want#* } failed" "$@"
	expect_no Traceback
	verdict "check-docs: $name"
}
docs_unchanged() { :; }
docs_broken_kdoc() {
	cp "$data/docs/broken_kdoc.c" src/shim/
	printf '\n.. kernel-doc:: src/shim/broken_kdoc.c\n   :export:\n' >>Documentation/reference.rst
}
docs_unlisted() { cp "$data/docs/unlisted.c" src/shim/; }
docs_broken_page() {
	cp "$data/docs/broken-page.rst" Documentation/
	printf '\n.. toctree::\n   :hidden:\n\n   broken-page\n' >>Documentation/index.rst
}
docs_dash_cell() {
	cp "$data/docs/dash-cell.rst" Documentation/
	printf '\n.. toctree::\n   :hidden:\n\n   dash-cell\n' >>Documentation/index.rst
}
docs_types_gone() { sed -i '\|^.. kernel-doc:: include/linux/iodma.h|d' Documentation/reference.rst; }
docs_unlinked() { sed -i '/app.add_transform(IodmaLinks)/d' Documentation/sphinx/iodma_kdoc.py; }
docs_silent_judge() { cp "$data/docs/silent-judge.py" scripts/docs-check.py; }

# What the copies share, installed and extracted once, not by seven at once.
need_pkgs python3-sphinx perl linux-source-6.12 xz-utils
kernel_tools >/dev/null
docs_start good docs_unchanged
docs_start broken-kernel-doc docs_broken_kdoc
docs_start export-not-in-reference docs_unlisted
docs_start page-names-no-such-function docs_broken_page
docs_start mentions-not-linked docs_unlinked
docs_start type-not-in-reference docs_types_gone
docs_start dash-as-empty-list docs_dash_cell
docs_start judge-says-nothing docs_silent_judge
wait
docs_case good 0 "6 0"
docs_case broken-kernel-doc 1 "5 1" \
	"Function parameter or struct member 'gfp' not described in 'iodma_docs_broken'" \
	"No description found for return value of 'iodma_docs_broken'" \
	"FAIL docs: sphinx-build -W, kernel-doc clean"
docs_case export-not-in-reference 1 "5 1" \
	"iodma_docs_unlisted (src/shim/unlisted.c): exported but not in the API reference" \
	"FAIL docs: every exported function in the reference"
docs_case page-names-no-such-function 1 "4 2" \
	"c:func reference target not found: iodma_cmd_no_such" \
	"broken-page.html: iodma_cmd_no_such() is not a link"
docs_case mentions-not-linked 1 "4 2" \
	"porting table: iodma_cmd_clone does not link to reference.html#c.iodma_cmd_clone" \
	"FAIL docs: every mention of an iodma function links to its entry"
docs_case type-not-in-reference 1 "4 2" \
	"iodma_spec (include/linux/iodma.h): documented but not in the API reference" \
	"FAIL docs: every documented type in the reference"
docs_case dash-as-empty-list 1 "5 1" \
	"dash-cell.html: 1 empty list item(s) (a lone '-' in a table cell?)" \
	"FAIL docs: no empty list item"
docs_case judge-says-nothing 1 "1 1" \
	"FAIL docs: scripts/docs-check.py crashed or reported nothing (exit 0)"
# trace_case NAME EDIT RC COUNTS TEXT...: scripts/tests/trace/good.log (six
# edu-demo transfers of a swiotlb/28 run and their trace records) changed
# by the sed script EDIT ("-": unchanged), through trace-check.py.
trace_case() {
	local name=$1 edit=$2 want_rc=$3 counts=$4
	shift 4
	local d=$tmp/trace-$name
	mkdir -p "$d"
	if [ "$edit" = - ]; then
		cp "$data/trace/good.log" "$d/ktap.log"
	else
		sed -e "$edit" "$data/trace/good.log" >"$d/ktap.log"
	fi
	echo "9 9" >"$d.counts"
	run "$d.out" python3 "$scripts/trace-check.py" --counts "$d.counts" "t=$d"
	expect_rc "$want_rc"
	expect_file "$d.counts" "$counts"
	expect_out "$@"
	expect_no Traceback
	verdict "trace-check: $name"
}
t=000000001b3fbe93 # the test command of good.log
trace_case good - 0 "7 0" "trace [t]: 6 transfers, 55 records, 7 passed, 0 failed"
trace_case missing-gen-record "0,/gen_segments: dev=[^ ]* cmd=$t/{//d}" 1 "6 1" \
	"FAIL t: transfer 1 (user 1 to-device): 0 test gen_segments records, the transfer made 1 calls"
trace_case missing-copy-buffer "0,/copy_buffer: dev=[^ ]* cmd=$t/{//d}" 1 "6 1" \
	"FAIL t: transfer 1 (user 1 to-device): 0 test copy_buffer records, want 1"
trace_case missing-synchronize "0,/synchronize: /{//d}" 1 "6 1" \
	"FAIL t: transfer 2 (user 1 from-device): 0 test synchronize records, want 1"
trace_case failed-complete "0,/complete: dev=[^ ]* cmd=$t/{//s/result=0/result=-5/}" 1 "6 1" \
	"FAIL t: transfer 1 (user 1 to-device): test complete 0+1 result -5, want 0+1 result 0"
trace_case wrong-length "0,/prepare: dev=[^ ]* cmd=$t/{//s/length=1 /length=2 /}" 1 "6 1" \
	"FAIL t: transfer 1 (user 1 to-device): test prepare 0+2 result 0, want 0+1 result 0"
trace_case third-command "0,/prepare: dev=[^ ]* cmd=$t/{//{p;s/cmd=$t/cmd=00000000deadbeef/}}" 1 "6 1" \
	"FAIL t: transfer 1 (user 1 to-device): records of a third command"
trace_case overrun "s/overrun=0/overrun=3/" 1 "6 1" "FAIL t: trace: 3 trace records lost (overrun)"
trace_case cut-short "/IODMA-TRACE-END/d" 1 "6 1" "FAIL t: trace: trace cut short"
trace_case untraced-transfer "/DEMO|swiotlb|user|65536|from-device/a DEMO|swiotlb|kmalloc|1|to-device|1|1|yes|1|OK" \
	1 "6 2" "FAIL t: transfer 7 (kmalloc 1 to-device): not traced" \
	"FAIL t: trace: 6 transfers traced, 7 reported"
trace_case no-trace "/IODMA-TRACE-BEGIN/,\$d" 1 "0 7" "FAIL t: trace: no trace (IODMA-TRACE-BEGIN missing)" \
	"FAIL t: transfer 1 (user 1 to-device): not traced"

# check-host.sh in a copy of the tree with stand-ins for cmake, the test
# binary and dpkg-query: a build that fails must fail the stage ("0 1") even
# though the test binary of an earlier build is still there and would pass;
# a build that works runs the tests in two shards and counts them. The
# stand-in binary lists four tests (A.a, A.b, P/B.c/0, P/B.d) and runs its
# shard's share (A.a and P/B.c/0 in shard 0, A.b and P/B.d in shard 1); MODE
# spoils one: a failure, a skip, a crashed shard, a test left out, a test
# not listed, or a binary that lists nothing.
host_case() {
	local name=$1 build_rc=$2 mode=$3 want_rc=$4 counts=$5
	shift 5
	local tree=$tmp/host-$name bin=$tmp/host-$name-bin
	mkdir -p "$tree/out/host" "$tree/out/results" "$bin"
	cp -r "$scripts" "$tree/scripts"
	printf '#!/bin/sh\necho stale binary\n' >"$tree/out/host/iodma_host_tests"
	chmod +x "$tree/out/host/iodma_host_tests"
	echo "999 0" >"$tree/out/results/host"
	printf '#!/bin/sh\necho "ok installed"\n' >"$bin/dpkg-query"
	cat >"$bin/cmake" <<EOF
#!/bin/sh
[ "\$1" = --build ] || exit 0
if [ $build_rc != 0 ]; then
	echo "md.cpp:281:10: error: simulated"
	exit $build_rc
fi
cp "$bin/tests" "\$2/iodma_host_tests"
EOF
	printf '#!/bin/bash\nmode=%s\n' "$mode" >"$bin/tests"
	cat >>"$bin/tests" <<'EOF'
if [ "$1" = --gtest_list_tests ]; then
	[ "$mode" = lists-nothing ] && exit 0
	printf 'A.\n  a\n  b\nP/B.  # TypeParam = x\n  c/0  # GetParam() = 1\n  d\n'
	exit 0
fi
xml=${2#--gtest_output=xml:}
tc() { printf '<testcase name="%s" status="%s" result="%s" classname="%s">%s</testcase>\n' "$@"; }
if [ "$GTEST_SHARD_INDEX" = 0 ] && [ "$mode" = crash ]; then
	echo '==1==ERROR: AddressSanitizer: simulated'
	exit 134
fi
{
	echo '<testsuites>'
	if [ "$GTEST_SHARD_INDEX" = 0 ]; then
		tc a run completed A ''
		if [ "$mode" = failure ]; then
			tc c/0 run completed P/B '<failure message="x"/>'
		else
			tc c/0 run completed P/B ''
		fi
	else
		if [ "$mode" = skip ]; then
			tc b run skipped A '<skipped/>'
		else
			tc b run completed A ''
		fi
		[ "$mode" = left-out ] || tc d run completed P/B ''
		[ "$mode" = unlisted ] && tc e run completed P/B ''
	fi
	echo '</testsuites>'
} >"$xml"
[ "$mode" != failure ] || { echo '[  FAILED  ] P/B.c/0'; exit 1; }
EOF
	chmod +x "$bin"/*
	run "$tmp/host-$name.out" env PATH="$bin:$PATH" IODMA_HOST_JOBS=2 "$tree/scripts/check-host.sh"
	expect_rc "$want_rc"
	expect_file "$tree/out/results/host" "$counts"
	expect_out "$@"
	verdict "check-host: $name"
}
host_case build-fails-stale-binary 2 good 1 "0 1" "host test build failed (exit 2)" "error: simulated"
host_case build-works 0 good 0 "4 0" "host: 4 passed, 0 failed"
host_case failed-test 0 failure 1 "3 1" "host: 3 passed, 1 failed" \
	"FAIL host: P/B.c/0: completed (failure)" "[  FAILED  ] P/B.c/0"
host_case skipped-test 0 skip 1 "3 1" "host: 3 passed, 1 failed" "FAIL host: A.b: skipped"
host_case crashed-shard 0 crash 1 "2 2" "host: 2 passed, 2 failed" "FAIL host: A.a: no result" \
	"host test shard 0 of 2 exited 134" "AddressSanitizer: simulated"
host_case test-left-out 0 left-out 1 "3 1" "host: 3 passed, 1 failed" "FAIL host: P/B.d: no result"
host_case test-not-listed 0 unlisted 1 "4 1" "host: 4 passed, 1 failed" \
	"FAIL host: P/B.e: reported, not listed"
host_case lists-nothing 0 lists-nothing 1 "0 4" "host: 0 passed, 4 failed" "the binary listed no test"

# scripts/probes.sh with a stand-in compiler that fails on a file holding
# "#error" (and on the baseline's stdin when FAKE_BASELINE_FAIL is set): a
# probe that compiles is defined, one that does not is undefined, a second
# run reuses the cache and leaves the header alone, a changed probe is
# judged again, and flags that break even a plain module fail the build.
pt=$tmp/probes
mkdir -p "$pt/probes" "$pt/out"
cat >"$pt/cc" <<'CC'
#!/bin/sh
for a in "$@"; do
	case $a in
	*.c) ! grep -q '#error' "$a" || exit 1 ;;
	-) [ -z "${FAKE_BASELINE_FAIL:-}" ] || exit 1 ;;
	esac
done
exit 0
CC
chmod +x "$pt/cc"
printf 'int a;\n' >"$pt/probes/alpha_feature.c"
printf '#error no such feature\n' >"$pt/probes/beta_feature.c"
probes_run() { run "$pt/run.out" sh -c 'cd "$1" && sh "$2" "$1/probes" "$1/out" "$1/cc" -O2' _ "$pt" "$scripts/probes.sh"; }
probes_run
expect_rc 0
expect_out ok
log=$pt/out/iodma_probes.h
expect_out "#define HAVE_ALPHA_FEATURE 1" "/* #undef HAVE_BETA_FEATURE */"
verdict "probes.sh: a probe that compiles is defined, one that does not is not"
touch -d '2000-01-01' "$pt/out/iodma_probes.h"
probes_run
expect_out ok
[ "$(stat -c %Y "$pt/out/iodma_probes.h")" = "$(date -d 2000-01-01 +%s)" ] ||
	why+=("an unchanged result rewrote the header")
printf 'int b;\n' >"$pt/probes/beta_feature.c"
probes_run
log=$pt/out/iodma_probes.h
expect_out "#define HAVE_ALPHA_FEATURE 1" "#define HAVE_BETA_FEATURE 1"
verdict "probes.sh: cached per input, a changed probe judged again"
rm -rf "$pt/out"
mkdir -p "$pt/out"
FAKE_BASELINE_FAIL=1 probes_run
expect_out failed "a plain module does not compile with the kernel's flags"
[ ! -f "$pt/out/iodma_probes.h" ] || why+=("a header was written although the baseline failed")
verdict "probes.sh: flags that fail a plain module fail the probes"

# probes-check.sh: the generated header against the expected answers of one
# kernel line; exact counts on the last line, a FAIL line for each wrong
# answer, probe without a row, row without a probe, garbled row or missing
# header.
pc=$tmp/probes-check
mkdir -p "$pc/probes"
: >"$pc/probes/alpha_feature.c"
: >"$pc/probes/beta_feature.c"
printf '#ifndef IODMA_PROBES_H\n#define HAVE_ALPHA_FEATURE 1\n/* #undef HAVE_BETA_FEATURE */\n#endif\n' >"$pc/h"
# probes_check_case NAME EXPECTED-ROWS LAST-LINE TEXT...
probes_check_case() {
	local name=$1 rows=$2 last=$3
	shift 3
	printf '# line feature have\n%b' "$rows" >"$pc/expected"
	run "$pc/$name.out" "$scripts/probes-check.sh" k1 "$pc/h" "$pc/probes" "$pc/expected"
	expect_rc 0
	[ "$(tail -n 1 "$log")" = "$last" ] || why+=("last line '$(tail -n 1 "$log")', want '$last'")
	expect_out "$@"
	verdict "probes-check: $name"
}
probes_check_case good 'k1 alpha_feature yes\nk1 beta_feature no\nk2 alpha_feature no\n' "2 0" \
	"probe k1 alpha_feature: yes as expected" "probe k1 beta_feature: no as expected" \
	"probes k1: 2 passed, 0 failed"
probes_check_case wrong-answer 'k1 alpha_feature no\nk1 beta_feature no\n' "1 1" \
	"FAIL probe k1 alpha_feature: found 'yes', expected 'no'"
probes_check_case no-row 'k1 alpha_feature yes\nk2 beta_feature no\n' "1 1" \
	"FAIL probe k1 beta_feature: found 'no', but expected has no row for it"
probes_check_case no-probe 'k1 alpha_feature yes\nk1 beta_feature no\nk1 gamma_feature yes\n' "2 1" \
	"FAIL probe k1 gamma_feature: a row in expected but no probe gamma_feature.c"
probes_check_case garbled-row 'k1 alpha_feature yes\nk1 beta_feature maybe\n' "1 2" \
	"FAIL probe k1 garbled row in expected" "FAIL probe k1 beta_feature: found 'no', but expected has no row"
printf '#define HAVE_ALPHA_FEATURE 1\n' >"$pc/h"
probes_check_case cut-header 'k1 alpha_feature yes\nk1 beta_feature no\n' "0 1" \
	"FAIL probe k1 no complete $pc/h (the probes did not run)"
rm -f "$pc/h"
probes_check_case no-header 'k1 alpha_feature yes\nk1 beta_feature no\n' "0 1" \
	"FAIL probe k1 no complete $pc/h (the probes did not run)"

# tidy_key (scripts/lib/common.sh), under which check-static.sh keeps clean
# clang-tidy results: the same input in two checkouts gives one key; a
# changed header, a changed NOLINT comment or a changed flag another.
need_pkgs clang-tidy clang
tk=$tmp/tidy-key
for c in a b; do
	mkdir -p "$tk/$c/inc"
	printf 'Checks: "bugprone-*"\n' >"$tk/$c/.clang-tidy"
	printf '#include "h.h"\nint f(int x) { return x + K; } // NOLINT(bugprone-x)\n' >"$tk/$c/f.cpp"
	printf '#define K 1\n' >"$tk/$c/inc/h.h"
done
log=$tmp/tidy-key.out
key() { tidy_key "$tk/$1" "$tk/$1/f.cpp" -I"$tk/$1/inc" "${@:2}" 2>>"$log"; }
k1=$(key a) k2=$(key b)
[ -n "$k1" ] && [ "$k1" = "$k2" ] || why+=("two checkouts of one input: keys '$k1' and '$k2'")
printf '#define K 2\n' >"$tk/b/inc/h.h"
[ "$(key b)" != "$k1" ] || why+=("a changed header kept the key")
printf '#define K 1\n' >"$tk/b/inc/h.h"
sed -i 's/NOLINT(bugprone-x)/NOLINT/' "$tk/b/f.cpp"
[ "$(key b)" != "$k1" ] || why+=("a changed NOLINT comment kept the key")
[ "$(key a -DEXTRA)" != "$k1" ] || why+=("a changed flag kept the key")
verdict "check-static: tidy cache key"

echo "$p $f" >"$results/checkers"
echo "checker-tests: $p passed, $f failed"
[ "$f" -eq 0 ]
