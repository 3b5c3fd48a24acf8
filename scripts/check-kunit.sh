#!/usr/bin/env bash
# Usage: check-kunit.sh [--no-run] [--kernel LINE]... [CONFIG...]
# For every kernel line (scripts/lib/kernels.sh; default those of the
# architectures in IODMA_ARCHES, x86_64 alone unless set, or those named
# with --kernel): build (or reuse) its test kernel, build iodma and its
# KUnit module against it (cross-compiled for another architecture), and
# run the KUnit suites in every QEMU configuration of the line (default:
# its configs column; CONFIGs name others), as many guests at a time as
# the host has cores across all kernels, never two multi-vCPU ones.
# Logs in out/kunit/<line>/<config>/. Prints one line per kernel and
# configuration, one per kernel, the skips that scripts/lib/expected-skips
# allows, by name ("skipped on <line>: <suite>.<case>: <reason>", also in
# out/results/kunit-skips), and the total; writes out/results/kunit ("P F").
# Where a kernel's KUnit kept only part of the results for debugfs (6.1),
# they are read from the kernel log the run hands over too
# (scripts/lib/ktap-from-kmsg.py), before the checkers see them.
# --no-run judges the logs already in out/kunit/<line>/<config>/ again,
# without building or booting anything (for work on the checkers, and their
# tests).
# After a build, the feature probes' answers for each kernel are checked
# against scripts/kernel/probes.expected (scripts/probes-check.sh), one case
# per probe in the line's count, and samples/bench (run by make bench only)
# must build against the kernel too: one more case. A configuration whose
# checker left no valid counts (crash) counts as one failed case; so do
# robustness figures that are missing or show a problem, and a kernel whose
# test kernel or modules did not build.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/qemu-configs.sh"
. "$(dirname "$0")/lib/kernels.sh"

run=1 lines=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-run) run=0 ;;
	--kernel) lines+=("${2:?--kernel needs a kernel line}"); shift ;;
	*) break ;;
	esac
	shift
