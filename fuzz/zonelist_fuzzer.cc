// SPDX-License-Identifier: GPL-2.0-or-later
// Target `zonelist`: random topologies, distance matrices, node states and nodemasks;
// zonelist construction and iteration against the brute-force build (zonelist_ref.h).
#include <fuzzer/FuzzedDataProvider.h>

#include <bit>

#include <fmt/format.h>

#include "alloc/zonelist.h"
#include "drive/trace.h"
#include "fuzz/decode.h"
#include "fuzz/targets.h"
#include "oracles/zonelist_ref.h"

namespace buddycheck::fuzz {

namespace {

Config decode_topology(FuzzedDataProvider& fdp) {
  Config c;
  c.max_page_order = 1;
  c.pageblock_order = 1;
  c.page_bytes = 0;
  const int nodes = fdp.ConsumeIntegralInRange<int>(1, 16);
  c.nodes.reserve(nodes);
  Pfn cursor = 0;
  for (int n = 0; n < nodes; n++) {
    NodeConfig nc;
    unsigned kind = fdp.ConsumeIntegralInRange<unsigned>(0, 5);  // 0: memoryless, 1: private
    nc.memory_private = kind == 1 && n > 0;
    nc.generic_initiator = fdp.ConsumeBool();
    unsigned types = kind == 0 && n > 0 ? 0 : fdp.ConsumeIntegralInRange<unsigned>(1, 15);
    if (n == 0) types |= 1u << ZONE_NORMAL;
    nc.zones.reserve(std::popcount(types));
    for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
      if (!(types & (1u << t))) continue;
      nc.zones.push_back(
          ZoneConfig{.type = static_cast<ZoneType>(t), .start_pfn = cursor, .pages = 2});
      cursor += 2;
    }
    c.nodes.push_back(std::move(nc));
  }
  int cpus = fdp.ConsumeIntegralInRange<int>(1, 8);
  c.cpu_node.reserve(cpus);
  for (int i = 0; i < cpus; i++)
    c.cpu_node.push_back(fdp.ConsumeIntegralInRange<int>(0, nodes - 1));
  if (fdp.ConsumeBool()) {
    bool symmetric = fdp.ConsumeBool();
    c.distance.assign(nodes, std::vector<unsigned>(nodes, 10));
    for (int a = 0; a < nodes; a++)
      for (int b = 0; b < nodes; b++) {
        if (a == b || (symmetric && b < a)) continue;
        unsigned d = fdp.ConsumeIntegralInRange<unsigned>(11, 40);
        c.distance[a][b] = d;
        if (symmetric) c.distance[b][a] = d;
      }
  }
  return c;
}

}  // namespace

struct ZonelistQuery {
  int nid;
  ZonelistKind kind;
  size_t from;
  unsigned highest;
  std::optional<Nodemask> mask;
};

struct ZonelistInput {
  Config config;
  std::vector<ZonelistQuery> queries;
};

std::optional<ZonelistInput> decode_zonelist_input(const uint8_t* data, size_t size) {
  if (size < 2 || data[0] != kZonelistVersion) return std::nullopt;
  FuzzedDataProvider fdp(data + 1, size - 1);
  ZonelistInput in;
  in.config = decode_topology(fdp);
  const int nodes = static_cast<int>(in.config.nodes.size());
  constexpr int kMaxQueries = 16;
  in.queries.reserve(kMaxQueries);
  for (int i = 0; i < kMaxQueries && fdp.remaining_bytes() > 0; i++) {
    ZonelistQuery q;
    q.nid = fdp.ConsumeIntegralInRange<int>(0, nodes - 1);
    q.kind = fdp.ConsumeBool() ? ZONELIST_NOFALLBACK : ZONELIST_FALLBACK;
    q.from = fdp.ConsumeIntegralInRange<size_t>(0, 4 * MAX_NR_ZONES * nodes);
    q.highest = fdp.ConsumeIntegralInRange<unsigned>(0, MAX_NR_ZONES - 1);
    Nodemask mask{fdp.ConsumeIntegral<uint16_t>()};
    if (fdp.ConsumeBool()) q.mask = mask;
    in.queries.push_back(q);
  }
  return in;
}

TargetOutcome run_zonelist(const uint8_t* data, size_t size, const InputInfo& info) {
  TargetOutcome o;
  std::optional<ZonelistInput> in = decode_zonelist_input(data, size);
  if (!in) {
    o.status = Outcome::BadInput;
    o.report =
        not_an_input(info, "zonelist", "needs at least 2 bytes starting with version byte 0x01");
    return o;
  }
  if (std::string why = validate_config(in->config); !why.empty()) {
    o.status = Outcome::BadInput;
    o.report = not_an_input(info, "zonelist", "decoded topology is impossible: " + why);
    return o;
  }
  // The Machine's own build, without booting one: the memmap, pcp and watermark setup
  // would cost more than everything checked here.
  BuiltZonelists built;
  _build_all_zonelists(numa_topology(in->config), &built);
  std::optional<Finding> f = check_zonelists(in->config, built);
  for (const ZonelistQuery& q : in->queries) {
    if (f) break;
    const Zonelist zl = built.list(q.nid, q.kind);
    size_t from = std::min(q.from, zl.size());
    f = check_first_zones(zl, q.nid, q.kind, from, q.highest, q.mask ? &*q.mask : nullptr);
  }
  if (f) {
    o.status = Outcome::Finding;
    o.finding = f;
    o.trace = *explain_zonelist(data, size);
    o.report = "buddycheck: " + f->id + " " + f->summary + "\n  expected: " + f->expected +
               "\n  actual:   " + f->actual + "\n\nmachine and queries:\n" + o.trace +
               "\nreplay: " + replay_command(info, "zonelist") + "\n";
  }
  return o;
}

std::optional<std::string> explain_zonelist(const uint8_t* data, size_t size) {
  std::optional<ZonelistInput> in = decode_zonelist_input(data, size);
  if (!in) return std::nullopt;
  Trace t;
  t.config = in->config;
  std::string out = print_trace(t);
  for (const ZonelistQuery& q : in->queries)
    out += fmt::format(
        "# query: first_zones_zonelist(node {} {}, from {}, highest {}, nodemask {})\n", q.nid,
        q.kind == ZONELIST_FALLBACK ? "FALLBACK" : "NOFALLBACK", q.from,
        zone_name(static_cast<ZoneType>(q.highest)), q.mask ? nodemask_to_string(*q.mask) : "NULL");
  return out;
}

}  // namespace buddycheck::fuzz
