// The text trace format: printing (canonical), errors and file loading. The parser
// lives in trace_parse.cc; the spellings both share are in trace_tables.h.
#include "oracles/trace.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alloc/gfp.h"
#include "oracles/trace_tables.h"

namespace buddycheck {

using namespace trace_detail;

namespace {

std::string ranges_string(const std::vector<PfnRange>& rs) {
  std::string out;
  for (const PfnRange& r : rs) {
    if (!out.empty()) out += ',';
    out += fmt::format("{:#x}-{:#x}", r.start, r.end);
  }
  return out;
}

// CPU ids in list form ("0-3,6"); ascending input.
std::string cpu_list(const std::vector<unsigned>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) j++;
    if (!out.empty()) out += ',';
    out += i == j ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]);
    i = j + 1;
  }
  return out;
}

std::string mask_string(const Nodemask& m) { return m.empty() ? "none" : nodemask_to_string(m); }

std::string task_string(uint32_t bits) {
  if (bits == 0) return "none";
  std::string out;
  for (unsigned b = 0; b < NR_TASK_BITS; b++) {
    if (!(bits & (1u << b))) continue;
    if (!out.empty()) out += '|';
    out += task_bit_name(b);
  }
  // Bits ops.def does not name still round-trip, as hex.
  if (uint32_t rest = bits & ~((1u << NR_TASK_BITS) - 1)) {
    if (!out.empty()) out += '|';
    out += fmt::format("{:#x}", rest);
  }
  return out;
}

std::string zone_string(int zone) {
  if (zone < 0) return fmt::format("{}", zone);  // only -1 is meaningful; keep others exact
  return fmt::format("{}:{}", zone / MAX_NR_ZONES, zone_name(static_cast<ZoneType>(zone % MAX_NR_ZONES)));
}

template <typename E>
std::string_view enum_name(pagealloc::NameSet names, E e) {
  size_t i = static_cast<size_t>(e);
  return i < names.size() ? names[i] : std::string_view("?");
}

bool is_default(const Op& op, uint32_t bit) {
  const Op d;
  switch (bit) {
    case F_ORDER:
      return op.order == d.order;
    case F_GFP:
      return op.gfp == d.gfp;
    case F_NID:
      return op.nid == d.nid;
    case F_NODEMASK:
      return op.nodemask == d.nodemask;
    case F_CTX:
      return op.ctx == d.ctx;
    case F_CPU:
      return op.cpu == d.cpu;
    case F_TASK:
      return op.task == d.task;
    case F_CPUSET:
      return op.cpuset == d.cpuset;
    case F_FROZEN:
      return op.frozen == d.frozen;
    case F_ID:
      return op.id == d.id;
    case F_COUNT:
      return op.count == d.count;
    case F_ALL:
      return op.all == d.all;
    case F_ZONE:
      return op.zone == d.zone;
    case F_KEY:
      return op.key == d.key;
    case F_VALUE:
      return op.value == d.value && op.ratio == d.ratio;
    case F_RECLAIM:
      return op.hooks.reclaim == d.hooks.reclaim;
    case F_COMPACT:
      return op.hooks.compact == d.hooks.compact;
    case F_OOM:
      return op.hooks.oom_kill == d.hooks.oom_kill;
    case F_WHAT:
      return op.what == d.what;
    case F_KIND:
      return op.bad == d.bad;
    case F_PFN:
      return op.pfn == d.pfn;
    case F_PRESENT:
      return op.present == d.present;
    case F_NODE:
      return op.node == d.node;
  }
  return true;
}

std::string value_string(const Op& op, uint32_t bit) {
  auto yn = [](bool b) { return std::string(b ? "yes" : "no"); };
  switch (bit) {
    case F_ORDER:
      return fmt::format("{}", op.order);
    case F_GFP:
      return gfp_names_string(op.gfp);
    case F_NID:
      return fmt::format("{}", op.nid);
    case F_NODEMASK:
      return op.nodemask ? mask_string(*op.nodemask) : "";
    case F_CTX:
      return op.ctx ? ctx_flags_to_string(*op.ctx) : "";
    case F_CPU:
      return fmt::format("{}", op.cpu);
    case F_TASK:
      return task_string(op.task);
    case F_CPUSET:
      return op.cpuset ? mask_string(*op.cpuset) : "";
    case F_FROZEN:
      return yn(op.frozen);
    case F_ID:
      return fmt::format("{}", op.id);
    case F_COUNT:
      return fmt::format("{}", op.count);
    case F_ALL:
      return yn(op.all);
    case F_ZONE:
      return zone_string(op.zone);
    case F_KEY:
      return std::string(sysctl_name(op.key));
    case F_VALUE:
      if (op.key == SysctlKey::lowmem_reserve_ratio) return fmt::format("{}", fmt::join(op.ratio, ","));
      return fmt::format("{}", op.value);
    case F_RECLAIM:
      return fmt::format("{}", op.hooks.reclaim);
    case F_COMPACT:
      return std::string(enum_name(kCompactNames, op.hooks.compact));
    case F_OOM:
      return op.hooks.oom_kill ? "kill" : "default";
    case F_WHAT:
      return std::string(enum_name(kDumpNames, op.what));
    case F_KIND:
      return std::string(bad_free_name(op.bad));
    case F_PFN:
      return fmt::format("{:#x}", op.pfn);
    case F_PRESENT:
      return yn(op.present);
    case F_NODE:
      return fmt::format("{}", op.node);
  }
  return "?";
}

}  // namespace

