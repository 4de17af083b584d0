// SPDX-License-Identifier: GPL-2.0-or-later
#include "oracles/zonelist_ref.h"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "oracles/checks.h"

namespace buddycheck {

namespace {

// What build_zonelists() looks at, per node, gathered without alloc/zonelist.cc.
struct Facts {
  const Config* config = nullptr;  // node distances
  int nr_nodes = 0;
  bool present[kMaxNodes][MAX_NR_ZONES] = {};  // the zone has present pages
  uint16_t zone_id[kMaxNodes][MAX_NR_ZONES] = {};
  bool memory[kMaxNodes] = {};
  bool priv[kMaxNodes] = {};
  bool cpus[kMaxNodes] = {};
};

Facts facts_of(const Machine& m) {
  Facts f;
  f.config = &m.config();
  f.nr_nodes = static_cast<int>(m.nr_nodes());
  for (int n = 0; n < f.nr_nodes; n++) {
    for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
      const Zone& z = m.node_zone(n, static_cast<ZoneType>(t));
      f.present[n][t] = z.present_pages != 0;
      f.zone_id[n][t] = z.id;
      f.memory[n] = f.memory[n] || f.present[n][t];
    }
    f.priv[n] = m.config().nodes[n].memory_private;
  }
  for (unsigned c = 0; c < m.nr_cpus(); c++) f.cpus[m.config().node_of_cpu(c)] = true;
  return f;
}

Facts facts_of(const Config& c) {
  Facts f;
  f.config = &c;
  f.nr_nodes = static_cast<int>(c.nodes.size());
  for (int n = 0; n < f.nr_nodes; n++) {
    for (unsigned t = 0; t < MAX_NR_ZONES; t++)
      f.zone_id[n][t] = static_cast<uint16_t>(n * MAX_NR_ZONES + t);
    for (const ZoneConfig& zc : c.nodes[n].zones) {
      uint64_t present = zc.pages;
      for (const PfnRange& h : zc.holes) present -= h.size();
      if (present) f.present[n][zc.type] = f.memory[n] = true;
    }
    f.priv[n] = c.nodes[n].memory_private;
  }
  for (unsigned cpu = 0; cpu < c.nr_cpus(); cpu++) f.cpus[c.node_of_cpu(cpu)] = true;
  return f;
}

// A zonelist without heap: at most every zone of the machine.
struct SpecList {
  Zoneref refs[kMaxNodes * MAX_NR_ZONES];
  size_t n = 0;
  std::span<const Zoneref> view() const { return {refs, n}; }
};

void zonerefs_of(const Facts& f, int n, SpecList* out) {
  // Highest zone first, populated zones only.
  for (int t = MAX_NR_ZONES - 1; t >= 0; t--)
    if (f.present[n][t])
      out->refs[out->n++] = {f.zone_id[n][t], static_cast<uint8_t>(t), static_cast<uint8_t>(n)};
}

std::string zl_str(std::span<const Zoneref> zl) {
  std::string s;
  for (const Zoneref& z : zl)
    s += fmt::format("{}{}:{}", s.empty() ? "" : " ", z.node,
                     zone_name(static_cast<ZoneType>(z.zone_idx)));
  return s.empty() ? "(empty)" : s;
}

struct FallbackOrders {
  uint8_t node[kMaxNodes][kMaxNodes];
  int len[kMaxNodes] = {};
};

// Every node's FALLBACK node order in one pass: node_load[] accumulates over the
// builds in node-id order (__build_all_zonelists()).
FallbackOrders spec_fallback_orders(const Facts& f) {
  const int nn = f.nr_nodes;
  const Config& c = *f.config;
  int load[kMaxNodes] = {};
  FallbackOrders orders;
  for (int l = 0; l < nn; l++) {
    bool used[kMaxNodes] = {};
    uint8_t* order = orders.node[l];
    int& len = orders.len[l];
    // PRIV v4 04/27: a private node with memory comes first in its own list.
    if (f.priv[l] && f.memory[l]) {
      used[l] = true;
      order[len++] = static_cast<uint8_t>(l);
    }
    int prev = l;
    for (;;) {
      int best = -1;
      if (!used[l] && f.memory[l] && !f.priv[l]) {
        best = l;  // the local node first when it has (public) memory
      } else {
        long best_score = 0;
        for (int n = 0; n < nn; n++) {
          if (used[n] || !f.memory[n] || f.priv[n]) continue;
          long score =
              (static_cast<long>(c.node_distance(l, n)) + (n < l ? 1 : 0) + (f.cpus[n] ? 1 : 0)) *
                  kMaxNumNodesScale +
              load[n];
          if (best < 0 || score < best_score) best = n, best_score = score;
        }
      }
      if (best < 0) break;
      used[best] = true;
      if (c.node_distance(l, best) != c.node_distance(l, prev)) load[best]++;
      order[len++] = static_cast<uint8_t>(best);
      prev = best;
    }
  }
  return orders;
}

SpecList spec_list(const Facts& f, const FallbackOrders& orders, int nid, ZonelistKind kind) {
  SpecList out;
  if (kind == ZONELIST_NOFALLBACK) {
    zonerefs_of(f, nid, &out);
  } else {
    for (int i = 0; i < orders.len[nid]; i++) zonerefs_of(f, orders.node[nid][i], &out);
  }
  return out;
}

// ZONELIST-ORDER for every node and kind; got(nid, kind) is the list under test.
template <typename GotFn>
std::optional<Finding> check_against_spec(const Facts& f, GotFn got) {
  const FallbackOrders orders = spec_fallback_orders(f);
  for (int n = 0; n < f.nr_nodes; n++)
    for (ZonelistKind k : {ZONELIST_FALLBACK, ZONELIST_NOFALLBACK}) {
      const SpecList want = spec_list(f, orders, n, k);
      const std::span<const Zoneref> have = got(n, k);
      if (std::ranges::equal(want.view(), have)) continue;
      return check_finding(Check::ZonelistOrder,
                           fmt::format("node {} {} zonelist differs from the reference build", n,
                                       k == ZONELIST_FALLBACK ? "FALLBACK" : "NOFALLBACK"),
                           zl_str(want.view()), zl_str(have));
    }
  return std::nullopt;
}

}  // namespace