done
[ ${#lines[@]} -gt 0 ] || lines=("${IODMA_KERNELS[@]}")
# The configurations of each line: those named on the command line, or the
# line's own (the configs column of scripts/lib/kernels.sh).
declare -A lcfgs=() larch=() lsuites=()
allcfgs=()
for line in "${lines[@]}"; do
	kernel_row "$line"
	larch[$line]=$ARCH_NAME
	lsuites[$line]=$ARCH_SUITES
	if [ $# -gt 0 ]; then
		lcfgs[$line]="$*"
	else
		lcfgs[$line]=$KERNEL_CONFIGS
	fi
	for cfg in ${lcfgs[$line]}; do
		qemu_config "$cfg" "$ARCH_NAME" # dies on a configuration it lacks
		[[ " ${allcfgs[*]} " == *" $cfg "* ]] || allcfgs+=("$cfg")
	done
done
out=$IODMA_TOP/out
results=$out/results
skipsfile=$IODMA_TOP/scripts/lib/expected-skips
mkdir -p "$results"
rm -f "$results/kunit" "$results/kunit.lines" "$results/kunit-skips"

declare -A broken=() # kernel line -> why it has no runs
declare -A bench_built=() # kernel line -> 1 when samples/bench built
# 512 MiB x86_64 guests: half of memory still lies beyond the edu engine's
# 28 bits, and every kmemleak scan (three a run) reads half the page array.
export IODMA_X86_MEM=${IODMA_X86_MEM:-512M}
if [ "$run" = 1 ]; then
	mods=(iodma iodma_kunit)
	declare -A image=()
	for line in "${lines[@]}"; do
		kernel_row "$line"
		mkdir -p "$out/kunit/$line"
		if ! kdir=$("$IODMA_TOP/scripts/build-test-kernel.sh" "$line"); then
			broken[$line]="the $line test kernel did not build"
			continue
		fi
		if ! "$IODMA_TOP/scripts/build-modules.sh" "$kdir" "$out/test-kernel-$line" >&2; then
			broken[$line]="the modules did not build against the $line test kernel"
			continue
		fi
		# samples/bench, which no stage runs (make bench does), built
		# against every test kernel all the same: one case per line.
		"$IODMA_TOP/scripts/build-sample.sh" "$kdir" "$out/test-kernel-$line" \
			bench "$out/kunit/$line/bench-build" && bench_built[$line]=1
		kos=()
		for m in "${mods[@]}"; do kos+=("$out/test-kernel-$line/$m.ko"); done
		IODMA_ARCH=$ARCH_NAME "$IODMA_TOP/scripts/make-initramfs.sh" \
			"$out/kunit/$line/initramfs.cpio.gz" "${kos[@]}"
		image[$line]=$kdir/$KERNEL_IMAGE
	done

	# Guests as many at a time as the host has cores (each guest whose
	# vCPUs share one host thread keeps one busy, smp4's four included:
	# scripts/lib/qemu-configs.sh), but never two guests with a host
	# thread per vCPU at once: their threads on an overcommitted host spin
	# on locks whose holders are not running, and two such guests together
	# take several times as long as one after the other. The longest runs
	# (smp4) go first; such multi-threaded runs one after the other in one
	# lane, the others filling the other lanes.
	jobs=${IODMA_JOBS:-$(nproc)}
	queue=()
	for cfg in "${allcfgs[@]}"; do
		for line in "${lines[@]}"; do
			[ -z "${broken[$line]:-}" ] || continue
			[[ " ${lcfgs[$line]} " == *" $cfg "* ]] || continue
			queue+=("$line $cfg")
		done
	done
	smp_pid=
	while [ ${#queue[@]} -gt 0 ]; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
		busy=0
		[ -n "$smp_pid" ] && kill -0 "$smp_pid" 2>/dev/null && busy=1
		pick=-1
		for i in "${!queue[@]}"; do
			qemu_config "${queue[$i]#* }" "${larch[${queue[$i]%% *}]}"
			if [ "$(qemu_host_threads)" -gt 1 ] && [ $busy = 1 ]; then
				continue
			fi
			pick=$i
			break
		done
		if [ $pick -lt 0 ]; then # only multi-threaded runs are left
			wait "$smp_pid" || true
			continue
		fi
		line=${queue[$pick]%% *} cfg=${queue[$pick]#* }
		queue=("${queue[@]:0:pick}" "${queue[@]:pick+1}")
		qemu_config "$cfg" "${larch[$line]}"
		vcpus=$(qemu_vcpus)
		# A kernel log big enough to hold every suite's results
		# (scripts/lib/ktap-from-kmsg.py reads them there if needed);
		# the stress test's cycles of the line's multi-vCPU run.
		kernel_row "$line"
		append="log_buf_len=4M"
		[ "$vcpus" -gt 1 ] && [ -n "$KERNEL_STRESS" ] &&
			append+=" iodma.stress_cycles=$KERNEL_STRESS"
		IODMA_ARCH=${larch[$line]} IODMA_APPEND="$append ${IODMA_APPEND:-}" \
			"$IODMA_TOP/scripts/run-qemu.sh" "$cfg" "${image[$line]}" \
			"$out/kunit/$line/initramfs.cpio.gz" "$out/kunit/$line/$cfg" \
			"$(IFS=,; echo "${mods[*]}")" "$(qemu_timeout "$cfg" "${larch[$line]}")" &
		[ "$(qemu_host_threads)" -gt 1 ] && smp_pid=$!
	done
	wait || true
fi

total_p=0 total_f=0 perline=() skipped=()
for line in "${lines[@]}"; do
	lp=0 lf=0
	if [ -n "${broken[$line]:-}" ]; then
		echo "FAIL kunit[$line]: ${broken[$line]}: counted as 1 failed case"
		lf=1
	else
		if [ "$run" = 1 ]; then
			# The feature probes' answers for this kernel, from the
			# header the build just generated: one case per probe.
			pc=$("$IODMA_TOP/scripts/probes-check.sh" "$line" \
				"$out/test-kernel-$line/generated/iodma_probes.h" || echo "0 1")
			printf '%s\n' "$pc" | sed '$d'
			read -r p f <<<"$(printf '%s\n' "$pc" | tail -n 1)"
			if ! [[ "$p $f" =~ ^[0-9]+\ [0-9]+$ ]]; then
				echo "FAIL kunit[$line]: probes-check.sh gave no counts: counted as 1 failed case"
				p=0 f=1
			fi
			lp=$((lp + p)) lf=$((lf + f))
			if [ -n "${bench_built[$line]:-}" ]; then
				echo "samples/bench builds against the $line test kernel"
				lp=$((lp + 1))
			else
				echo "FAIL kunit[$line]: samples/bench does not build against the $line test kernel (above)"
				lf=$((lf + 1))
			fi
		fi
		for cfg in ${lcfgs[$line]}; do
			logdir=$out/kunit/$line/$cfg
			mkdir -p "$logdir"
			rm -f "$logdir/counts" "$logdir/skips"
			# Where KUnit kept only part of the results for debugfs (6.1),
			# read them from the kernel log the run handed over too.
			python3 "$IODMA_TOP/scripts/lib/ktap-from-kmsg.py" "$logdir" || true
			python3 "$IODMA_TOP/scripts/ktap-check.py" --name "kunit[$line/$cfg]" \
				--logdir "$logdir" --suites-from "$IODMA_TOP/kunit" \
				--expect-suites "${lsuites[$line]}" \
				--kernel "$line" --expected-skips "$skipsfile" || true
			counts=$(head -c 64 "$logdir/counts" 2>/dev/null || true)
			if [[ $counts =~ ^(0|[1-9][0-9]{0,8})\ (0|[1-9][0-9]{0,8})$ ]] &&
				[ "$((BASH_REMATCH[1] + BASH_REMATCH[2]))" -gt 0 ]; then
				p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
			else
				echo "FAIL kunit[$line/$cfg]: ktap-check.py left no valid counts" \
					"(${counts:-none}; crashed?): counted as 1 failed case"
				p=0 f=1
			fi
			lp=$((lp + p)) lf=$((lf + f))
			if [ -f "$logdir/skips" ]; then
				while IFS=$'\t' read -r case why; do
					[ -z "$case" ] || skipped+=("$line"$'\t'"$case"$'\t'"$why"$'\t'"$cfg")
				done <"$logdir/skips"
			fi
		done
		echo "robustness on $line:"
		if ! python3 "$IODMA_TOP/scripts/robustness-kunit.py" "$out/kunit/$line" ${lcfgs[$line]}; then
			echo "FAIL kunit[$line]: robustness figures missing or showing a problem" \
				"(above): counted as 1 failed case"
			lf=$((lf + 1))
		fi
	fi
	perline+=("$(printf 'kunit %s: %d passed, %d failed' "$line" "$lp" "$lf")")
	echo "$line $lp $lf" >>"$results/kunit.lines"
	total_p=$((total_p + lp)) total_f=$((total_f + lf))
done

# Each allowed skip once per kernel, with the configurations it skipped in.
if [ ${#skipped[@]} -gt 0 ]; then
	printf '%s\n' "${skipped[@]}" | awk -F'\t' '
		{ k = $1 "\t" $2; if (!(k in why)) { order[n++] = k; why[k] = $3 }
		  cfgs[k] = (seen[k]++ ? cfgs[k] ", " : "") $4 }
		END { for (i = 0; i < n; i++) { split(order[i], f, "\t")
			printf "skipped on %s: %s: %s (%s)\n", f[1], f[2],
				why[order[i]] == "" ? "no reason given" : why[order[i]], cfgs[order[i]] } }' \
		>"$results/kunit-skips"
fi
printf '%s\n' "${perline[@]}"
[ -s "$results/kunit-skips" ] && cat "$results/kunit-skips"
echo "$total_p $total_f" >"$results/kunit"
echo "kunit: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
