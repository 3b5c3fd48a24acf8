// SPDX-License-Identifier: GPL-2.0
// ns per emitted segment of gen_segments, per output format, for a
// coalescing-friendly layout (4096 contiguous 4 KiB device ranges) and a
// fully fragmented one (4096 separate ranges), without and with splitting
// (max segment, boundary, alignments); and allocations per
// prepare/gen/complete cycle after warm-up.
#include <benchmark/benchmark.h>

#include <vector>

#include "../../src/core/core_api.h"
#include "../fake_platform.h"

namespace {

constexpr unsigned kRanges = 4096;

bool custom_writer(void* segs, uint32_t i, uint64_t a, uint64_t l, void*) {
  static_cast<uint64_t*>(segs)[2 * i] = a;
  static_cast<uint64_t*>(segs)[2 * i + 1] = l;
  return true;
}

struct Setup {
  fake::Device dev;
  fake::SgTable table;
  iodma_md* md = nullptr;
  iodma_cmd* cmd = nullptr;
  uint64_t len = 0;

  Setup(unsigned format, bool fragmented, bool split) {
    fake::reset();
    dev.max_seg = 4096;  // mapping entries stay 4 KiB: the walk coalesces
    for (unsigned i = 0; i < kRanges; i++) {
      const uint64_t phys = fragmented ? 0x10000000ull + i * 8192ull
                                       : 0x10000000ull + i * 4096ull;
      table.ents.push_back({phys, 4096});
    }
    len = uint64_t{kRanges} * 4096;
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_SGTABLE;
    d.sgt = &table;
    iodma_core_md_create(&d, 0, &md);
    iodma_core_spec s{};
    s.format = format;
    if (format == IODMA_CORE_FMT_CUSTOM)
      s.seg_fn = reinterpret_cast<void*>(&custom_writer);
    if (split) {
      s.max_segment_size = 3000;
      s.segment_boundary = 8192;
      s.alignment_length = 8;
      s.alignment_internal = 8;
    }
    iodma_core_cmd_create(&dev, &s, 0, 0, &cmd);
    iodma_core_cmd_set_md(cmd, md, 0);
  }
  ~Setup() {
    iodma_core_cmd_destroy(cmd);
    iodma_core_md_put(md);
  }
};

void BM_GenSegments(benchmark::State& state) {
  const unsigned format = static_cast<unsigned>(state.range(0));
  Setup su(format, state.range(1) != 0, state.range(2) != 0);
  if (iodma_core_cmd_prepare(su.cmd, 0, 0, 0) != 0) {
    state.SkipWithError("prepare failed");
    return;
  }
  std::vector<uint64_t> out(64 * 2);
  uint64_t segments = 0;
  for (auto _ : state) {
    unsigned long long pos = 0;
    while (pos < su.len) {
      unsigned n = 64;
      if (iodma_core_cmd_gen_segments(su.cmd, &pos, out.data(), &n) != 0) {
        state.SkipWithError("gen_segments failed");
        return;
      }
      segments += n;
    }
    benchmark::DoNotOptimize(out.data());
  }
  iodma_core_cmd_complete(su.cmd, 0);
  state.counters["ns_per_segment"] = benchmark::Counter(
      static_cast<double>(segments),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["segments_per_call"] =
      static_cast<double>(segments) / static_cast<double>(state.iterations());
}

void BM_AllocationsPerCycle(benchmark::State& state) {
  Setup su(IODMA_CORE_FMT_HOST32 + 3, true, false);
  std::vector<uint64_t> out(64 * 2);
  auto cycle = [&] {
    iodma_core_cmd_prepare(su.cmd, 4096, 65536, 0);
    unsigned long long pos = 0;
    while (pos < 65536) {
      unsigned n = 64;
      iodma_core_cmd_gen_segments(su.cmd, &pos, out.data(), &n);
    }
    iodma_core_cmd_complete(su.cmd, 0);
  };
  cycle();  // warm-up
  const long before = fake::total_allocs();
  long cycles = 0;
  for (auto _ : state) {
    cycle();
    cycles++;
  }
  state.counters["allocs_per_cycle"] =
      static_cast<double>(fake::total_allocs() - before) /
      static_cast<double>(cycles);
}

void Args(benchmark::internal::Benchmark* b) {
  for (int fmt = 1; fmt <= 7; fmt++)
    for (int frag = 0; frag <= 1; frag++)
      for (int split = 0; split <= 1; split++) b->Args({fmt, frag, split});
}

BENCHMARK(BM_GenSegments)->Apply(Args);
BENCHMARK(BM_AllocationsPerCycle);

}  // namespace

BENCHMARK_MAIN();
