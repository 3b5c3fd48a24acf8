// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: a random spec, descriptor layout, platform mode, failure
// injection and call sequence, driven through the core on the fake
// platform. Checks the contract's invariants after every call (errors only
// from SPEC.md's table, segments cover the prepared range exactly and meet
// the spec, output equal to the reference model where the mapping is the
// identity, a failed prepare changes nothing) and that nothing leaks.
// Any divergence aborts, which libFuzzer records as a crash.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../src/core/core_api.h"
#include "../../src/core/spec.h"
#include "../fake_platform.h"
#include "../segment_model.h"

namespace {

// Consumes the fuzzer's bytes; zeros when they run out.
struct Input {
  const uint8_t* p;
  size_t n;
  uint64_t u(unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) v = v << 8 | (n ? (n--, *p++) : 0);
    return v;
  }
  template <typename T>
  T pick(std::initializer_list<T> v) {
    return *(v.begin() + u(1) % v.size());
  }
};

[[noreturn]] void diverge(const char* what, long a, long b) {
  std::fprintf(stderr, "DIVERGENCE: %s (%ld vs %ld)\n", what, a, b);
  std::abort();
}
#define CHECK(c, what, a, b)                                             \
  do {                                                                   \
    if (!(c)) diverge(what, static_cast<long>(a), static_cast<long>(b)); \
  } while (0)

bool errno_ok(int e, std::initializer_list<int> allowed) {
  if (e == 0) return true;
  for (int a : allowed)
    if (e == -a) return true;
  return false;
}

bool refuse_some(void* segs, uint32_t i, uint64_t a, uint64_t l, void* ctx) {
  if ((a ^ l) % 97 == *static_cast<uint64_t*>(ctx)) return false;
  static_cast<uint64_t*>(segs)[2 * i] = a;
  static_cast<uint64_t*>(segs)[2 * i + 1] = l;
  return true;
}

