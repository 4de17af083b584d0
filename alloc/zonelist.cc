// Zonelists (spec §3.5-3.6, §8.2-8.4): FALLBACK lists by NUMA distance with the
// kernel's tie-breaking, NOFALLBACK lists for __GFP_THISNODE, private-node rules, and
// the per-zone placement gate.
#include "alloc/machine.h"

namespace pagealloc {

// build_zonerefs_node(): the node's populated zones, highest zone index first.
void Machine::build_zonerefs_node(int nid, Zonelist* out) const {
  for (int t = MAX_NR_ZONES - 1; t >= 0; t--) {
    const Zone& z = zones_[nid * MAX_NR_ZONES + t];
    if (z.populated())
      out->push_back({z.id, static_cast<uint8_t>(t), static_cast<uint8_t>(nid)});
  }
}

// find_next_best_node(): the local node first if it has memory, then the unused
// N_MEMORY node with the smallest
//   (distance + [n < node] + [n has CPUs]) * MAX_NUMNODES + node_load[n].
int Machine::find_next_best_node(int node, Nodemask* used, const std::vector<int>& node_load) const {
  const Nodemask memory = node_state_masks_[N_MEMORY];
  if (!used->test(node) && memory.test(node)) {
    used->set(node);
    return node;
  }
  int best = NUMA_NO_NODE;
  long min_val = 0;
  for (int n = 0; n < static_cast<int>(nodes_.size()); n++) {
    if (!memory.test(n) || used->test(n)) continue;
    long val = config_.node_distance(node, n);
    val += (n < node);  // prefer nodes after this one on equal distance
    if (nodes_[n].has(N_CPU)) val += 1;  // PENALTY_FOR_NODE_WITH_CPUS
    val *= kMaxNumNodesScale;
    val += node_load[n];
    if (best == NUMA_NO_NODE || val < min_val) {
      min_val = val;
      best = n;
    }
  }
  if (best >= 0) used->set(best);
  return best;
}

// __build_all_zonelists(): node_load[] is shared across all nodes' builds, so equal
// distance groups are used round-robin from node to node.
void Machine::build_all_zonelists() {
  std::vector<int> node_load(nodes_.size(), 0);
  for (size_t l = 0; l < nodes_.size(); l++) {
    NodeInfo& ni = nodes_[l];
    const int local = static_cast<int>(l);
    Nodemask used;
    std::vector<int> order;
    order.reserve(nodes_.size());
    int prev = local;
    // PRIV §8.3: a private node's FALLBACK list starts with itself (find_next_best_node
    // only walks N_MEMORY), then continues with the N_MEMORY nodes by distance.
    if (ni.has(N_MEMORY_PRIVATE)) {
      used.set(local);
      order.push_back(local);
    }
    int node;
    while ((node = find_next_best_node(local, &used, node_load)) >= 0) {
      if (config_.node_distance(local, node) != config_.node_distance(local, prev)) node_load[node]++;
      order.push_back(node);
      prev = node;
    }
    ni.zonelists[ZONELIST_FALLBACK].clear();
    ni.zonelists[ZONELIST_FALLBACK].reserve(order.size() * MAX_NR_ZONES);
    for (int n : order) build_zonerefs_node(n, &ni.zonelists[ZONELIST_FALLBACK]);
    ni.zonelists[ZONELIST_NOFALLBACK].clear();
    ni.zonelists[ZONELIST_NOFALLBACK].reserve(MAX_NR_ZONES);
    build_zonerefs_node(local, &ni.zonelists[ZONELIST_NOFALLBACK]);
    ni.fallback_order = std::move(order);
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

// numa_zone_alloc_allowed() (PRIV patch 03) folded with cpuset_zone_allowed():
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
    if (task.in_interrupt || task.in_serving_softirq) return true;  // in_interrupt() counts softirqs
    if (task.cpuset_mems->test(z.node)) return true;
    if (task.oom_victim) return true;
    if (gfp & __GFP_HARDWALL) return false;
    return true;
  }
  return true;
}

}  // namespace pagealloc
