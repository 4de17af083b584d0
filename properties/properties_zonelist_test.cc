// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of zonelists (build_zonelists(); PRIV v4 04/27) and of nodemasks built the way kernel
// code builds them, on every named machine and on random ones.
#include <algorithm>
#include <set>
#include <span>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "alloc/zonelist.h"
#include "drive/trace.h"
#include "oracles/zonelist_ref.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

std::string list_str(std::span<const Zoneref> zl) {
  std::string s;
  for (const Zoneref& z : zl)
    s += fmt::format(" {}:{}", z.node, zone_name(static_cast<ZoneType>(z.zone_idx)));
  return s;
}

[[noreturn]] void fail_machine(const Machine& m, const std::string& what) {
  RC_FAIL(what + "\n---- config\n" + print_config(m.config()) + dumps(m));
}

// props-zonelist-cover-1: Expect every node's FALLBACK zonelist to hold every
// populated zone of every N_MEMORY node exactly once (plus, for a private node, its own
// zones first), never a private node's zone otherwise, each node's zones highest index
// first; and its NOFALLBACK list to hold exactly its own populated zones.
void cover_1(const Config& cfg) {
  Machine m(cfg);
  const Nodemask memory = m.node_states(N_MEMORY);
  for (unsigned nid = 0; nid < m.nr_nodes(); nid++) {
    const bool self_private = m.node(nid).has(N_MEMORY_PRIVATE);
    const Zonelist fb = m.zonelist(nid, ZONELIST_FALLBACK);
    std::set<uint16_t> seen;
    for (size_t i = 0; i < fb.size(); i++) {
      const Zoneref& zr = fb[i];
      const Zone& z = m.zone(zr.zone);
      if (!seen.insert(zr.zone).second)
        fail_machine(
            m, fmt::format("node {} FALLBACK lists zone {} twice:{}", nid, zr.zone, list_str(fb)));
      if (!z.populated() || z.node != zr.node || z.type != zr.zone_idx)
        fail_machine(
            m, fmt::format("node {} FALLBACK has a bad zoneref {}:{}", nid, zr.node, zr.zone_idx));
      if (m.node(zr.node).has(N_MEMORY_PRIVATE) &&
          !(self_private && zr.node == static_cast<int>(nid)))
        fail_machine(m, fmt::format("node {} FALLBACK reaches private node {}:{}", nid, zr.node,
                                    list_str(fb)));
      if (i > 0 && fb[i - 1].node == zr.node && fb[i - 1].zone_idx <= zr.zone_idx)
        fail_machine(m, fmt::format("node {} FALLBACK: node {} zones not highest first:{}", nid,
                                    zr.node, list_str(fb)));
      if (self_private && i > 0 && zr.node == static_cast<int>(nid) && fb[i - 1].node != zr.node)
        fail_machine(
            m, fmt::format("private node {} FALLBACK: own zones not first:{}", nid, list_str(fb)));
    }
    for (unsigned zid = 0; zid < m.nr_zones(); zid++) {
      const Zone& z = m.zone(zid);
      const bool reachable =
          memory.test(z.node) || (self_private && z.node == static_cast<int>(nid));
      if (z.populated() && reachable && !seen.count(static_cast<uint16_t>(zid)))
        fail_machine(m, fmt::format("node {} FALLBACK misses node {} {}:{}", nid, z.node,
                                    zone_name(z.type), list_str(fb)));
    }
    const Zonelist nf = m.zonelist(nid, ZONELIST_NOFALLBACK);
    std::vector<Zoneref> own;
    for (int t = MAX_NR_ZONES - 1; t >= 0; t--)
      if (m.node_zone(nid, static_cast<ZoneType>(t)).populated())
        own.push_back({m.node_zone(nid, static_cast<ZoneType>(t)).id, static_cast<uint8_t>(t),
                       static_cast<uint8_t>(nid)});
    bool same = nf.size() == own.size();
    for (size_t i = 0; same && i < nf.size(); i++) same = nf[i].zone == own[i].zone;
    if (!same)
      fail_machine(m, fmt::format("node {} NOFALLBACK is{} not its own zones{}", nid, list_str(nf),
                                  list_str(own)));
  }
}

// props-zonelist-order-1: Expect every node's zonelists to equal the brute-force build
// of oracles/zonelist_ref.h (find_next_best_node's distance, penalty and
// node_load tie-breaking; ZONELIST-ORDER).
void order_1(const Config& cfg) {
  Machine m(cfg);
  if (auto f = check_zonelists(m))
    fail_machine(m, f->id + ": " + f->summary + "\n" + f->expected + "\n" + f->actual);
}

