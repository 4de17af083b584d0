// SPDX-License-Identifier: GPL-2.0-or-later
// Named invariants (invariants.def) over a Machine's whole state, checked in
// full or incrementally around what an op touched. Both checks report the first
// violation in a fixed order, so they agree on a clean machine and on any corruption
// inside the touched neighbourhood.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "alloc/machine.h"
#include "oracles/finding.h"

namespace buddycheck {

enum class Inv : uint16_t {
#define INVARIANT(Name, id, rule, kernel) Name,
#include "oracles/invariants.def"
  kCount
};

struct InvariantInfo {
  std::string_view id;      // "INV-BUDDY-ALIGN"
  std::string_view rule;    // one line
  std::string_view kernel;  // the kernel check it mirrors
};
const InvariantInfo& invariant_info(Inv inv);
std::optional<Inv> invariant_by_id(std::string_view id);

// Every invariant over the whole machine.
std::optional<Finding> check_invariants(const pagealloc::Machine& m);
// The same check without its fast probes (oracles/invariants_probe.cc), which must
// never change its result: tests compare the two.
std::optional<Finding> check_invariants_unprobed(const pagealloc::Machine& m);

// The invariants around the PFNs an op touched (Machine::touched()), plus the
// per-zone counters, watermarks and per-cpu accounting, which are O(zones * cpus).
// With an overflowed touch log this is the full check.
std::optional<Finding> check_invariants_incremental(const pagealloc::Machine& m);

}  // namespace buddycheck
