#include "oracles/zonelist_ref.h"

#include <fmt/format.h>

#include "oracles/checks.h"

namespace buddycheck {

namespace {

bool node_has_memory(const Machine& m, int n) {
  for (unsigned t = 0; t < MAX_NR_ZONES; t++)
    if (m.node_zone(n, static_cast<ZoneType>(t)).present_pages) return true;
  return false;
}
bool node_private(const Machine& m, int n) { return m.config().nodes[n].memory_private; }
bool node_has_cpus(const Machine& m, int n) {
  for (unsigned c = 0; c < m.nr_cpus(); c++)
    if (m.config().node_of_cpu(c) == n) return true;
  return false;
}

void zonerefs_of(const Machine& m, int n, std::vector<Zoneref>* out) {
  // Highest zone first, populated zones only.
  for (int t = MAX_NR_ZONES - 1; t >= 0; t--) {
    const Zone& z = m.node_zone(n, static_cast<ZoneType>(t));
    if (z.present_pages) out->push_back({z.id, static_cast<uint8_t>(t), static_cast<uint8_t>(n)});
  }
}

std::string zl_str(const std::vector<Zoneref>& zl) {
  std::string s;
  for (const Zoneref& z : zl) s += fmt::format("{}{}:{}", s.empty() ? "" : " ", z.node, zone_name(static_cast<ZoneType>(z.zone_idx)));
  return s.empty() ? "(empty)" : s;
}

}  // namespace

namespace {

// Every node's FALLBACK node order in one pass: node_load[] accumulates over the
// builds in node-id order (__build_all_zonelists()).
std::vector<std::vector<int>> spec_fallback_orders(const Machine& m) {
  const int nn = static_cast<int>(m.nr_nodes());
  std::vector<bool> memory(nn), priv(nn), cpus(nn);
  for (int n = 0; n < nn; n++) {
    memory[n] = node_has_memory(m, n);
    priv[n] = node_private(m, n);
    cpus[n] = node_has_cpus(m, n);
  }
  std::vector<int> load(nn, 0);
  std::vector<std::vector<int>> orders(nn);
  for (int l = 0; l < nn; l++) {
    std::vector<bool> used(nn, false);
    std::vector<int>& order = orders[l];
    // PRIV §8.3: a private node with memory comes first in its own list.
    if (priv[l] && memory[l]) {
      used[l] = true;
      order.push_back(l);
    }
    int prev = l;
    for (;;) {
      int best = -1;
      if (!used[l] && memory[l] && !priv[l]) {
        best = l;  // the local node first when it has (public) memory
      } else {
        long best_score = 0;
        for (int n = 0; n < nn; n++) {
          if (used[n] || !memory[n] || priv[n]) continue;
          long score = (static_cast<long>(m.config().node_distance(l, n)) + (n < l ? 1 : 0) + (cpus[n] ? 1 : 0)) *
                           kMaxNumNodesScale + load[n];
          if (best < 0 || score < best_score) best = n, best_score = score;
        }
      }
      if (best < 0) break;
      used[best] = true;
      if (m.config().node_distance(l, best) != m.config().node_distance(l, prev)) load[best]++;
      order.push_back(best);
      prev = best;
    }
  }
  return orders;
}

std::vector<Zoneref> zonelist_of(const Machine& m, const std::vector<int>& order) {
  std::vector<Zoneref> out;
  for (int n : order) zonerefs_of(m, n, &out);
  return out;
}

}  // namespace

std::vector<Zoneref> spec_zonelist(const Machine& m, int nid, ZonelistKind kind) {
  if (kind == ZONELIST_NOFALLBACK) {
    std::vector<Zoneref> out;
    zonerefs_of(m, nid, &out);
    return out;
  }
  return zonelist_of(m, spec_fallback_orders(m)[nid]);
}

std::optional<Finding> check_zonelists(const Machine& m) {
  const std::vector<std::vector<int>> orders = spec_fallback_orders(m);
  for (int n = 0; n < static_cast<int>(m.nr_nodes()); n++)
    for (ZonelistKind k : {ZONELIST_FALLBACK, ZONELIST_NOFALLBACK}) {
      std::vector<Zoneref> want;
      if (k == ZONELIST_FALLBACK) want = zonelist_of(m, orders[n]);
      else zonerefs_of(m, n, &want);
      const Zonelist& got = m.zonelist(n, k);
      bool same = want.size() == got.size();
      for (size_t i = 0; same && i < want.size(); i++)
        same = want[i].zone == got[i].zone && want[i].zone_idx == got[i].zone_idx && want[i].node == got[i].node;
      if (same) continue;
      return check_finding(Check::ZonelistOrder,
                           fmt::format("node {} {} zonelist differs from the spec", n,
                                       k == ZONELIST_FALLBACK ? "FALLBACK" : "NOFALLBACK"),
                           zl_str(want), zl_str(got));
    }
  return std::nullopt;
}

std::optional<Finding> check_first_zones(const Machine& m, int nid, ZonelistKind kind, size_t from,
                                         unsigned highest_zoneidx, const Nodemask* nodemask,
                                         FirstZonesFn first_zones) {
  const Zonelist& zl = m.zonelist(nid, kind);
  size_t want = zl.size();
  for (size_t i = from; i < zl.size(); i++)
    if (zl[i].zone_idx <= highest_zoneidx && (!nodemask || nodemask->test(zl[i].node))) {
      want = i;
      break;
    }
  size_t got = first_zones(zl, from, highest_zoneidx, nodemask);
  if (got == want) return std::nullopt;
  return check_finding(Check::ZonelistIterate,
                       fmt::format("first_zones_zonelist(node {}, from {}, highest {}, nodemask {}) wrong", nid, from,
                                   zone_name(static_cast<ZoneType>(std::min<unsigned>(highest_zoneidx, MAX_NR_ZONES - 1))),
                                   nodemask ? nodemask_to_string(*nodemask) : "NULL"),
                       fmt::format("index {}", want), fmt::format("index {}", got));
}

}  // namespace buddycheck
