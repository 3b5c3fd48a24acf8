// SPDX-License-Identifier: GPL-2.0
// A deliberately simple reference model of the segment walk, byte by byte,
// for small layouts. It restates the rules of SPEC.md section 5 as
// directly as possible; the real generator must agree with it exactly.
#ifndef IODMA_TESTS_SEGMENT_MODEL_H
#define IODMA_TESTS_SEGMENT_MODEL_H

#include <algorithm>
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

// The device address of every prepared byte, looked up by position.
class Flat {
 public:
  explicit Flat(const std::vector<Seg>& d) : d_(d) {
    uint64_t t = 0;
    for (const Seg& s : d) {
      start_.push_back(t);
      t += s.len;
    }
    size_ = t;
  }
  uint64_t size() const { return size_; }
  uint64_t operator[](uint64_t p) const {
    // Mostly sequential: where the last lookup was, or just after.
    if (p < start_[i_] || p - start_[i_] >= d_[i_].len) {
      if (i_ + 1 < d_.size() && p >= start_[i_ + 1] &&
          p - start_[i_ + 1] < d_[i_ + 1].len)
        i_++;
      else
        i_ = std::upper_bound(start_.begin(), start_.end(), p) -
             start_.begin() - 1;
    }
    return d_[i_].addr + (p - start_[i_]);
  }

 private:
  const std::vector<Seg>& d_;
  std::vector<uint64_t> start_;
  uint64_t size_ = 0;
  mutable size_t i_ = 0;
};

// The segment starting at prepared offset `pos`: 0 and *out, or -errno.
inline int next(const iodma::Spec& sp, const Flat& f, uint64_t pos, Seg* out) {
  const uint64_t a = f[pos];
  const uint64_t start_align = pos == 0 ? sp.alignment : sp.alignment_internal;
  if (a % start_align != 0) return iodma::kEINVAL;
  if (pos % sp.alignment_length != 0) return iodma::kEINVAL;
  const uint64_t remaining = f.size() - pos;
  uint64_t lim =
      remaining < sp.max_segment_size ? remaining : sp.max_segment_size;
  if (sp.segment_boundary != 0) {
    // Never cross a multiple of the boundary: the bytes up to the next.
    const uint64_t b = sp.segment_boundary - a % sp.segment_boundary;
    if (b < lim) lim = b;
  }
  uint64_t run = 1;
  while (run < lim && f[pos + run] == a + run) run++;
  uint64_t len;
  if (run < lim) {
    len = run;
    if (len % sp.alignment_length != 0) return iodma::kEINVAL;
    if ((a + len) % sp.alignment_end != 0) return iodma::kEINVAL;  // a gap
  } else if (lim == remaining) {
    len = lim;
  } else {
    len = lim;
    while (len > 0 && (len % sp.alignment_length != 0 ||
                       (a + len) % sp.alignment_internal != 0 ||
                       (a + len) % sp.alignment_end != 0))
      len--;
    if (len == 0) return iodma::kEINVAL;
  }
  if (a > sp.max_address || len - 1 > sp.max_address - a)
    return iodma::kEOVERFLOW;
  *out = {a, len};
  return 0;
}

inline int next(const iodma::Spec& sp, const std::vector<Seg>& d, uint64_t pos,
                Seg* out) {
  return next(sp, Flat(d), pos, out);
}

// The whole walk from `pos`: the segments, and the error that stopped it.
inline int walk(const iodma::Spec& sp, const std::vector<Seg>& d, uint64_t pos,
                std::vector<Seg>* out) {
  const Flat f(d);
  while (pos < f.size()) {
    Seg s;
    int err = next(sp, f, pos, &s);
    if (err != 0) return err;
    out->push_back(s);
    pos += s.len;
  }
  return 0;
}

}  // namespace model

#endif  // IODMA_TESTS_SEGMENT_MODEL_H
