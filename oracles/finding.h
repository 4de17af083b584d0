// SPDX-License-Identifier: GPL-2.0-or-later
// A Finding: one oracle's verdict that the allocator broke a rule. It renders the same
// way everywhere (report.h) and always comes with the trace that replays it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "alloc/types.h"

namespace buddycheck {

using pagealloc::Pfn;

struct Finding {
  std::string id;         // stable ID: "INV-BUDDY-ALIGN", "SHADOW-ZONE", "LIVE-FAIL", ...
  std::string summary;    // one line, kernel bug-report style
  std::string expected;   // what the rule demands
  std::string actual;     // what the machine did
  std::vector<Pfn> pfns;  // PFNs involved (first one centres the ASCII map)
  int zone = -1;          // zone id involved, -1 if none
  size_t op_index = static_cast<size_t>(-1);  // index of the op after which it fired
};

}  // namespace buddycheck
