// SPDX-License-Identifier: GPL-2.0-or-later
// nodemask_t for a model of at most 64 nodes: one word. Printing and parsing use the
// kernel's "%*pbl" list spelling ("0-1,3"); the empty mask prints as "".
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alloc/types.h"

namespace pagealloc {

struct Nodemask {
  uint64_t bits = 0;

  static Nodemask none() { return {}; }
  static Nodemask of(int nid) { return Nodemask{uint64_t{1} << nid}; }
  static Nodemask first_n(int n) {
    return Nodemask{n >= 64 ? ~uint64_t{0} : ((uint64_t{1} << n) - 1)};
  }

  bool test(int nid) const { return nid >= 0 && nid < kMaxNodes && ((bits >> nid) & 1); }
  void set(int nid) { bits |= uint64_t{1} << nid; }
  void clear(int nid) { bits &= ~(uint64_t{1} << nid); }
  bool empty() const { return bits == 0; }
  int weight() const { return std::popcount(bits); }
  int first() const { return bits ? std::countr_zero(bits) : kMaxNodes; }

  Nodemask operator|(Nodemask o) const { return {bits | o.bits}; }
  Nodemask operator&(Nodemask o) const { return {bits & o.bits}; }
  Nodemask operator~() const { return {~bits}; }
  bool operator==(const Nodemask&) const = default;
};

// "0-1,3" (nodelist format, nodelist_parse()/"%*pbl").
std::string nodemask_to_string(Nodemask m);
// Accepts the list format; also "all" is not accepted (callers spell it out).
// On error returns nullopt and fills *error / *error_col (0-based).
std::optional<Nodemask> parse_nodemask(std::string_view text, std::string* error = nullptr,
                                       size_t* error_col = nullptr);

// node_remap(): the kernel's bitmap_remap of one nodemask through old -> new, which
// is how a private node can "sneak" into a mask built from node_states[].
Nodemask nodes_remap(Nodemask src, Nodemask old_nodes, Nodemask new_nodes);

}  // namespace pagealloc