// props-zonelist-order-2: Expect the lists the zonelist fuzzer checks, built from
// numa_topology(config) without booting a Machine, to pass ZONELIST-ORDER against the
// reference build read straight from the config, to populate the zones a booted Machine counts
// present pages in, and to equal that Machine's lists and fallback orders.
void order_2(const Config& cfg) {
  Machine m(cfg);
  const NumaTopology t = numa_topology(cfg);
  BuiltZonelists built;
  _build_all_zonelists(t, &built);
  if (auto f = check_zonelists(cfg, built))
    fail_machine(m, f->id + ": " + f->summary + "\n" + f->expected + "\n" + f->actual);
  RC_ASSERT(t.nr_nodes == static_cast<int>(m.nr_nodes()));
  for (int nid = 0; nid < t.nr_nodes; nid++) {
    for (unsigned z = 0; z < MAX_NR_ZONES; z++)
      if (((t.populated[nid] >> z) & 1) != m.node_zone(nid, static_cast<ZoneType>(z)).populated())
        fail_machine(
            m, fmt::format("node {} zone {}: topology and Machine disagree on present pages", nid,
                           zone_name(static_cast<ZoneType>(z))));
    for (ZonelistKind k : {ZONELIST_FALLBACK, ZONELIST_NOFALLBACK}) {
      const std::span<const Zoneref> got = built.list(nid, k);
      if (!std::ranges::equal(got, m.zonelist(nid, k)))
        fail_machine(m, fmt::format("node {} {}: built{} vs Machine{}", nid,
                                    k == ZONELIST_FALLBACK ? "FALLBACK" : "NOFALLBACK",
                                    list_str(got), list_str(m.zonelist(nid, k))));
    }
    const std::span<const uint8_t> order = built.fallback_order(nid);
    RC_ASSERT(std::ranges::equal(order, m.node(nid).fallback_order()));
  }
}

// props-zonelist-iterate-1: Expect first_zones_zonelist() to return the first zoneref
// at or after `from` with zone index <= highest_zoneidx and node in the nodemask, for
// nodemasks built from node states, unions, complements and remaps (ZONELIST-ITERATE).
void iterate_1(const Config& cfg) {
  Machine m(cfg);
  const NodeInfoSnapshot nodes = snapshot_nodes(m);
  for (int k = 0; k < 8; k++) {
    const int nid = *pick(0, static_cast<int>(m.nr_nodes()));
    const ZonelistKind kind = *rc::gen::element(ZONELIST_FALLBACK, ZONELIST_NOFALLBACK);
    const size_t from = *rc::gen::inRange<size_t>(0, m.zonelist(nid, kind).size() + 1);
    const unsigned highest = *pick(0u, unsigned{MAX_NR_ZONES});
    const bool with_mask = *rc::gen::arbitrary<bool>();
    const Nodemask mask = *gen_nodemask(nodes);
    if (auto f = check_first_zones(m, nid, kind, from, highest, with_mask ? &mask : nullptr))
      fail_machine(m, f->id + ": " + f->summary + "\n" + f->expected + "\n" + f->actual);
  }
}

class props_zonelist : public ConfigMatrix {};

TEST_P(props_zonelist, cover_1) {
  check(Budget{.runs = 3}, [cfg = config()] { cover_1(cfg); });
}
TEST_P(props_zonelist, order_1) {
  check(Budget{.runs = 3}, [cfg = config()] { order_1(cfg); });
}
TEST_P(props_zonelist, order_2) {
  check(Budget{.runs = 1}, [cfg = config()] { order_2(cfg); });
}
TEST_P(props_zonelist, iterate_1) {
  check(Budget{.runs = 90}, [cfg = config()] { iterate_1(cfg); });
}
BUDDYCHECK_CONFIG_MATRIX(props_zonelist);

TEST(props_zonelist_random, cover_1) {
  check(Budget{.runs = 450}, [] { cover_1(*gen_random_config()); });
}
TEST(props_zonelist_random, order_1) {
  check(Budget{.runs = 450}, [] { order_1(*gen_random_config()); });
}
TEST(props_zonelist_random, order_2) {
  check(Budget{.runs = 300}, [] { order_2(*gen_random_config()); });
}
TEST(props_zonelist_random, iterate_1) {
  check(Budget{.runs = 300}, [] { iterate_1(*gen_random_config()); });
}

// bitmap_remap() from its kernel-doc: a bit of src that is the n-th set bit of old
// becomes the (n mod weight(new))-th set bit of new; other bits, and every bit when
// new is empty, stay where they are.
Nodemask remap_ref(Nodemask src, Nodemask old_nodes, Nodemask new_nodes) {
  Nodemask out;
  const int w = new_nodes.weight();
  for (int b = 0; b < kMaxNodes; b++) {
    if (!src.test(b)) continue;
    if (!old_nodes.test(b) || w == 0) {
      out.set(b);
      continue;
    }
    const int n = Nodemask{old_nodes.bits & ((uint64_t{1} << b) - 1)}.weight() % w;
    int pos = -1;
    for (int seen = -1; seen < n;) seen += new_nodes.test(++pos);
    out.set(pos);
  }
  return out;
}

// props-nodemask-remap-1: Expect nodes_remap() to follow bitmap_remap(): bits outside
// `old` are kept, bits inside land in `new` by rank, so the result lies in
// new | (src & ~old) -- which is how a private node enters a mask built from N_CPU.
TEST(props_nodemask, remap_1) {
  check(Budget{.runs = 1500}, [] {
    auto mask = rc::gen::weightedOneOf<uint64_t>(
        {{3, pick<uint64_t>(0, 256)}, {1, rc::gen::arbitrary<uint64_t>()}});
    const Nodemask src{*mask}, old_nodes{*mask}, new_nodes{*mask};
    const Nodemask got = nodes_remap(src, old_nodes, new_nodes);
    RC_ASSERT(got == remap_ref(src, old_nodes, new_nodes));
    if (!new_nodes.empty())
      RC_ASSERT((got.bits & ~(new_nodes.bits | (src.bits & ~old_nodes.bits))) == 0u);
    RC_ASSERT(got.weight() <= src.weight());
  });
}

}  // namespace
}  // namespace buddycheck::props
