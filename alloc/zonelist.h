// SPDX-License-Identifier: GPL-2.0-or-later
// Zonelists as a function of the NUMA topology a boot sees (build_zonelists(); PRIV v4
// 04/27 for private nodes): which
// nodes have memory, private memory or CPUs, which zones each node populates, and the
// node distances. The Machine builds its lists with _build_all_zonelists() below; the
// zonelist fuzzer calls it directly, without the cost of booting a Machine.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "alloc/config.h"
#include "alloc/gfp.h"
#include "alloc/nodemask.h"

namespace pagealloc {

struct Zoneref {
  uint16_t zone;
  uint8_t zone_idx;  // ZoneType
  uint8_t node;
  bool operator==(const Zoneref&) const = default;
};
// A node's zonelist: a view into the Machine's one buffer of zonerefs (boot builds
// every list back to back, see BuiltZonelists).
using Zonelist = std::span<const Zoneref>;

// The model's zone numbering (Zone::id, Machine::node_zone()).
constexpr uint16_t zone_id_of(int nid, unsigned type) {
  return static_cast<uint16_t>(nid * MAX_NR_ZONES + type);
}

// Everything _build_all_zonelists() reads. A plain value: no heap, no config reference.
struct NumaTopology {
  int nr_nodes = 0;
  Nodemask node_states[NR_NODE_STATES];         // node_states[] after boot
  uint8_t populated[kMaxNodes] = {};            // bit per ZoneType with present pages
  uint8_t distance[kMaxNodes][kMaxNodes] = {};  // validate_config() bounds them by 254

  bool has(int nid, NodeState s) const { return node_states[s].test(nid); }
  unsigned node_distance(int a, int b) const { return distance[a][b]; }
};

// What boot derives from a valid config (validate_config() == ""): check_for_memory()
// sets N_MEMORY, or N_MEMORY_PRIVATE on a private node (PRIV v4), for a node with
// present pages; N_CPU for every CPU's node; N_GENERIC_INITIATOR from the config.
NumaTopology numa_topology(const Config& c);

// Every node's two zonelists, back to back in one buffer (one allocation per build).
struct BuiltZonelists {
  std::vector<Zoneref> refs;
  // List (nid, kind) is refs[bounds[2 * nid + kind], bounds[2 * nid + kind + 1]).
  uint32_t bounds[kMaxNodes * MAX_ZONELISTS + 1] = {};
  uint8_t order[kMaxNodes][kMaxNodes] = {};  // FALLBACK node order per node
  uint8_t order_len[kMaxNodes] = {};

  std::span<const Zoneref> list(int nid, ZonelistKind kind) const {
    const unsigned i = static_cast<unsigned>(nid) * MAX_ZONELISTS + kind;
    return {refs.data() + bounds[i], refs.data() + bounds[i + 1]};
  }
  std::span<const uint8_t> fallback_order(int nid) const { return {order[nid], order_len[nid]}; }
};

// __build_all_zonelists(): build_zonelists() for each node in id order: the FALLBACK
// list (nodes from find_next_best_node(), sharing node_load[] across nodes) and the
// NOFALLBACK list.
void _build_all_zonelists(const NumaTopology& t, BuiltZonelists* out);

}  // namespace pagealloc
