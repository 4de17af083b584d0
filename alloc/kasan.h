// SPDX-License-Identifier: GPL-2.0-or-later
// The allocator's KASAN hooks (kasan_poison_pages / kasan_unpoison_pages). In sanitizer
// builds the backing memory of free and unmapped pages is poisoned with ASan's manual
// poisoning API, so any access to it is reported like a KASAN use-after-free; in other
// builds these are no-ops.
#pragma once

#include <cstddef>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUDDYCHECK_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BUDDYCHECK_ASAN 1
#endif

#ifdef BUDDYCHECK_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace pagealloc::kasan {

inline constexpr bool enabled() {
#ifdef BUDDYCHECK_ASAN
  return true;
#else
  return false;
#endif
}

inline void poison(const void* p, size_t n) {
#ifdef BUDDYCHECK_ASAN
  if (p && n) ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

inline void unpoison(const void* p, size_t n) {
#ifdef BUDDYCHECK_ASAN
  if (p && n) ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

inline bool is_poisoned(const void* p) {
#ifdef BUDDYCHECK_ASAN
  return p && __asan_address_is_poisoned(p);
#else
  (void)p;
  return false;
#endif
}

}  // namespace pagealloc::kasan