constexpr uint64_t kWindows[] = {0x100000, 0x900000, 0x1800000, 0x40000000};
constexpr uint64_t kWindow = 0x10000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  fake::reset();
  for (uint64_t w : kWindows) fake::add_ram(w, kWindow);
  fake::Device dev;
  dev.mode = in.pick({fake::Mode::kDirect, fake::Mode::kDirect,
                      fake::Mode::kSwiotlb, fake::Mode::kIommu});
  dev.cb_phys = 0x800000;
  if (in.u(1) % 4 == 0) dev.max_seg = 4096;

  uint64_t refuse_key = in.u(1) % 97;
  iodma_core_spec s{};
  s.format = static_cast<unsigned>(1 + in.u(1) % 7);
  if (s.format == IODMA_CORE_FMT_CUSTOM) {
    s.seg_fn = reinterpret_cast<void*>(&refuse_some);
    s.seg_ctx = &refuse_key;
  }
  s.address_bits =
      static_cast<unsigned char>(in.pick<unsigned>({0, 0, 20, 24, 30, 32, 40}));
  s.max_segment_size = in.pick<uint64_t>({0, 0, 100, 512, 4095, 6000});
  s.alignment = static_cast<unsigned>(in.pick<unsigned>({0, 1, 8, 512, 4096}));
  s.alignment_length = static_cast<unsigned>(in.pick<unsigned>({0, 1, 2, 8}));
  s.alignment_internal =
      static_cast<unsigned>(in.pick<unsigned>({0, 1, 16, 256}));
  s.segment_boundary = in.pick<uint64_t>({0, 0, 1024, 4096, 65536});
  s.max_transfer_size = in.pick<uint64_t>({0, 0, 0, 30000});
  s.mapping =
      static_cast<unsigned>(in.pick<unsigned>({0, 0, 1, 2, 3, 0x40, 0x42}));

  iodma_cmd* c = nullptr;
  int err = iodma_core_cmd_create(&dev, &s, 0, 0, &c);
  CHECK(errno_ok(err, {IODMA_EINVAL, IODMA_EOPNOTSUPP}), "create errno", err,
        0);
  if (err != 0) {
    CHECK(fake::live_allocs() == 0, "create leak", fake::live_allocs(), 0);
    return 0;
  }
  iodma_core_spec eff{};
  iodma_core_cmd_effective_spec(c, &eff);
  iodma::Spec sp;
  // create accepted it, so resolving it for an untranslated device does too.
  CHECK(iodma::Spec::resolve(s, iodma::DeviceInfo{}, &sp) == 0, "resolve", 0,
        0);

  // The descriptor: up to 6 pieces in the RAM windows.
  fake::SgTable t;
  const unsigned pieces = 1 + in.u(1) % 6;
  for (unsigned i = 0; i < pieces; i++) {
    const uint64_t base = kWindows[in.u(1) % 4];
    const uint64_t off = in.u(2) % (kWindow / 2);
    const uint64_t len = 1 + in.u(2) % (kWindow / 2 - 1);
    t.ents.push_back({base + off, len});
  }
  iodma_core_md_desc d{};
  d.kind = IODMA_CORE_MD_SGTABLE;
  d.dir = static_cast<unsigned>(in.u(1) % 3);
  d.sgt = &t;
  iodma_md* md = nullptr;
  CHECK(iodma_core_md_create(&d, 0, &md) == 0, "md", 0, 0);
  const uint64_t total = iodma_core_md_length(md);
  CHECK(iodma_core_cmd_set_md(c, md, 0) == 0, "set_md", 0, 0);
  iodma_core_md_put(md);

  std::vector<uint8_t> out(64 * 16);
  const unsigned ops = 1 + in.u(1) % 24;
  for (unsigned k = 0; k < ops; k++) {
    unsigned long long po = 0, pl = 0;
    const bool was_prepared = iodma_core_cmd_prepared_range(c, &po, &pl) == 0;
    switch (in.u(1) % 8) {
      case 0:
      case 1: {  // prepare, sometimes with a failure injected
        const uint64_t off = in.u(3) % (total + 2);
        const uint64_t len = in.u(1) % 3 == 0 ? 0 : in.u(3) % (total + 2);
        const unsigned flags = static_cast<unsigned>(in.u(1) % 4);
        const long allocs = fake::live_allocs() - 0;
        const long maps = fake::live_mappings(),
                   blocks = fake::live_cb_blocks();
        switch (in.u(1) % 6) {
          case 0:
            fake::fail_nth_alloc(static_cast<long>(in.u(1) % 6));
            break;
          case 1:
            fake::fail_nth_map(0, in.u(1) % 2 ? -IODMA_EIO : -IODMA_ENOMEM);
            break;
          case 2:
            fake::fail_nth_cb(static_cast<long>(in.u(1) % 3));
            break;
          default:
            break;
        }
        err = iodma_core_cmd_prepare(c, off, len, flags);
        fake::fail_nth_alloc(-1);
        fake::fail_nth_map(-1, 0);
        fake::fail_nth_cb(-1);
        CHECK(errno_ok(err, {IODMA_EINVAL, IODMA_EBUSY, IODMA_ENOSPC,
                             IODMA_ENOMEM, IODMA_EIO}),
              "prepare errno", err, 0);
        if (err != 0) {
          unsigned long long o2, l2;
          const bool now = iodma_core_cmd_prepared_range(c, &o2, &l2) == 0;
          CHECK(now == was_prepared, "failed prepare changed the state", now,
                was_prepared);
          CHECK(fake::live_mappings() == maps, "failed prepare left a mapping",
                fake::live_mappings(), maps);
          CHECK(fake::live_cb_blocks() == blocks,
                "failed prepare left a copy buffer", fake::live_cb_blocks(),
                blocks);
          (void)allocs;
        }
        break;
      }
      case 2:
      case 3: {  // a whole walk, in calls of a random size
        if (!was_prepared) break;
        unsigned long long pos = 0;
        uint64_t sum = 0, first = ~0ull;
        std::vector<model::Seg> got;
        const unsigned per = 1 + in.u(1) % 64;
        int e = 0;
        while (pos < pl) {
          unsigned n = per;
          const unsigned long long before = pos;
          e = iodma_core_cmd_gen_segments(c, &pos, out.data(), &n);
          if (e != 0) {
            CHECK(pos == before, "gen moved on error", pos, before);
            break;
          }
          CHECK(n >= 1 && n <= per, "gen count", n, per);
          if (s.format != IODMA_CORE_FMT_CUSTOM && s.format >= 4) {
            for (unsigned i = 0; i < n; i++) {
              uint64_t a, l;
              std::memcpy(&a, &out[16 * i], 8);
              std::memcpy(&l, &out[16 * i + 8], 8);
              if (s.format == 5) {
                a = __builtin_bswap64(a);
                l = __builtin_bswap64(l);
              }
              got.push_back({a, l});
            }
          }
          sum = pos;
          (void)first;
        }
        CHECK(errno_ok(e, {IODMA_EINVAL, IODMA_EOVERFLOW}), "gen errno", e, 0);
        const bool iterate = (eff.mapping & IODMA_CORE_ITERATE_ONLY) != 0;
        if (e != 0)
          CHECK(iterate || s.format == IODMA_CORE_FMT_CUSTOM,
                "gen failed without iterate-only or a custom writer", e, 0);
        if (e == 0)
          CHECK(sum == pl, "segments do not cover the range", sum, pl);
        if (e == 0 && !got.empty()) {
          uint64_t at = 0;
          for (size_t i = 0; i < got.size(); i++) {
            CHECK(got[i].len > 0 && got[i].len <= eff.max_segment_size,
                  "segment length", got[i].len, eff.max_segment_size);
            CHECK(
                got[i].addr % (i ? eff.alignment_internal : eff.alignment) == 0,
                "segment alignment", got[i].addr, i);
            CHECK(
                got[i].len % eff.alignment_length == 0 || at + got[i].len == pl,
                "length alignment", got[i].len, eff.alignment_length);
            if (eff.segment_boundary)
              CHECK(got[i].addr / eff.segment_boundary ==
                        (got[i].addr + got[i].len - 1) / eff.segment_boundary,
                    "boundary", got[i].addr, got[i].len);
            at += got[i].len;
          }
          // Where the mapping is the identity, the model gives the answer.
          if (dev.mode == fake::Mode::kDirect && dev.max_seg == ~0ull &&
              !iodma_core_cmd_is_double_buffered(c) && (eff.mapping & 3) != 1 &&
              (eff.mapping & 3) != 3) {
            std::vector<model::Seg> layout, want;
            uint64_t o = po, l = pl;
            for (auto [phys, n] : t.ents) {
              if (o >= n) {
                o -= n;
                continue;
              }
              const uint64_t take = std::min<uint64_t>(n - o, l);
              layout.push_back({phys + o, take});
              l -= take;
              o = 0;
              if (l == 0) break;
            }
            CHECK(model::walk(sp, layout, 0, &want) == 0, "model error", 0, 0);
            CHECK(want == got, "differs from the model", want.size(),
                  got.size());
          }
        }
        break;
      }
      case 4:
        err = iodma_core_cmd_complete(c, static_cast<unsigned>(in.u(1) % 4));
        CHECK(errno_ok(err, {IODMA_ENODATA}), "complete errno", err, 0);
        CHECK(err == 0 || !was_prepared, "complete refused", err, 0);
        break;
      case 5: {
        const unsigned opts = in.pick<unsigned>({1, 2, 0x101, 0x102, 3, 0x100});
        err = in.u(1) % 2
                  ? iodma_core_cmd_synchronize(c, opts)
                  : iodma_core_cmd_synchronize_range(c, in.u(2), in.u(2), opts);
        CHECK(errno_ok(err, {IODMA_ENODATA, IODMA_EINVAL, IODMA_ENOMEM}),
              "synchronize errno", err, 0);
        break;
      }
      case 6: {
        uint8_t b[300];
        const unsigned long n =
            iodma_core_cmd_read_bytes(c, in.u(2), b, sizeof(b));
        CHECK(n <= sizeof(b) && (was_prepared || n == 0), "read_bytes", n, 0);
        break;
      }
      case 7:
        err = iodma_core_cmd_clear_md(c, static_cast<int>(in.u(1) % 2));
        CHECK(errno_ok(err, {IODMA_EBUSY}), "clear_md errno", err, 0);
        if (err == 0) {
          iodma_md* m2 = nullptr;
          CHECK(iodma_core_md_create(&d, 0, &m2) == 0, "md again", 0, 0);
          CHECK(iodma_core_cmd_set_md(c, m2, 0) == 0, "set_md again", 0, 0);
          iodma_core_md_put(m2);
        }
        break;
    }
    CHECK(fake::bug_reports() == 0, "core invariant report", 0, 0);
    if (!fake::dma_errors().empty())
      diverge(fake::dma_errors()[0].c_str(), static_cast<long>(k), 0);
  }
  iodma_core_cmd_destroy(c);
  CHECK(fake::live_allocs() == 0, "leaked allocation", fake::live_allocs(), 0);
  CHECK(fake::live_mappings() == 0, "leaked mapping", fake::live_mappings(), 0);
  CHECK(fake::live_cb_blocks() == 0, "leaked copy buffer", 0, 0);
  CHECK(fake::pinned_pages() == 0, "leaked pin", 0, 0);
  CHECK(dev.refs == 0, "leaked device reference", dev.refs, 0);
  return 0;
}
