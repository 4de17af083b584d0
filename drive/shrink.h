// SPDX-License-Identifier: GPL-2.0-or-later
// Shrinking a failing trace: remove ops (delta debugging) while the run still ends in
// a finding with the same ID. Allocation ids are renumbered as ops disappear: an op that
// names an allocation refers to the op that created it, not to a number.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "drive/runner.h"

namespace buddycheck {

struct ShrinkResult {
  Trace trace;      // minimal trace (ops up to and including the failing one)
  Finding finding;  // the finding the minimal trace produces
  size_t runs = 0;  // candidate runs tried
};

// Called after each candidate run: runs so far, max_runs, ops still kept.
using ShrinkProgress = std::function<void(size_t runs, size_t max_runs, size_t kept)>;

// nullopt when `t` produces no finding. `max_runs` bounds the work.
std::optional<ShrinkResult> shrink_trace(const Trace& t, const RunOptions& options = {},
                                         size_t max_runs = 4000,
                                         const ShrinkProgress& progress = {});

}  // namespace buddycheck
