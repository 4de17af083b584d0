// SPDX-License-Identifier: GPL-2.0-or-later
// The text trace format: printing (canonical), errors and file loading. The parser
// lives in trace_parse.cc; the spellings both share are in trace_tables.h.
#include "drive/trace.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <concepts>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "alloc/gfp.h"
#include "drive/trace_tables.h"

namespace buddycheck {

using namespace trace_detail;

namespace {

struct Hex {
  uint64_t v;  // prints as fmt's {:#x}: 0x0, 0x1f
};

// Appends text and numbers to one string; the printer's only formatting, so a printed
// trace costs no temporary strings and no format-string parsing.
class Text {
 public:
  explicit Text(std::string* s) : s_(s) {}
  Text& operator<<(std::string_view t) {
    s_->append(t);
    return *this;
  }
  Text& operator<<(char c) {
    s_->push_back(c);
    return *this;
  }
  template <std::integral T>
    requires(!std::is_same_v<T, char> && !std::is_same_v<T, bool>)
  Text& operator<<(T v) {
    char buf[24];
    s_->append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    return *this;
  }
  Text& operator<<(Hex h) {
    char buf[24];
    s_->append("0x").append(buf, std::to_chars(buf, buf + sizeof buf, h.v, 16).ptr);
    return *this;
  }
  template <typename Range>
  Text& join(const Range& r, char sep) {
    bool first = true;
    for (const auto& x : r) {
      if (!first) *this << sep;
      first = false;
      *this << x;
    }
    return *this;
  }