std::vector<Zoneref> spec_zonelist(const Machine& m, int nid, ZonelistKind kind) {
  const Facts f = facts_of(m);
  const SpecList want = spec_list(f, spec_fallback_orders(f), nid, kind);
  return {want.refs, want.refs + want.n};
}

std::optional<Finding> check_zonelists(const Machine& m) {
  return check_against_spec(facts_of(m), [&m](int nid, ZonelistKind k) {
    return std::span<const Zoneref>(m.zonelist(nid, k));
  });
}

std::optional<Finding> check_zonelists(const Config& c, const BuiltZonelists& built) {
  return check_against_spec(facts_of(c),
                            [&built](int nid, ZonelistKind k) { return built.list(nid, k); });
}

std::optional<Finding> check_first_zones(const Machine& m, int nid, ZonelistKind kind, size_t from,
                                         unsigned highest_zoneidx, const Nodemask* nodemask,
                                         FirstZonesFn first_zones) {
  return check_first_zones(m.zonelist(nid, kind), nid, kind, from, highest_zoneidx, nodemask,
                           first_zones);
}

std::optional<Finding> check_first_zones(const Zonelist& zl, int nid, ZonelistKind kind,
                                         size_t from, unsigned highest_zoneidx,
                                         const Nodemask* nodemask, FirstZonesFn first_zones) {
  size_t want = zl.size();
  for (size_t i = from; i < zl.size(); i++)
    if (zl[i].zone_idx <= highest_zoneidx && (!nodemask || nodemask->test(zl[i].node))) {
      want = i;
      break;
    }
  size_t got = first_zones(zl, from, highest_zoneidx, nodemask);
  if (got == want) return std::nullopt;
  return check_finding(
      Check::ZonelistIterate,
      fmt::format(
          "first_zones_zonelist(node {}, from {}, highest {}, nodemask {}) wrong", nid, from,
          zone_name(static_cast<ZoneType>(std::min<unsigned>(highest_zoneidx, MAX_NR_ZONES - 1))),
          nodemask ? nodemask_to_string(*nodemask) : "NULL"),
      fmt::format("index {}", want), fmt::format("index {}", got));
}

}  // namespace buddycheck
