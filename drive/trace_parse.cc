// SPDX-License-Identifier: GPL-2.0-or-later
// The text trace parser (format: trace.h). One pass, line by line; the first problem
// stops it with a TraceError naming line, column, what is wrong and what was expected.
// It must never crash or throw on any byte sequence: the trace fuzzer feeds it garbage.
#include <fmt/format.h>

#include <bit>
#include <climits>
#include <cstring>

#include "drive/memory.h"
#include "drive/trace_parser.h"

namespace buddycheck {

namespace trace_detail {

ParseResult Parser::run(std::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  bool ok = true;
  while (ok) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (!nl) nl = end;
    ok = feed(std::string_view(p, static_cast<size_t>(nl - p)));
    if (nl == end) break;
    p = nl + 1;
  }
  if (ok) ok = finish();
  ParseResult r;
  if (ok) r.trace = std::move(t_);
  else r.error = std::move(err_);
  return r;
}

bool Parser::feed(std::string_view text) {
  line_++;
  if (text.size() > kMaxTraceLineBytes)
    return fail(1, fmt::format("line longer than {} bytes", kMaxTraceLineBytes));
  tokenize(text, &toks_);
  return toks_.empty() || line(toks_);
}

bool Parser::finish() {
  if (sec_ == kWantHeader)
    return fail_at(1, 1,
                   fmt::format("empty trace: expected the header '{} {}'", kHeader, kTraceVersion));
  if (sec_ != kOps) return finish_config(last_config_line_);
  return true;
}

bool Parser::take_op(Op* op, OpSource* where) {
  if (!pending_) return false;
  *op = std::move(*pending_);
  pending_.reset();
  if (where) *where = pending_src_;
  return true;
}

bool Parser::line(const std::vector<Token>& toks) {
  if (sec_ == kWantHeader) return header(toks);
  if (sec_ != kOps) last_config_line_ = line_;
  switch (kLineWords.find(toks[0].text)) {
    case kWordConfig:
      return config_line(toks);
    case kWordNode:
      return node_line(toks);
    case kWordZone:
      return zone_line(toks);
    case kWordDistance:
      return distance_line(toks);
    case kWordCma:
      return cma_line(toks);
    case kWordHeader:
      return fail(toks[0].col, "the header may appear only once, on the first line");
  }
  return op_line(toks);
}

bool Parser::header(const std::vector<Token>& toks) {
  if (toks[0].text != kHeader)
    return fail(toks[0].col, fmt::format("expected the header '{} {}' first, got {}", kHeader,
                                         kTraceVersion, quote(toks[0].text)));
  if (toks.size() < 2)
    return fail(toks[0].col + kHeader.size(),
                fmt::format("missing version after '{}' (expected {})", kHeader, kTraceVersion));
  uint64_t v = 0;
  if (parse_uint(toks[1].text, UINT32_MAX, &v) != Num::ok || v != kTraceVersion)
    return fail(toks[1].col,
                fmt::format("unsupported trace version {} (this buddycheck reads version {})",
                            quote(toks[1].text), kTraceVersion));
  if (toks.size() > 2)
    return fail(toks[2].col, fmt::format("unexpected {} after the header", quote(toks[2].text)));
  sec_ = kConfig;
  last_config_line_ = line_;
  return true;
}

// Config lines go config, node/zone, distance, cma; all before the first op.
bool Parser::enter(const Token& word, Section s) {
  static constexpr std::string_view kSectionName[] = {"header",   "config", "node",
                                                      "distance", "cma",    "op"};
  if (sec_ == kOps)
    return fail(
        word.col,
        fmt::format("'{}' line after the first op (the machine config must come before any op)",
                    word.text));
  if (sec_ > s)
    return fail(word.col,
                fmt::format("'{}' line after a '{}' line (config lines go in the order config, "
                            "node/zone, distance, cma)",
                            word.text, kSectionName[sec_]));
  sec_ = s;
  return true;
}

bool Parser::config_line(const std::vector<Token>& toks) {
  if (sec_ != kOps && config_line_)
    return fail(toks[0].col,
                fmt::format("second 'config' line (the first is on line {})", config_line_));
  if (!enter(toks[0], kConfig)) return false;
  config_line_ = line_;
  sec_ = kNodes;  // at most one config line
  Config& c = t_.config;
  uint32_t seen = 0;
  for (size_t i = 1; i < toks.size(); i++) {
    KeyValue kv;
    if (!split(toks[i], &kv)) return false;
    int k = kConfigKeys.find(kv.key.text);
    if (k < 0)
      return fail(kv.key.col, fmt::format("unknown config key {}{} (keys: {})", quote(kv.key.text),
                                          hint(kv.key.text, kConfigKeys), join_names(kConfigKeys)));
    if (seen & (1u << k))
      return fail(kv.key.col, fmt::format("duplicate config key '{}'", kv.key.text));
    seen |= 1u << k;
    const std::string_view key = kv.key.text;
    const Token& v = kv.value;
    int i2 = 0;
    bool ok = true;
    switch (k) {
      case kMaxOrder:
        ok = u32(v, key, &c.max_page_order);
        break;
      case kPageblockOrder:
        ok = u32(v, key, &c.pageblock_order);
        break;
      case kMobility:
        ok = name_value(v, key, kOnOff, &i2);
        c.mobility_grouping = i2 == 1;
        break;
      case kMinFreeKbytes:
        if (v.text == "auto") {
          c.min_free_kbytes.reset();
        } else {
          unsigned x = 0;
          ok = u32(v, key, &x);
          c.min_free_kbytes = x;
        }
        break;
      case kWatermarkScaleFactor:
        ok = u32(v, key, &c.watermark_scale_factor);
        break;
      case kWatermarkBoostFactor:
        ok = u32(v, key, &c.watermark_boost_factor);
        break;
      case kLowmemReserveRatio:
        ok = ratio_value(v, key, &c.lowmem_reserve_ratio);
        break;
      case kPcpHighFraction:
        ok = u32(v, key, &c.percpu_pagelist_high_fraction);
        break;
      case kPageBytes:
        ok = u32(v, key, &c.page_bytes);
        break;
      case kDirectMap:
        ok = name_value(v, key, kDirectMapNames, &i2);
        c.direct_map_level = static_cast<DirectMapLevel>(i2);
        break;
      case kCanSetDirectMap:
        ok = bool_value(v, key, &c.can_set_direct_map);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

bool Parser::node_line(const std::vector<Token>& toks) {
  if (!enter(toks[0], kNodes)) return false;
  if (toks.size() < 2) return fail(toks[0].col + 4, "expected a node id after 'node'");
  uint64_t id = 0;
  if (!uint_value(toks[1], "node", kMaxNodes - 1, &id)) return false;
  if (id != t_.config.nodes.size())
    return fail(toks[1].col,
                fmt::format("node {} out of order: expected node {} (node ids go 0, 1, 2, ...)", id,
                            t_.config.nodes.size()));
  NodeConfig n;
  uint32_t seen = 0;
  for (size_t i = 2; i < toks.size(); i++) {
    KeyValue kv;
    if (!split(toks[i], &kv)) return false;
    int k = kNodeKeys.find(kv.key.text);
    if (k < 0)
      return fail(kv.key.col, fmt::format("unknown node key {}{} (keys: {})", quote(kv.key.text),
                                          hint(kv.key.text, kNodeKeys), join_names(kNodeKeys)));
    if (seen & (1u << k))
      return fail(kv.key.col, fmt::format("duplicate node key '{}'", kv.key.text));
    seen |= 1u << k;
    bool ok = k == 0   ? cpus_value(kv.value, static_cast<int>(id))
              : k == 1 ? bool_value(kv.value, kv.key.text, &n.memory_private)
                       : bool_value(kv.value, kv.key.text, &n.generic_initiator);
    if (!ok) return false;
  }
  t_.config.nodes.push_back(std::move(n));
  return true;
}

bool Parser::zone_line(const std::vector<Token>& toks) {
  if (!enter(toks[0], kNodes)) return false;
  if (t_.config.nodes.empty()) return fail(toks[0].col, "'zone' before any 'node' line");
  if (toks.size() < 3)
    return fail(toks[0].col,
                "expected 'zone NODE TYPE start=0xPFN pages=N [holes=A-B,...] [reserved=A-B,...]'");
  uint64_t nid = 0;
  const size_t cur = t_.config.nodes.size() - 1;
  if (!uint_value(toks[1], "zone node", kMaxNodes - 1, &nid)) return false;
  if (nid != cur)
    return fail(toks[1].col,
                fmt::format("zone for node {} follows the line of node {} (zone lines go right "
                            "after their node line)",
                            nid, cur));
  int type = 0;
  if (!name_value(toks[2], "zone type", kZoneTypes, &type)) return false;
  ZoneConfig z;
  z.type = static_cast<ZoneType>(type);
  uint32_t seen = 0;
  for (size_t i = 3; i < toks.size(); i++) {
    KeyValue kv;
    if (!split(toks[i], &kv)) return false;
    int k = kZoneKeys.find(kv.key.text);
    if (k < 0)
      return fail(kv.key.col, fmt::format("unknown zone key {}{} (keys: {})", quote(kv.key.text),
                                          hint(kv.key.text, kZoneKeys), join_names(kZoneKeys)));
    if (seen & (1u << k))
      return fail(kv.key.col, fmt::format("duplicate zone key '{}'", kv.key.text));
    seen |= 1u << k;
    bool ok = k == 0   ? uint_value(kv.value, "start", UINT64_MAX, &z.start_pfn)
              : k == 1 ? uint_value(kv.value, "pages", UINT64_MAX, &z.pages)
              : k == 2 ? ranges_value(kv.value, "holes", &z.holes)
                       : ranges_value(kv.value, "reserved", &z.reserved);
    if (!ok) return false;
  }
  for (int k = 0; k < 2; k++)
    if (!(seen & (1u << k)))
      return fail(toks[0].col, fmt::format("zone line needs '{}='", kZoneKeys[k]));
  t_.config.nodes[cur].zones.push_back(std::move(z));
  return true;
}

bool Parser::distance_line(const std::vector<Token>& toks) {
  if (!enter(toks[0], kDistance)) return false;
  const size_t nn = t_.config.nodes.size();
  if (nn == 0) return fail(toks[0].col, "'distance' before any 'node' line");
  if (toks.size() < 2)
    return fail(toks[0].col, "expected 'distance FROM D0 D1 ...' (one distance per node)");
  uint64_t from = 0;
  if (!uint_value(toks[1], "distance row", kMaxNodes - 1, &from)) return false;
  auto& rows = t_.config.distance;
  if (from != rows.size())
    return fail(toks[1].col,
                fmt::format("distance row {} out of order: expected row {}", from, rows.size()));
  if (toks.size() - 2 > nn)
    return fail(toks[2 + nn].col,
                fmt::format("distance row {} has more than {} entries (one per node)", from, nn));
  if (toks.size() - 2 < nn)
    return fail(toks[0].col,
                fmt::format("distance row {} has {} entries, expected {} (one per node)", from,
                            toks.size() - 2, nn));
  std::vector<unsigned> row(nn);
  for (size_t j = 0; j < nn; j++)
    if (!u32(toks[2 + j], "distance", &row[j])) return false;
  rows.push_back(std::move(row));
  last_distance_line_ = line_;
  return true;
}

bool Parser::cma_line(const std::vector<Token>& toks) {
  if (!enter(toks[0], kCma)) return false;
  if (toks.size() != 2)
    return fail(toks.size() < 2 ? toks[0].col : toks[2].col,
                toks.size() < 2 ? "expected 'cma START-END' (a PFN range like 0x1000-0x2000)"
                                : "unexpected text after the cma range (one range per 'cma' line)");
  std::vector<PfnRange> r;
  if (!ranges_value(toks[1], "cma", &r)) return false;
  if (r.size() != 1) return fail(toks[1].col, "one range per 'cma' line");
  t_.config.cma.push_back(r[0]);
  return true;
}

// The whole config is known: cross-line checks, then alloc's validate_config().
bool Parser::finish_config(size_t at) {
  Config& c = t_.config;
  if (!c.distance.empty() && c.distance.size() != c.nodes.size())
    return fail_at(last_distance_line_, 1,
                   fmt::format("{} distance row(s) for {} nodes (give a row for "
                               "every node, or none)",
                               c.distance.size(), c.nodes.size()));
  for (int cpu = 0; cpu <= max_cpu_; cpu++)
    if (cpu_node_[cpu] < 0)
      return fail_at(max_cpu_pos_.first, max_cpu_pos_.second,
                     fmt::format("CPU {} is on no node (CPUs must be numbered 0..{} without gaps)",
                                 cpu, max_cpu_));
  c.cpu_node.assign(cpu_node_.begin(), cpu_node_.begin() + (max_cpu_ + 1));
  if (std::string e = validate_config(c); !e.empty())
    return fail_at(at, 1, "invalid machine config: " + e);
  if (options_.max_memory) {
    const MemoryEstimate m = estimate_memory(c);
    if (m.total() > options_.max_memory)
      return fail_at(at, 1, over_limit_message(m, options_.max_memory));
  }
  config_done_ = true;
  config_at_ = at;
  return true;
}

namespace {

// The list of op names or of one op's fields, for messages only.
std::string op_names() {
  std::string names;
  for (unsigned i = 0; i < kNrOpKinds; i++) {
    if (i) names += ", ";
    names += op_info(static_cast<OpKind>(i)).name;
  }
  return names;
}
std::string field_names(uint32_t fields) {
  std::string takes;
  for (const TraceField& f : kFields) {
    if (!(fields & f.bit)) continue;
    if (!takes.empty()) takes += ", ";
    takes += f.key;
  }
  return takes;
}

// Field i is bit i + 1 (ops.def order), so walking set bits walks fields in order.
static_assert([] {
  for (size_t i = 0; i < kNrFields; i++)
    if (kFields[i].bit != uint32_t{1} << (i + 1)) return false;
  return true;
}());
size_t field_index(uint32_t bits) { return static_cast<size_t>(std::countr_zero(bits)) - 1; }

// A config line word or an op name the first word of a line may be a typo of.
std::string line_word_hint(std::string_view word) {
  pagealloc::Closest near(word);
  for (std::string_view w : Names(kLineWords).words()) near.offer(w);
  for (std::string_view w : Names(kOpNames).words()) near.offer(w);
  return near.hint();
}

}  // namespace

bool Parser::op_line(const std::vector<Token>& toks) {
  const int k = kOpNames.find(toks[0].text);
  if (k < 0) {
    if (sec_ == kOps)
      return fail(toks[0].col, fmt::format("unknown op {}{} (ops: {})", quote(toks[0].text),
                                           hint(toks[0].text, kOpNames), op_names()));
    return fail(
        toks[0].col,
        fmt::format("unknown line {}{} (expected config, node, zone, distance, cma or an op: {})",
                    quote(toks[0].text), line_word_hint(toks[0].text), op_names()));
  }
  const auto kind = static_cast<OpKind>(k);
  if (sec_ != kOps) {
    if (!finish_config(line_)) return false;
    sec_ = kOps;
  }
  const OpInfo& info = op_info(kind);
  // The token of each given field; a plain array (filled where given_bits says) because
  // zeroing an array of KeyValues for every op line showed up in the fuzzer's profile.
  std::array<const Token*, kNrFields> given;
  uint32_t given_bits = 0;
  for (size_t i = 1; i < toks.size(); i++) {
    KeyValue kv;
    if (!split(toks[i], &kv)) return false;
    const int fi = kFieldKeys.find(kv.key.text);
    if (fi < 0 || !(info.fields & kFields[fi].bit)) {
      const std::string takes = field_names(info.fields);
      pagealloc::Closest near(kv.key.text);
      for (const TraceField& f : kFields)
        if (info.fields & f.bit) near.offer(f.key);
      return fail(
          kv.key.col,
          fmt::format("op '{}' does not take {}{} ({})", info.name, quote(kv.key.text), near.hint(),
                      takes.empty() ? "it takes no fields" : "takes: " + takes));
    }
    if (given_bits & kFields[fi].bit)
      return fail(kv.key.col, fmt::format("duplicate '{}' (first given at column {})", kv.key.text,
                                          given[fi]->col));
    given_bits |= kFields[fi].bit;
    given[fi] = &toks[i];
  }
  Op op;
  op.kind = kind;
  // Field order, given or required: the first problem in that order is the one reported.
  for (uint32_t todo = given_bits | required_fields(kind); todo; todo &= todo - 1) {
    const size_t fi = field_index(todo);
    if (!(given_bits & kFields[fi].bit))
      return fail(toks[0].col, fmt::format("op '{}' needs '{}='", info.name, kFields[fi].key));
    KeyValue kv;
    split(*given[fi], &kv);  // succeeded above
    if (kv.value.text.empty())
      return fail(kv.value.col, fmt::format("missing value after '{}='", kFields[fi].key));
    if (!field(&op, kFields[fi].bit, kFields[fi].key, kv.value)) return false;
  }
  if (keep_ops_) {
    t_.ops.push_back(std::move(op));
    return true;
  }
  pending_ = std::move(op);
  pending_src_.line = line_;
  pending_src_.col = toks[0].col;
  pending_src_.field_col.fill(0);
  for (uint32_t b = given_bits; b; b &= b - 1)
    pending_src_.field_col[field_index(b)] = static_cast<uint32_t>(given[field_index(b)]->col);
  return true;
}

bool Parser::field(Op* op, uint32_t bit, std::string_view key, const Token& v) {
  int i = 0;
  switch (bit) {
    case F_ORDER:
      return u32(v, key, &op->order);
    case F_GFP:
      return gfp_value(v, &op->gfp);
    case F_NID:
      return int_value(v, key, &op->nid);
    case F_NODEMASK:
      return mask_value(v, key, &op->nodemask);
    case F_CTX: {
      std::string e;
      size_t ec = 0;
      op->ctx = parse_ctx_flags(v.text, &e, &ec);
      return op->ctx ? true : fail(v.col + ec, e);
    }
    case F_CPU:
      return u32(v, key, &op->cpu);
    case F_TASK:
      return task_value(v, &op->task);
    case F_CPUSET:
      return mask_value(v, key, &op->cpuset);
    case F_FROZEN:
      return bool_value(v, key, &op->frozen);
    case F_ID:
      return uint_value(v, key, UINT64_MAX, &op->id);
    case F_COUNT:
      return u32(v, key, &op->count);
    case F_ALL:
      return bool_value(v, key, &op->all);
    case F_ZONE:
      return zone_value(v, &op->zone);
    case F_KEY:
      if (!name_value(v, "sysctl", kSysctlNames, &i)) return false;
      op->key = static_cast<SysctlKey>(i);
      return true;
    case F_VALUE:
      // The key field precedes value in field order, so op->key is already known.
      if (op->key == SysctlKey::lowmem_reserve_ratio)
        return ratio_value(v, "lowmem_reserve_ratio", &op->ratio);
      return uint_value(v, key, UINT64_MAX, &op->value);
    case F_RECLAIM:
      return u32(v, key, &op->hooks.reclaim);
    case F_COMPACT:
      if (!name_value(v, "compact result", kCompactNames, &i)) return false;
      op->hooks.compact = static_cast<CompactResult>(i);
      return true;
    case F_OOM:
      if (!name_value(v, "oom behaviour", kOom, &i)) return false;
      op->hooks.oom_kill = i == 1;
      return true;
    case F_WHAT:
      if (!name_value(v, "dump", kDumpNames, &i)) return false;
      op->what = static_cast<DumpWhat>(i);
      return true;
    case F_KIND:
      if (!name_value(v, "bad_free kind", kBadFreeNames, &i)) return false;
      op->bad = static_cast<BadFreeKind>(i);
      return true;
    case F_PFN:
      return uint_value(v, key, UINT64_MAX, &op->pfn);
    case F_PRESENT:
      return bool_value(v, key, &op->present);
    case F_NODE:
      return int_value(v, key, &op->node);
  }
  return fail(v.col, fmt::format("internal: field '{}' has no parser", key));
}

}  // namespace trace_detail

ParseResult parse_trace(std::string_view text, std::string_view filename,
                        const ParseOptions& options) {
  return trace_detail::Parser(filename, options, true).run(text);
}

}  // namespace buddycheck
