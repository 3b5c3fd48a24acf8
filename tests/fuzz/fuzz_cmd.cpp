// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: a random world (page size, device with its own DMA
// limits, translated or not, coherent or not; RAM on both sides of 4 GiB;
// a descriptor of any kind, sg entries of any alignment across
// boundaries), a random spec, failure injection and call sequence (limits
// set later, calls from another address space, a reserved copy buffer),
// driven through the core on the fake platform. Checks the contract's
// invariants after every call (errors only from SPEC.md's table, segments cover
// the prepared range exactly and meet the spec and the device's own limits,
// output equal to the reference model over the platform's mapping, the device
// sees the descriptor's bytes and its writes come back, a failed prepare
// changes nothing, no DMA-API error, no broken invariant) and that nothing
// leaks. Any divergence aborts, which libFuzzer records as a crash.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../src/core/core_api.h"
#include "../random_world.h"

namespace {

// Consumes the fuzzer's bytes; zeros when they run out.
struct Input {
  const uint8_t* p;
  size_t n;
  uint64_t raw(unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) v = v << 8 | (n ? (n--, *p++) : 0);
    return v;
  }
  // A choice in [0, m), from as few bytes as it needs.
  uint64_t u(uint64_t m) {
    const unsigned bytes = m <= 0x100 ? 1 : m <= 0x10000 ? 2 : 4;
    return raw(bytes) % m;
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

// The whole walk of a prepared command, `per` segments a call: the error
// that stopped it (the position unmoved) and the segments before it.
int walk(iodma_cmd* c, unsigned format, uint64_t plen, unsigned per,
         std::vector<model::Seg>* got) {
  std::vector<uint8_t> out(64 * 16);
  unsigned long long pos = 0;
  while (pos < plen) {
    unsigned n = per;
    const unsigned long long before = pos;
    const int e = iodma_core_cmd_gen_segments(c, &pos, out.data(), &n);
    if (e != 0) {
      CHECK(pos == before, "gen moved on error", pos, before);
      return e;
    }
    CHECK(n >= 1 && n <= per, "gen count", n, per);
    // A custom writer stores host-order 64-bit pairs here.
    world::decode(format == IODMA_CORE_FMT_CUSTOM ? 4 : format, out.data(), n,
                  got);
    uint64_t sum = 0;
    for (const auto& g : *got) sum += g.len;
    CHECK(sum == pos, "segments do not reach the position", sum, pos);
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  fake::Device dev;
  world::make_platform(in, &dev);
  fake::set_current_mm(fake::Mm::kA);

  uint64_t refuse_key = in.u(97);
  iodma_core_spec s = world::make_spec(in);
  if (in.u(8) == 0) {
    s.format = IODMA_CORE_FMT_CUSTOM;
    s.seg_fn = reinterpret_cast<void*>(&refuse_some);
    s.seg_ctx = &refuse_key;
  }
  s.max_transfer_size = world::pick(in, {0, 0, 0, 30000});

  iodma_cmd* c = nullptr;
  int err = iodma_core_cmd_create(&dev, &s, 0, 0, &c);
  CHECK(errno_ok(err, {IODMA_EINVAL, IODMA_EOPNOTSUPP}), "create errno", err,
        0);
  iodma::Spec sp;
  CHECK(iodma::resolve_for_device(&dev, s, nullptr, &sp) == err,
        "create and resolve differ", err, 0);
  if (err != 0) {
    CHECK(fake::live_allocs() == 0, "create leak", fake::live_allocs(), 0);
    return 0;
  }

  const unsigned dir = static_cast<unsigned>(in.u(3));
  world::Md m;
  world::make_md(in, &m, dir, static_cast<unsigned>(in.u(256)));
  const bool user = m.desc.kind == IODMA_CORE_MD_USER;
  iodma_md* md = nullptr;
  CHECK(iodma_core_md_create(&m.desc, 0, &md) == 0, "md", 0, 0);
  const uint64_t total = iodma_core_md_length(md);
  CHECK(total == m.length(), "md length", total, m.length());
  CHECK(iodma_core_cmd_set_md(c, md, 0) == 0, "set_md", 0, 0);
  iodma_core_md_put(md);
  bool have_md = true;

  // What the last successful prepare saw: the effective spec, the device
  // ranges (when no copy buffer), whether the device sees the
  // descriptor's bytes as they are.
  unsigned nest = 0;
  std::vector<model::Seg> layout;
  bool copied = false, fresh = false;
  unsigned long long po = 0, pl = 0;

  const unsigned ops = 1 + static_cast<unsigned>(in.u(24));
  for (unsigned k = 0; k < ops; k++) {
    const bool was_prepared = iodma_core_cmd_prepared_range(c, &po, &pl) == 0;
    CHECK(was_prepared == (nest > 0), "prepared state", was_prepared, nest);
    switch (in.u(12)) {
      case 0:
      case 1: {  // prepare, sometimes with a failure injected
        const uint64_t off = in.u(total + 2);
        const uint64_t len = in.u(3) == 0 ? 0 : in.u(total + 2);
        const unsigned flags = static_cast<unsigned>(in.u(4));
        const long maps = fake::live_mappings(),
                   blocks = fake::live_cb_blocks();
        const long pins = fake::pinned_pages(), calls = fake::map_calls();
        const long shortages = fake::shortages();
        bool injected = true;
        switch (in.u(6)) {
          case 0:
            fake::fail_nth_alloc(static_cast<long>(in.u(6)));
            break;
          case 1:
            fake::fail_nth_map(0, in.u(2) ? -IODMA_EIO : -IODMA_ENOMEM);
            break;
          case 2:
            fake::fail_nth_cb(static_cast<long>(in.u(3)));
            break;
          default:
            injected = false;
            break;
        }
        err = iodma_core_cmd_prepare(c, off, len, flags);
        fake::fail_nth_alloc(-1);
        fake::fail_nth_map(-1, 0);
        fake::fail_nth_cb(-1);
        CHECK(errno_ok(err, {IODMA_EINVAL, IODMA_EBUSY, IODMA_ENOSPC,
                             IODMA_ENOMEM, IODMA_EIO, IODMA_EOPNOTSUPP,
                             IODMA_EFAULT, IODMA_ENODATA}),
              "prepare errno", err, 0);
        CHECK(err != -IODMA_ENODATA || !have_md, "prepare ENODATA", err, 0);
        CHECK(err != -IODMA_EFAULT || user, "EFAULT without user memory", err,
              0);
        if (err == -IODMA_ENOMEM && !injected)
          CHECK(fake::shortages() > shortages, "ENOMEM without a shortage", 0,
                0);
        if (err == -IODMA_EIO && !injected)
          CHECK(fake::map_calls() > calls &&
                    fake::last_map_result() == -IODMA_EIO,
                "EIO without an unreachable mapping", 0, 0);
        if (err == -IODMA_EOPNOTSUPP) {
          // The device refuses the spec now, or no copy buffer can ever be
          // had for it (SPEC.md 10.5).
          iodma::Spec now;
          const bool refused =
              iodma::resolve_for_device(&dev, s, nullptr, &now) != 0;
          const uint64_t align =
              refused ? 0
                      : std::max(std::max(now.alignment, now.alignment_end),
                                 std::max(now.alignment_length,
                                          now.alignment_internal));
          CHECK(refused || now.max_address < dev.cb_floor ||
                    dev.cb_unreachable ||
                    fake::cb_bounce_may_refuse(dev, now.max_address, align),
                "EOPNOTSUPP where a copy buffer could be had", 0, 0);
        }
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
          CHECK(fake::pinned_pages() == pins, "failed prepare left a pin",
                fake::pinned_pages(), pins);
          break;
        }
        if (nest++ > 0) break;  // nested: nothing else happened
        CHECK(iodma_core_cmd_prepared_range(c, &po, &pl) == 0, "range", 0, 0);
        CHECK(iodma::resolve_for_device(&dev, s, nullptr, &sp) == 0,
              "prepared with a spec the device refuses", 0, 0);
        copied = iodma_core_cmd_is_double_buffered(c) != 0;
        layout.clear();
        if (!copied && !sp.physical()) {
          CHECK(fake::map_calls() > calls && fake::last_map_result() == 0,
                "prepared without a mapping", 0, 0);
        }
        if (!copied) layout = world::device_layout(dev, sp, m, po, pl);
        // The device sees the bytes (unless a to-device copy buffer was
        // left unfilled on purpose).
        fresh = (flags & IODMA_CORE_PREPARE_NO_SYNC) == 0;
        break;
      }
      case 2:
      case 3: {  // a whole walk, in calls of a random size
        if (!was_prepared) break;
        std::vector<model::Seg> got;
        const unsigned per = 1 + static_cast<unsigned>(in.u(64));
        const int e = walk(c, s.format, pl, per, &got);
        CHECK(errno_ok(e, {IODMA_EINVAL, IODMA_EOVERFLOW}), "gen errno", e, 0);
        if (e != 0)
          CHECK(sp.iterate_only || s.format == IODMA_CORE_FMT_CUSTOM,
                "gen failed without iterate-only or a custom writer", e, 0);
        if (e == 0) {
          const std::string bad = world::check_segments(dev, sp, s, got, pl);
          if (!bad.empty()) diverge(bad.c_str(), 0, 0);
        }
        // The reference model over the platform's device ranges.
        if (!copied && s.format != IODMA_CORE_FMT_CUSTOM) {
          std::vector<model::Seg> want;
          const int we = model::walk(sp, layout, 0, &want);
          CHECK(we == e, "error differs from the model", e, we);
          if (e == 0)
            CHECK(want == got, "differs from the model", want.size(),
                  got.size());
        }
        const auto range = world::slice(m.layout, po, pl);
        if (e == 0 && fresh && dir != IODMA_PLAT_FROM_DEVICE)
          CHECK(world::device_sees(dev, got, range),
                "the device does not see the descriptor's bytes", po, pl);
        // Sometimes the device writes it all and the command completes.
        if (e == 0 && dir != IODMA_PLAT_TO_DEVICE && in.u(3) == 0) {
          const unsigned seed = static_cast<unsigned>(in.u(256));
          CHECK(world::device_writes(dev, got, seed), "segment unwritable", 0,
                0);
          for (; nest > 0; nest--)
            CHECK(iodma_core_cmd_complete(c, 0) == 0, "complete", 0, 0);
          CHECK(world::holds_pattern(range, seed),
                "the device's writes did not come back", po, pl);
        }
        break;
      }
      case 4:
        err = iodma_core_cmd_complete(c, static_cast<unsigned>(in.u(4)));
        CHECK(errno_ok(err, {IODMA_ENODATA}), "complete errno", err, 0);
        CHECK(err == 0 || !was_prepared, "complete refused", err, 0);
        if (err == 0) nest--;
        break;
      case 5: {
        const unsigned opts = static_cast<unsigned>(
            world::pick(in, {1, 2, 0x101, 0x102, 3, 0x100}));
        const bool whole = in.u(2) != 0;
        err = whole ? iodma_core_cmd_synchronize(c, opts)
                    : iodma_core_cmd_synchronize_range(c, in.raw(2), in.raw(2),
                                                       opts);
        CHECK(errno_ok(err, {IODMA_ENODATA, IODMA_EINVAL, IODMA_ENOMEM,
                             IODMA_EOPNOTSUPP}),
              "synchronize errno", err, 0);
        if (err == 0 && (opts & 0x100) != 0 && !copied) {
          copied = true;  // the walk is now over the copy buffer,
          fresh = true;   // filled from the descriptor
        }
        // The whole range handed to the device again, from the descriptor.
        if (err == 0 && (opts & 3) == 2 && whole) fresh = true;
        break;
      }
      case 6: {
        uint8_t b[300];
        const unsigned long n =
            iodma_core_cmd_read_bytes(c, in.raw(2), b, sizeof(b));
        CHECK(n <= sizeof(b) && (was_prepared || n == 0), "read_bytes", n, 0);
        break;
      }
      case 7:
        err = iodma_core_cmd_clear_md(c, static_cast<int>(in.u(2)));
        CHECK(errno_ok(err, {IODMA_EBUSY}), "clear_md errno", err, 0);
        if (err == 0) {
          nest = 0;
          iodma_md* m2 = nullptr;
          const int e = iodma_core_md_create(&m.desc, 0, &m2);
          // A kernel thread cannot describe user memory.
          have_md = e == 0;
          CHECK(e == 0 || (user && e == -IODMA_EFAULT), "md again", e, 0);
          if (e == 0) {
            CHECK(iodma_core_cmd_set_md(c, m2, 0) == 0, "set_md again", 0, 0);
            iodma_core_md_put(m2);
          }
        }
        break;
      case 8: {  // write_bytes: where the device sees it, or nothing
        const uint64_t off = in.u(pl + 1), n = 1 + in.u(300);
        std::vector<uint8_t> b(n, static_cast<uint8_t>(in.u(256)));
        const unsigned long w = iodma_core_cmd_write_bytes(c, off, b.data(), n);
        CHECK(w <= n && (was_prepared || w == 0), "write_bytes", w, n);
        if (!was_prepared) break;
        CHECK(w == 0 || w == std::min<uint64_t>(n, pl - off),
              "write_bytes length", w, n);
        if (user && dir == IODMA_PLAT_TO_DEVICE && !copied)
          CHECK(w == 0, "write_bytes into pages pinned read-only", w, 0);
        if (w != 0) {
          fresh = false;
          std::vector<model::Seg> got;
          if (dir != IODMA_PLAT_FROM_DEVICE &&
              walk(c, s.format, pl, 64, &got) == 0) {
            uint64_t at = 0;
            for (const auto& g : got) {
              for (uint64_t i = 0; i < g.len; i++) {
                if (at + i < off || at + i >= off + w) continue;
                uint8_t v;
                CHECK(fake::device_read(&dev, g.addr + i, &v, 1), "reach", 0,
                      0);
                CHECK(v == b[0], "write_bytes not seen by the device", at + i,
                      off);
              }
              at += g.len;
            }
          }
        }
        break;
      }
      case 9:  // the driver sets its limits later (probe), while unprepared
        if (was_prepared) break;
        dev.max_seg = world::pick(in, {~0ull, 65536, 4096, 1000, 512});
        dev.seg_boundary =
            in.u(2) ? 0 : uint64_t{1} << world::pick(in, {9, 12, 16, 32});
        dev.dma_mask =
            world::pick(in, {~0ull, (1ull << 32) - 1, (1ull << 28) - 1});
        dev.coherent = in.u(2) != 0;
        break;
      case 10:  // called from another address space, or a kernel thread
        fake::set_current_mm(static_cast<fake::Mm>(in.u(3)));
        break;
      case 11: {  // a copy buffer kept with the command (or released)
        const long blocks = fake::live_cb_blocks();
        const uint64_t bytes = in.u(3) == 0 ? 0 : in.u(0x40000);
        err = iodma_core_cmd_reserve_copy_buffer(c, bytes);
        CHECK(errno_ok(err, {IODMA_EINVAL, IODMA_EBUSY, IODMA_ENOMEM,
                             IODMA_EOPNOTSUPP}),
              "reserve errno", err, 0);
        CHECK((err == -IODMA_EBUSY) == was_prepared, "reserve while prepared",
              err, was_prepared);
        if (err != 0)
          CHECK(fake::live_cb_blocks() == blocks, "failed reserve holds blocks",
                fake::live_cb_blocks(), blocks);
        break;
      }
    }
    CHECK(fake::bug_reports() == 0, "core invariant report", 0, 0);
    if (!fake::dma_errors().empty())
      diverge(fake::dma_errors()[0].c_str(), static_cast<long>(k), 0);
  }
  iodma_core_cmd_destroy(c);
  CHECK(fake::live_allocs() == 0, "leaked allocation", fake::live_allocs(), 0);
  CHECK(fake::live_mappings() == 0, "leaked mapping", fake::live_mappings(), 0);
  CHECK(fake::live_cb_blocks() == 0, "leaked copy buffer", 0, 0);
  CHECK(fake::live_iovas() == 0, "leaked IOVA", fake::live_iovas(), 0);
  CHECK(fake::pinned_pages() == 0, "leaked pin", 0, 0);
  CHECK(fake::mm_refs() == 0, "leaked mm reference", fake::mm_refs(), 0);
  CHECK(dev.refs == 0, "leaked device reference", dev.refs, 0);
  CHECK(fake::dma_errors().empty(), "DMA-API error at destroy", 0, 0);
  return 0;
}
