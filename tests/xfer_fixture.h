// SPDX-License-Identifier: GPL-2.0
// Shared fixture for transfer tests: a fake device, descriptors with known
// contents, helpers that play the device through the emitted segments, and
// a teardown that fails on anything left behind.
#ifndef IODMA_TESTS_XFER_FIXTURE_H
#define IODMA_TESTS_XFER_FIXTURE_H

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "../src/core/core_api.h"
#include "fake_platform.h"
#include "segment_model.h"

namespace xfer {

constexpr unsigned kBidi = 0, kToDev = 1, kFromDev = 2;

inline uint8_t pattern(uint64_t i, unsigned seed) {
  return static_cast<uint8_t>((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

class XferTest : public ::testing::Test {
 protected:
  void SetUp() override { fake::reset(); }
  void TearDown() override {
    for (auto* c : cmds_) iodma_core_cmd_destroy(c);
    for (auto* m : mds_) iodma_core_md_put(m);
    EXPECT_EQ(fake::live_allocs(), 0) << "leaked allocation";
    EXPECT_EQ(fake::live_mappings(), 0) << "leaked mapping";
    EXPECT_EQ(fake::live_cb_blocks(), 0) << "leaked copy buffer";
    EXPECT_EQ(fake::pinned_pages(), 0) << "leaked pin";
    EXPECT_EQ(fake::live_iovas(), 0) << "leaked IOVA";
    EXPECT_EQ(fake::mm_refs(), 0) << "leaked address-space reference";
    EXPECT_EQ(dev_.refs, 0) << "leaked device reference";
    EXPECT_EQ(fake::bug_reports(), 0);
    for (const auto& e : fake::dma_errors()) ADD_FAILURE() << "DMA-API: " << e;
  }

  static iodma_core_spec spec(unsigned format = 4) {
    iodma_core_spec s{};
    s.format = format;
    return s;
  }

  iodma_cmd* cmd(const iodma_core_spec& s) {
    iodma_cmd* c = nullptr;
    EXPECT_EQ(iodma_core_cmd_create(&dev_, &s, 0, 0, &c), 0);
    cmds_.push_back(c);
    return c;
  }
  iodma_cmd* cmd() { return cmd(spec()); }

  iodma_md* own(iodma_md* m) {
    mds_.push_back(m);
    return m;
  }

  iodma_md* make_md(const iodma_core_md_desc& d) {
    iodma_md* m = nullptr;
    EXPECT_EQ(iodma_core_md_create(&d, 0, &m), 0);
    return own(m);
  }

  // Fill [phys, phys + len) with a pattern.
  static void fill(uint64_t phys, uint64_t len, unsigned seed) {
    for (uint64_t i = 0; i < len; i++) fake::ram(phys)[i] = pattern(i, seed);
  }

  // A kmalloc descriptor of len bytes at phys, filled with pattern(seed).
  iodma_md* kva_md(uint64_t phys, uint64_t len, unsigned dir,
                   unsigned seed = 1) {
    void* p = fake::kmalloc_at(phys, len);
    fill(phys, len, seed);
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_KVA;
    d.dir = dir;
    d.kva = p;
    d.len = len;
    return make_md(d);
  }

  // A vmalloc descriptor over scattered pages (every other page from base).
  iodma_md* vmalloc_md(uint64_t base, unsigned npages, unsigned dir,
                       unsigned seed = 2) {
    std::vector<uint64_t> pages;
    for (unsigned i = 0; i < npages; i++)
      // Distinct pages, some physically adjacent (2i+1 follows 2i).
      pages.push_back(base +
                      (2 * i + (i % 3 == 2 ? 1 : 0)) * fake::page_size());
    void* kva = fake::vmalloc_of(pages);
    for (unsigned i = 0; i < npages; i++)
      fill(pages[i], fake::page_size(), seed + i);
    vm_pages_ = pages;
    iodma_core_md_desc d{};
    d.kind = IODMA_CORE_MD_KVA;
    d.dir = dir;
    d.kva = kva;
    d.len = npages * fake::page_size();
    return make_md(d);
  }

  // Every segment of the prepared range, count_per_call at a time.
  std::vector<model::Seg> gen_all(iodma_cmd* c, unsigned per_call = 64) {
    std::vector<model::Seg> out;
    unsigned long long off = 0, plen = 0, poff = 0;
    EXPECT_EQ(iodma_core_cmd_prepared_range(c, &poff, &plen), 0);
    std::vector<iodma_plat_range> buf(per_call);
    while (off < plen) {
      unsigned n = per_call;
      int err = iodma_core_cmd_gen_segments(c, &off, buf.data(), &n);
      EXPECT_EQ(err, 0);
      if (err != 0) break;
      for (unsigned i = 0; i < n; i++) out.push_back({buf[i].addr, buf[i].len});
    }
    return out;
  }

  // What the device reads through the segments, in order.
  std::vector<uint8_t> device_reads(const std::vector<model::Seg>& segs) {
    std::vector<uint8_t> out;
    for (const auto& s : segs) {
      std::vector<uint8_t> b(s.len);
      EXPECT_TRUE(fake::device_read(&dev_, s.addr, b.data(), s.len))
          << "segment " << std::hex << s.addr << "+" << s.len
          << " not reachable";
      out.insert(out.end(), b.begin(), b.end());
    }
    return out;
  }

  // The device writes pattern(seed) through the segments.
  void device_writes(const std::vector<model::Seg>& segs, unsigned seed) {
    uint64_t pos = 0;
    for (const auto& s : segs) {
      std::vector<uint8_t> b(s.len);
      for (uint64_t i = 0; i < s.len; i++) b[i] = pattern(pos + i, seed);
      EXPECT_TRUE(fake::device_write(&dev_, s.addr, b.data(), s.len));
      pos += s.len;
    }
  }

  // The descriptor's bytes [off, off + len) through read_bytes-free means:
  // the fake RAM behind a kmalloc at phys.
  static std::vector<uint8_t> ram_bytes(uint64_t phys, uint64_t len) {
    return std::vector<uint8_t>(fake::ram(phys), fake::ram(phys) + len);
  }
  static std::vector<uint8_t> expect_pattern(uint64_t from, uint64_t len,
                                             unsigned seed) {
    std::vector<uint8_t> v(len);
    for (uint64_t i = 0; i < len; i++) v[i] = pattern(from + i, seed);
    return v;
  }

  fake::Device dev_;
  std::vector<uint64_t> vm_pages_;
  std::vector<iodma_cmd*> cmds_;
  std::vector<iodma_md*> mds_;
};

}  // namespace xfer

#endif  // IODMA_TESTS_XFER_FIXTURE_H
