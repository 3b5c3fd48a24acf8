// SPDX-License-Identifier: GPL-2.0
// A deliberately simple reference model of the segment walk, byte by byte,
// for small layouts. It restates the rules of SPEC.md section 5 as
// directly as possible; the real generator must agree with it exactly.
#ifndef IODMA_TESTS_SEGMENT_MODEL_H
#define IODMA_TESTS_SEGMENT_MODEL_H

#include <cstdint>
#include <vector>

#include "../src/core/segments.h"

namespace model {

struct Seg {
  uint64_t addr, len;
  bool operator==(const Seg& o) const { return addr == o.addr && len == o.len; }
};

// Device address of prepared offset p.
inline uint64_t addr_at(const std::vector<Seg>& d, uint64_t p) {
  for (const Seg& s : d) {
    if (p < s.len) return s.addr + p;
    p -= s.len;
  }
  return ~0ull;
}

inline uint64_t total(const std::vector<Seg>& d) {
  uint64_t t = 0;
  for (const Seg& s : d) t += s.len;
  return t;
}

// The segment starting at prepared offset `pos`: 0 and *out, or -errno.
inline int next(const iodma::Spec& sp, const std::vector<Seg>& d, uint64_t pos,
                Seg* out) {
  const uint64_t a = addr_at(d, pos);
  const uint64_t start_align = pos == 0 ? sp.alignment : sp.alignment_internal;
  if (a % start_align != 0) return iodma::kEINVAL;
  if (pos % sp.alignment_length != 0) return iodma::kEINVAL;
  const uint64_t remaining = total(d) - pos;
  uint64_t lim =
      remaining < sp.max_segment_size ? remaining : sp.max_segment_size;
  if (sp.segment_boundary != 0) {
    // Never cross a multiple of the boundary: count bytes up to the next.
    uint64_t b = 1;
    while ((a + b) % sp.segment_boundary != 0) b++;
    if (b < lim) lim = b;
  }
  uint64_t run = 1;
  while (run < lim && addr_at(d, pos + run) == a + run) run++;
  uint64_t len;
  if (run < lim) {
    len = run;
    if (len % sp.alignment_length != 0) return iodma::kEINVAL;
  } else if (lim == remaining) {
    len = lim;
  } else {
    len = lim;
    while (len > 0 && (len % sp.alignment_length != 0 ||
                       (a + len) % sp.alignment_internal != 0))
      len--;
    if (len == 0) return iodma::kEINVAL;
  }
  if (a > sp.max_address || len - 1 > sp.max_address - a)
    return iodma::kEOVERFLOW;
  *out = {a, len};
  return 0;
}

// The whole walk from `pos`: the segments, and the error that stopped it.
inline int walk(const iodma::Spec& sp, const std::vector<Seg>& d, uint64_t pos,
                std::vector<Seg>* out) {
  const uint64_t t = total(d);
  while (pos < t) {
    Seg s;
    int err = next(sp, d, pos, &s);
    if (err != 0) return err;
    out->push_back(s);
    pos += s.len;
  }
  return 0;
}

}  // namespace model

#endif  // IODMA_TESTS_SEGMENT_MODEL_H