std::string TraceError::to_string() const {
  if (line == 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, col, message);
}

std::string print_op(const Op& op) {
  if (static_cast<unsigned>(op.kind) >= kNrOpKinds) return "?";
  const OpInfo& info = op_info(op.kind);
  std::string out(info.name);
  const uint32_t always = always_printed(op.kind);
  for (const TraceField& f : kFields) {
    if (!(info.fields & f.bit)) continue;
    if (!(always & f.bit) && is_default(op, f.bit)) continue;
    out += fmt::format(" {}={}", f.key, value_string(op, f.bit));
  }
  return out;
}

std::string print_config(const Config& c) {
  std::string out = fmt::format(
      "config max_order={} pageblock_order={} mobility={} min_free_kbytes={} "
      "watermark_scale_factor={} watermark_boost_factor={} lowmem_reserve_ratio={} "
      "percpu_pagelist_high_fraction={} page_bytes={} direct_map={} can_set_direct_map={}\n",
      c.max_page_order, c.pageblock_order, c.mobility_grouping ? "on" : "off",
      c.min_free_kbytes ? fmt::format("{}", *c.min_free_kbytes) : "auto", c.watermark_scale_factor,
      c.watermark_boost_factor, fmt::join(c.lowmem_reserve_ratio, ","), c.percpu_pagelist_high_fraction,
      c.page_bytes, enum_name(kDirectMapNames, c.direct_map_level), c.can_set_direct_map ? "yes" : "no");
  for (size_t n = 0; n < c.nodes.size(); n++) {
    const NodeConfig& node = c.nodes[n];
    std::vector<unsigned> cpus;
    for (size_t cpu = 0; cpu < c.cpu_node.size(); cpu++)
      if (c.cpu_node[cpu] == static_cast<int>(n)) cpus.push_back(static_cast<unsigned>(cpu));
    out += fmt::format("node {}", n);
    // No cpus= anywhere is the Config default (one CPU on node 0), so omit when empty.
    if (!cpus.empty()) out += " cpus=" + cpu_list(cpus);
    out += fmt::format(" private={} initiator={}\n", node.memory_private ? "yes" : "no",
                       node.generic_initiator ? "yes" : "no");
    for (const ZoneConfig& z : node.zones) {
      out += fmt::format("zone {} {} start={:#x} pages={}", n,
                         z.type < MAX_NR_ZONES ? zone_name(z.type) : "?", z.start_pfn, z.pages);
      if (!z.holes.empty()) out += " holes=" + ranges_string(z.holes);
      if (!z.reserved.empty()) out += " reserved=" + ranges_string(z.reserved);
      out += '\n';
    }
  }
  for (size_t i = 0; i < c.distance.size(); i++)
    out += fmt::format("distance {} {}\n", i, fmt::join(c.distance[i], " "));
  for (const PfnRange& r : c.cma) out += fmt::format("cma {:#x}-{:#x}\n", r.start, r.end);
  return out;
}

std::string print_trace(const Trace& t) {
  std::string out = fmt::format("{} {}\n", kHeader, kTraceVersion);
  out += print_config(t.config);
  for (const Op& op : t.ops) {
    out += print_op(op);
    out += '\n';
  }
  return out;
}

ParseResult load_trace_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    ParseResult r;
    r.error = TraceError{path, 0, 0, "cannot open trace file: it is a directory"};
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ParseResult r;
    r.error = TraceError{path, 0, 0, fmt::format("cannot open trace file: {}", std::strerror(errno))};
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    ParseResult r;
    r.error = TraceError{path, 0, 0, "cannot read trace file"};
    return r;
  }
  return parse_trace(ss.str(), path);
}

}  // namespace buddycheck
