// SPDX-License-Identifier: GPL-2.0-or-later
// Zonelists (build_zonelists() and its helpers in mm/page_alloc.c; PRIV v4 patches 03
// and 04 for private nodes): FALLBACK lists by NUMA distance with the
// kernel's tie-breaking, NOFALLBACK lists for __GFP_THISNODE, private-node rules, and
// the per-zone placement gate.
#include "alloc/zonelist.h"

#include <bit>
#include <limits>

#include "alloc/machine.h"

namespace pagealloc {

NumaTopology numa_topology(const Config& c) {
  NumaTopology t;
  t.nr_nodes = static_cast<int>(c.nodes.size());
  for (int n = 0; n < t.nr_nodes; n++) {
    const NodeConfig& nc = c.nodes[n];
    for (const ZoneConfig& zc : nc.zones) {
      uint64_t absent = 0;
      for (const PfnRange& h : zc.holes) absent += h.size();
      if (zc.pages > absent) t.populated[n] |= static_cast<uint8_t>(1u << zc.type);
    }
    if (t.populated[n]) t.node_states[nc.memory_private ? N_MEMORY_PRIVATE : N_MEMORY].set(n);
    if (nc.generic_initiator) t.node_states[N_GENERIC_INITIATOR].set(n);
    for (int m = 0; m < t.nr_nodes; m++)
      t.distance[n][m] = static_cast<uint8_t>(c.node_distance(n, m));
  }
  for (unsigned cpu = 0; cpu < c.nr_cpus(); cpu++) t.node_states[N_CPU].set(c.node_of_cpu(cpu));
  return t;
}

namespace {

// build_zonerefs_node(): the node's populated zones, highest zone index first.
Zoneref* build_zonerefs_node(const NumaTopology& t, int nid, Zoneref* out) {
  for (int type = MAX_NR_ZONES - 1; type >= 0; type--)
    if (t.populated[nid] & (1u << type))
      *out++ = {zone_id_of(nid, type), static_cast<uint8_t>(type), static_cast<uint8_t>(nid)};
  return out;
}

// find_next_best_node(): the local node first if it has memory, then the unused
// N_MEMORY node with the smallest
//   (distance + [n < node] + [n has CPUs]) * MAX_NUMNODES + node_load[n].
// Candidates are visited in ascending id as in for_each_node_state(), so ties go to
// the lowest id.
int find_next_best_node(const NumaTopology& t, int node, Nodemask* used, const int* node_load) {
  const Nodemask memory = t.node_states[N_MEMORY];
  if (!used->test(node) && memory.test(node)) {
    used->set(node);
    return node;
  }
  int best = NUMA_NO_NODE;
  long min_val = std::numeric_limits<long>::max();
  const uint64_t cpus = t.node_states[N_CPU].bits;
  for (uint64_t left = (memory & ~*used).bits; left; left &= left - 1) {
    const int n = std::countr_zero(left);
    long val = t.node_distance(node, n);
    val += (n < node);       // prefer nodes after this one on equal distance
    val += (cpus >> n) & 1;  // PENALTY_FOR_NODE_WITH_CPUS
    val *= kMaxNumNodesScale;
    val += node_load[n];
    if (val < min_val) {
      min_val = val;
      best = n;
    }
  }
  if (best >= 0) used->set(best);
  return best;
}

// build_zonelists_in_node_order(): the FALLBACK list, every node's zones in node order.
Zoneref* build_zonelists_in_node_order(const NumaTopology& t, const uint8_t* node_order,
                                       int nr_nodes, Zoneref* out) {
  for (int i = 0; i < nr_nodes; i++) out = build_zonerefs_node(t, node_order[i], out);
  return out;
}

// build_thisnode_zonelists(): the NOFALLBACK list (__GFP_THISNODE), the node's own zones.
Zoneref* build_thisnode_zonelists(const NumaTopology& t, int nid, Zoneref* out) {
  return build_zonerefs_node(t, nid, out);
}

// build_zonelists() (the NUMA one): the FALLBACK node order from repeated
// find_next_best_node() calls, bumping node_load[] at the first node of each new
// distance so equal-distance groups are used round-robin, then both lists. The lists
// go to `*end` in the one buffer; `out->bounds` records where they start.
void build_zonelists(const NumaTopology& t, int local, int* node_load, BuiltZonelists* out,
                     Zoneref** end) {
  uint8_t* node_order = out->order[local];
  int nr_nodes = 0;
  Nodemask used;
  // PRIV v4 04/27: a private node's FALLBACK list starts with itself (find_next_best_node
  // only walks N_MEMORY), then continues with the N_MEMORY nodes by distance.
  if (t.has(local, N_MEMORY_PRIVATE)) {
    used.set(local);
    node_order[nr_nodes++] = static_cast<uint8_t>(local);
  }
  int prev = local;
  int node;
  while ((node = find_next_best_node(t, local, &used, node_load)) >= 0) {
    if (t.node_distance(local, node) != t.node_distance(local, prev)) node_load[node]++;
    node_order[nr_nodes++] = static_cast<uint8_t>(node);
    prev = node;
  }
  out->order_len[local] = static_cast<uint8_t>(nr_nodes);
  const Zoneref* const base = out->refs.data();
  out->bounds[local * MAX_ZONELISTS + ZONELIST_FALLBACK] = static_cast<uint32_t>(*end - base);
  *end = build_zonelists_in_node_order(t, node_order, nr_nodes, *end);
  out->bounds[local * MAX_ZONELISTS + ZONELIST_NOFALLBACK] = static_cast<uint32_t>(*end - base);
  *end = build_thisnode_zonelists(t, local, *end);
}

}  // namespace

// __build_all_zonelists(): node_load[] starts at zero and is shared across all nodes'
// builds, so equal distance groups are used round-robin from node to node.
void _build_all_zonelists(const NumaTopology& t, BuiltZonelists* out) {
  const int nn = t.nr_nodes;
  size_t zones = 0;
  for (int n = 0; n < nn; n++) zones += static_cast<size_t>(std::popcount(t.populated[n]));
  // Each FALLBACK list holds at most every zone, each NOFALLBACK list its node's.
  out->refs.resize(static_cast<size_t>(nn) * zones + zones);
  Zoneref* const base = out->refs.data();
  Zoneref* end = base;
  int node_load[kMaxNodes] = {};
  for (int local = 0; local < nn; local++) build_zonelists(t, local, node_load, out, &end);
  out->bounds[nn * MAX_ZONELISTS] = static_cast<uint32_t>(end - base);
  out->refs.resize(static_cast<size_t>(end - base));
}

// build_all_zonelists() at boot: the Machine's lists come from the same build; the
// copies are what its callers (and MachineCorruptor) hold.
void Machine::build_all_zonelists(const NumaTopology& topology) {
  BuiltZonelists built;
  _build_all_zonelists(topology, &built);
  // The nodes' lists stay views into the one buffer (moving a vector keeps its storage).
  zonelist_refs_ = std::move(built.refs);
  const Zoneref* refs = zonelist_refs_.data();
  for (size_t l = 0; l < nodes_.size(); l++) {
    NodeInfo& ni = nodes_[l];
    for (ZonelistKind k : {ZONELIST_FALLBACK, ZONELIST_NOFALLBACK}) {
      const unsigned i = static_cast<unsigned>(l) * MAX_ZONELISTS + k;
      ni.zonelists[k] = Zonelist(refs + built.bounds[i], refs + built.bounds[i + 1]);
    }
    const std::span<const uint8_t> order = built.fallback_order(static_cast<int>(l));
    std::copy(order.begin(), order.end(), ni.fallback_nodes);
    ni.fallback_len = static_cast<uint8_t>(order.size());
  }
}

size_t Machine::first_zones_zonelist(const Zonelist& zl, size_t from, unsigned highest_zoneidx,
                                     const Nodemask* nodemask) {
  for (size_t i = from; i < zl.size(); i++) {
    if (zl[i].zone_idx > highest_zoneidx) continue;
    if (nodemask && !nodemask->test(zl[i].node)) continue;
    return i;
  }
  return zl.size();
}

// numa_zone_alloc_allowed() (PRIV v4 03/27) folded with cpuset_zone_allowed():
//  1. a private node's zones need __GFP_PRIVATE (or the context's managed_node), even
//     without cpusets;
//  2. with cpusets and ALLOC_CPUSET, cpuset_node_allowed() decides;
//  3. otherwise allowed.
bool Machine::zone_alloc_allowed(const Zone& z, gfp_t gfp, unsigned alloc_flags,
                                 const TaskContext& task) const {
#ifndef BUDDYCHECK_MUTANT_PRIVATE_REACHABLE  // mutant build only (properties/mutants): no gate
  if (nodes_[z.node].has(N_MEMORY_PRIVATE) && !(gfp & __GFP_PRIVATE) &&
      !(alloc_flags & ALLOC_MANAGED_NODE))
    return false;
#endif
  if (task.cpuset_mems && (alloc_flags & ALLOC_CPUSET)) {
    // cpuset_node_allowed(): interrupts, members, OOM victims pass; the hard wall
    // stops the rest; the nearest hardwall ancestor (the root here) admits all.
    if (task.in_interrupt || task.in_serving_softirq)
      return true;  // in_interrupt() counts softirqs
    if (task.cpuset_mems->test(z.node)) return true;
    if (task.oom_victim) return true;
    if (gfp & __GFP_HARDWALL) return false;
    return true;
  }
  return true;
}

}  // namespace pagealloc