 private:
  std::string* s_;
};

void put_ranges(Text& out, const std::vector<PfnRange>& rs) {
  for (size_t i = 0; i < rs.size(); i++) {
    if (i) out << ',';
    out << Hex{rs[i].start} << '-' << Hex{rs[i].end};
  }
}

// " cpus=0-3,6": the CPUs on `node` in list form; nothing when it has none.
void put_cpu_list(Text& out, const std::vector<int>& cpu_node, int node) {
  bool first = true;
  for (size_t i = 0; i < cpu_node.size(); i++) {
    if (cpu_node[i] != node) continue;
    size_t j = i;
    while (j + 1 < cpu_node.size() && cpu_node[j + 1] == node) j++;
    out << (first ? " cpus=" : ",") << i;
    if (j != i) out << '-' << j;
    first = false;
    i = j;
  }
}

void put_mask(Text& out, const Nodemask& m) {
  if (m.empty()) out << "none";
  else out << nodemask_to_string(m);
}

void put_task(Text& out, uint32_t bits) {
  if (bits == 0) {
    out << "none";
    return;
  }
  bool first = true;
  for (unsigned b = 0; b < NR_TASK_BITS; b++) {
    if (!(bits & (1u << b))) continue;
    if (!first) out << '|';
    first = false;
    out << task_bit_name(b);
  }
  // Bits ops.def does not name still round-trip, as hex.
  if (uint32_t rest = bits & ~((1u << NR_TASK_BITS) - 1)) {
    if (!first) out << '|';
    out << Hex{rest};
  }
}

void put_zone(Text& out, int zone) {
  if (zone < 0) {
    out << zone;  // only -1 is meaningful; keep others exact
    return;
  }
  out << zone / MAX_NR_ZONES << ':' << zone_name(static_cast<ZoneType>(zone % MAX_NR_ZONES));
}

template <typename E>
std::string_view enum_name(pagealloc::NameSet names, E e) {
  size_t i = static_cast<size_t>(e);
  return i < names.size() ? names[i] : std::string_view("?");
}

std::string_view yes_no(bool b) { return b ? "yes" : "no"; }

bool is_default(const Op& op, uint32_t bit) {
  static constexpr Op d;
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

void put_value(Text& out, const Op& op, uint32_t bit) {
  switch (bit) {
    case F_ORDER:
      out << op.order;
      return;
    case F_GFP:
      out << gfp_names_string(op.gfp);
      return;
    case F_NID:
      out << op.nid;
      return;
    case F_NODEMASK:
      if (op.nodemask) put_mask(out, *op.nodemask);
      return;
    case F_CTX:
      if (op.ctx) out << ctx_flags_to_string(*op.ctx);
      return;
    case F_CPU:
      out << op.cpu;
      return;
    case F_TASK:
      put_task(out, op.task);
      return;
    case F_CPUSET:
      if (op.cpuset) put_mask(out, *op.cpuset);
      return;
    case F_FROZEN:
      out << yes_no(op.frozen);
      return;
    case F_ID:
      out << op.id;
      return;
    case F_COUNT:
      out << op.count;
      return;
    case F_ALL:
      out << yes_no(op.all);
      return;
    case F_ZONE:
      put_zone(out, op.zone);
      return;
    case F_KEY:
      out << sysctl_name(op.key);
      return;
    case F_VALUE:
      if (op.key == SysctlKey::lowmem_reserve_ratio) out.join(op.ratio, ',');
      else out << op.value;
      return;
    case F_RECLAIM:
      out << op.hooks.reclaim;
      return;
    case F_COMPACT:
      out << enum_name(kCompactNames, op.hooks.compact);
      return;
    case F_OOM:
      out << (op.hooks.oom_kill ? "kill" : "default");
      return;
    case F_WHAT:
      out << enum_name(kDumpNames, op.what);
      return;
    case F_KIND:
      out << bad_free_name(op.bad);
      return;
    case F_PFN:
      out << Hex{op.pfn};
      return;
    case F_PRESENT:
      out << yes_no(op.present);
      return;
    case F_NODE:
      out << op.node;
      return;
  }
  out << '?';
}

void put_op(Text& out, const Op& op) {
  if (static_cast<unsigned>(op.kind) >= kNrOpKinds) {
    out << '?';
    return;
  }
  const OpInfo& info = op_info(op.kind);
  out << info.name;
  const uint32_t always = always_printed(op.kind);
  for (const TraceField& f : kFields) {
    if (!(info.fields & f.bit)) continue;
    if (!(always & f.bit) && is_default(op, f.bit)) continue;
    out << ' ' << f.key << '=';
    put_value(out, op, f.bit);
  }
}

void put_config(Text& out, const Config& c) {
  out << "config max_order=" << c.max_page_order << " pageblock_order=" << c.pageblock_order
      << " mobility=" << (c.mobility_grouping ? "on" : "off") << " min_free_kbytes=";
  if (c.min_free_kbytes) out << *c.min_free_kbytes;
  else out << "auto";
  out << " watermark_scale_factor=" << c.watermark_scale_factor
      << " watermark_boost_factor=" << c.watermark_boost_factor << " lowmem_reserve_ratio=";
  out.join(c.lowmem_reserve_ratio, ',');
  out << " percpu_pagelist_high_fraction=" << c.percpu_pagelist_high_fraction
      << " page_bytes=" << c.page_bytes
      << " direct_map=" << enum_name(kDirectMapNames, c.direct_map_level)
      << " can_set_direct_map=" << yes_no(c.can_set_direct_map) << '\n';
  for (size_t n = 0; n < c.nodes.size(); n++) {
    const NodeConfig& node = c.nodes[n];
    out << "node " << n;
    // No cpus= anywhere is the Config default (one CPU on node 0), so omit when empty.
    put_cpu_list(out, c.cpu_node, static_cast<int>(n));
    out << " private=" << yes_no(node.memory_private)
        << " initiator=" << yes_no(node.generic_initiator) << '\n';
    for (const ZoneConfig& z : node.zones) {
      out << "zone " << n << ' ' << (z.type < MAX_NR_ZONES ? zone_name(z.type) : "?")
          << " start=" << Hex{z.start_pfn} << " pages=" << z.pages;
      if (!z.holes.empty()) put_ranges(out << " holes=", z.holes);
      if (!z.reserved.empty()) put_ranges(out << " reserved=", z.reserved);
      out << '\n';
    }
  }
  for (size_t i = 0; i < c.distance.size(); i++) {
    out << "distance " << i << ' ';
    out.join(c.distance[i], ' ') << '\n';
  }
  for (const PfnRange& r : c.cma) out << "cma " << Hex{r.start} << '-' << Hex{r.end} << '\n';
}

}  // namespace

std::string TraceError::to_string() const {
  std::string s;
  Text out(&s);
  out << file << ':';
  if (line != 0) out << line << ':' << col << ':';
  out << ' ' << message;
  return s;
}

std::string print_op(const Op& op) {
  std::string s;
  Text out(&s);
  put_op(out, op);
  return s;
}

std::string print_config(const Config& c) {
  std::string s;
  Text out(&s);
  put_config(out, c);
  return s;
}

std::string print_trace(const Trace& t) {
  std::string s;
  // Room for the config lines and a short line per op: no regrowth copies.
  s.reserve(256 + 40 * t.ops.size());
  Text out(&s);
  out << kHeader << ' ' << kTraceVersion << '\n';
  put_config(out, t.config);
  for (const Op& op : t.ops) {
    put_op(out, op);
    out << '\n';
  }
  return s;
}

ParseResult load_trace_file(const std::string& path, const ParseOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    ParseResult r;
    r.error = TraceError{path, 0, 0, "cannot open trace file: it is a directory"};
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ParseResult r;
    r.error =
        TraceError{path, 0, 0, fmt::format("cannot open trace file: {}", std::strerror(errno))};
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    ParseResult r;
    r.error = TraceError{path, 0, 0, "cannot read trace file"};
    return r;
  }
  return parse_trace(ss.str(), path, options);
}

}  // namespace buddycheck
