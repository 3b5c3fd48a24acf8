// SPDX-License-Identifier: GPL-2.0
#include "fake_platform.h"

#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include "../src/core/platform.h"

namespace fake {
namespace {

struct State {
  long fail_at = -1;
  long total = 0;
  unsigned int gfp = 0;
  long bugs = 0;
  std::unordered_set<void*> live;
};

State& state() {
  static State s;
  return s;
}

}  // namespace

void reset() {
  State& s = state();
  s.fail_at = -1;
  s.total = 0;
  s.gfp = 0;
  s.bugs = 0;
  s.live.clear();
}
void fail_nth_alloc(long n) {
  state().fail_at = n < 0 ? -1 : state().total + n;
}
long live_allocs() { return static_cast<long>(state().live.size()); }
long total_allocs() { return state().total; }
unsigned int last_gfp() { return state().gfp; }
long bug_reports() { return state().bugs; }

}  // namespace fake

extern "C" {

void* iodma_plat_alloc(unsigned long size, unsigned int gfp) {
  fake::State& s = fake::state();
  s.gfp = gfp;
  if (s.total++ == s.fail_at) return nullptr;
  void* p = std::calloc(1, size);
  if (p != nullptr) s.live.insert(p);
  return p;
}

void iodma_plat_free(void* p) {
  if (p == nullptr) return;
  if (fake::state().live.erase(p) != 1) {
    std::fprintf(stderr, "fake platform: free of unknown pointer %p\n", p);
    std::abort();
  }
  std::free(p);
}

void iodma_plat_dev_get(void* dev) { static_cast<fake::Device*>(dev)->refs++; }

void iodma_plat_dev_put(void* dev) {
  auto* d = static_cast<fake::Device*>(dev);
  if (d->refs <= 0) {
    std::fprintf(stderr, "fake platform: device reference underflow\n");
    std::abort();
  }
  d->refs--;
}

void iodma_plat_dev_query(void* dev, iodma_plat_dev_info* info) {
  auto* d = static_cast<fake::Device*>(dev);
  info->translated = d->translated;
  info->page_shift = d->page_shift;
}

void iodma_plat_bug(const char* what) {
  std::fprintf(stderr, "iodma core bug: %s\n", what);
  fake::state().bugs++;
}

}  // extern "C"
