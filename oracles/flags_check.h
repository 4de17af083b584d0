// SPDX-License-Identifier: GPL-2.0-or-later
// Cross-checks of the alloc_flags machinery: the slow-path translation against the
// oracle's, and sanitize_alloc_flags()'s own properties (alloc_flags fuzzer, properties).
#pragma once

#include <optional>

#include "alloc/alloc_flags.h"
#include "oracles/finding.h"

namespace buddycheck {

using namespace pagealloc;

// The translation under test as a function, so tests can hand the checker a broken one.
using SlowFlagsFn = unsigned (*)(gfp_t, unsigned, const TaskContext&, bool);

// FLAGS-SLOWPATH: gfp_to_alloc_flags() == spec_slow_alloc_flags().
std::optional<Finding> check_slow_flags(gfp_t gfp, unsigned order, const TaskContext& task,
                                        bool mobility_grouping,
                                        SlowFlagsFn translate = &gfp_to_alloc_flags);

// The sanitizer as a function, so tests can hand the checker a broken one.
using SanitizeFn = SanitizeResult (*)(AllocFlags*, gfp_t, unsigned, bool);

// SANITIZE-IDEMPOTENT, SANITIZE-INTERNAL-LEAK, SANITIZE-FIELD-VERDICT for one input.
std::optional<Finding> check_sanitizer(AllocFlags in, gfp_t gfp, unsigned order,
                                       bool mobility_grouping,
                                       SanitizeFn sanitize = &sanitize_alloc_flags);

}  // namespace buddycheck
