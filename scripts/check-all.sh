#!/usr/bin/env bash
# Usage: check-all.sh   (make check)
# Every stage of make check, in three lanes that run side by side, then the
# summary. The host stages are largely single-threaded: one after the other
# the stages left cores idle for a third of the run. The guests of every
# lane share the cores, one per core at a time (IODMA_SLOTS below), and
# every host stage takes one of those slots (HOST_STAGES below).
#   one lane: style, docs, checkers, core-object, host, fuzz, static (last:
#             sparse needs the 6.12 test kernel)
#   then every lane, as it becomes free, the next of: kunit (it builds
#   every test kernel first), demo and trace, nvme, dkms, install (a test
#   kernel that kunit is still building is waited for:
#   build-test-kernel.sh's lock)
# Each stage's output goes to out/logs/<stage>.log and is printed whole when
# the stage ends, so that stages never interleave. Every stage runs even when
# an earlier one fails; a stage that leaves no result in out/results counts
# as one failure in the summary (scripts/summary.sh), which ends the output
# with "N passed, N failed". IODMA_LANES=1 runs the stages one after the
# other in the order above (the same logs and summary).
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"

out=$IODMA_TOP/out
logs=$out/logs
# Every lane's guests share the cores: at most one per core at a time
# (guest_slot in scripts/lib/common.sh; IODMA_SLOTS=0: no limit).
export IODMA_SLOTS=${IODMA_SLOTS:-$(nproc)} IODMA_SLOTS_DIR=$out/slots
# Module builds through ccache under a path that every checkout shares
# (scripts/build-modules.sh): a fresh clone's builds hit the cache.
export IODMA_BUILD_LINKS=${IODMA_BUILD_LINKS:-1}
rm -rf "$out/results" "$logs"
mkdir -p "$out/results" "$logs"
: >"$logs/.print"

# The stages that run on the host's CPUs alone (compilers, checkers, the
# fuzzer): each runs with one job (host_jobs in scripts/lib/common.sh) and
# holds a guest slot while it runs, so that the guests and the host stages
# together never ask for more CPUs than there are. Overcommitted, a TCG
# guest burns more CPU for the same work: in a warm run whose host stages
# rebuilt the host tests beside two guests, the 17 KUnit guests took 875
# CPU-seconds against 661 in a run where they had the cores (smp4's stress
# test three times as long, its four vCPUs taking turns on one thread).
HOST_STAGES="style docs checkers core-object host fuzz static install"

# stage NAME: the command of stage NAME.
stage_cmd() {
	case $1 in
	style) echo scripts/check-style.sh ;;
	docs) echo scripts/check-docs.sh ;;
	static) echo scripts/check-static.sh ;;
	checkers) echo scripts/tests/run-checker-tests.sh ;;
	core-object) echo scripts/tests/check-core-object-tests.sh ;;
	host) echo scripts/check-host.sh ;;
	fuzz) echo "scripts/fuzz.sh 60 $out/results/fuzz" ;;
	kunit) echo scripts/check-kunit.sh ;;
	demo) echo scripts/demo.sh test ;;
	trace) echo scripts/check-trace.sh --from-demo ;;
	nvme) echo scripts/check-nvme.sh ;;
	install) echo scripts/check-install.sh ;;
	dkms) echo scripts/check-dkms.sh ;;
	*) die "unknown stage '$1'" ;;
	esac
}

# run_stage NAME: run it, its output into its log, then print the log whole
# (under a lock: one stage's output at a time), with the wall-clock and CPU
# time it took (out/logs/<stage>.cpu: the CPU seconds).
run_stage() {
	local name=$1 log=$logs/$1.log start rc c0 c1
	start=$(date +%s)
	printf '>> stage %s started\n' "$name" >&2
	: >"$logs/$name.running"
	times >"$logs/$name.times" # (in this shell: a subshell has no children)
	c0=$(child_cpu "$logs/$name.times")
	(
		cd "$IODMA_TOP" || exit 1
		if [[ " $HOST_STAGES " == *" $name "* ]]; then
			# One job in one guest slot, held by this subshell
			# (not by the stage's processes: fd 7 closed for them).
			guest_slot
			export IODMA_HOST_JOBS=1
			read -ra cmd <<<"$(stage_cmd "$name")"
			"${cmd[@]}" 7>&-
		else
			# shellcheck disable=SC2046
			exec $(stage_cmd "$name")
		fi
	) >"$log" 2>&1 </dev/null
	rc=$?
	times >"$logs/$name.times"
	c1=$(child_cpu "$logs/$name.times")
	echo "$((c1 - c0))" >"$logs/$name.cpu"
	rm -f "$logs/$name.running" "$logs/$name.times"
	(
		flock 6
		printf '\n===== stage %s: exit %d after %d s, CPU %d s =====\n' "$name" \
			"$rc" "$(( $(date +%s) - start ))" "$((c1 - c0))"
		cat "$log"
	) 6>>"$logs/.print"
}

# The work: the host stages in a lane of their own, and chains of stages
# (a chain's stages one after the other: trace reads the demo's logs)
# that each lane takes in this order as it becomes free. Fixed lanes left
# the demo lane (demo, trace, nvme, install, dkms: 1 300 s in a warm run)
# running alone for minutes after the others had finished.
host_lane="style docs checkers core-object host fuzz static"
chains=("kunit" "demo trace" "nvme" "dkms" "install")

# next_chain: print the next chain nobody has taken (nothing when none is
# left); $logs/.next holds its index, under a lock.
next_chain() {
	local i
	exec 8>>"$logs/.next.lock"
	flock 8
	i=$(cat "$logs/.next" 2>/dev/null || echo 0)
	echo $((i + 1)) >"$logs/.next"
	exec 8>&-
	[ "$i" -ge "${#chains[@]}" ] || echo "${chains[$i]}"
}

# lane STAGE...: run these stages, then chains until none is left.
lane() {
	local s chain
	for s in "$@"; do run_stage "$s"; done
	while chain=$(next_chain) && [ -n "$chain" ]; do
		for s in $chain; do run_stage "$s"; done
	done
}

start=$(date +%s)
# A line every five minutes while stages run: their own output waits for
# their end, and a cold kunit stage builds kernels for most of an hour.
(
	# (sleep holds no output open: killed, the loop must not keep a pipe alive)
	while sleep 300 </dev/null >/dev/null 2>&1; do
		running=$(cd "$logs" && ls -- *.running 2>/dev/null | sed 's/\.running$//' | tr '\n' ' ')
		printf '>> after %d s still running: %s\n' "$(( $(date +%s) - start ))" "$running" >&2
	done
) &
beat=$!
rm -f "$logs/.next"
if [ "${IODMA_LANES:-3}" = 1 ]; then
	# shellcheck disable=SC2086 # a list of stage names
	lane $host_lane
else
	# shellcheck disable=SC2086
	lane $host_lane &
	lane_pids=($!)
	lane &
	lane_pids+=($!)
	lane &
	lane_pids+=($!)
	wait "${lane_pids[@]}"
fi
kill "$beat" 2>/dev/null
wait "$beat" 2>/dev/null
printf '\n>> every stage finished after %d s, CPU %d s\n' "$(( $(date +%s) - start ))" \
	"$(cat "$logs"/*.cpu 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')"
[ ! -s "$out/results/kunit-skips" ] || cat "$out/results/kunit-skips"
exec "$IODMA_TOP/scripts/summary.sh" "$out/results" style docs static checkers \
	core-object host fuzz kunit demo nvme install dkms trace
