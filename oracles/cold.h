// SPDX-License-Identifier: GPL-2.0-or-later
// Failure paths (and other rare paths) of the oracles' per-op code, run out of line.
// A check formats its report (fmt::format strings, PFN vectors) only when it fails,
// but inline those temporaries still sit in the checking function's stack frame, and
// an ASan build poisons and unpoisons that whole frame on every call: half of the time
// of the per-block and per-page checks in the fuzzers went to that. Wrapped in cold(),
// they live in a frame of their own that is only set up when the path is taken. A
// lambda that returns a Finding should say `-> std::optional<Finding>`, so the result
// is built in the caller's return slot rather than in a temporary of its own.
#pragma once

#include <utility>

namespace buddycheck {

template <class F>
[[gnu::noinline, gnu::cold]] decltype(auto) cold(F&& f) {
  return std::forward<F>(f)();
}

}  // namespace buddycheck
