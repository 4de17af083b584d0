// Private to the trace parser (trace_parse.cc: lines, trace_values.cc: values): the
// tokenizer, number and name helpers, and the Parser class both files implement.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "oracles/trace.h"
#include "oracles/trace_tables.h"

namespace buddycheck::trace_detail {

struct Token {
  std::string_view text;
  size_t col;  // 1-based
};

using Names = std::span<const std::string_view>;

// Splits a line at blanks after cutting its '#' comment; columns are 1-based.
std::vector<Token> tokenize(std::string_view line);
// A token for a message: quoted, non-printable bytes escaped, long ones shortened.
std::string quote(std::string_view s);
std::string join_names(Names names);
int find_name(Names names, std::string_view s);  // -1 when absent

enum class Num { ok, junk, range };
// Decimal or 0x-hex, no sign, no overflow: values above `max` are Num::range.
Num parse_uint(std::string_view s, uint64_t max, uint64_t* out);

// The `config` line's keys; ConfigKey indexes kConfigKeys.
enum ConfigKey {
  kMaxOrder,
  kPageblockOrder,
  kMobility,
  kMinFreeKbytes,
  kWatermarkScaleFactor,
  kWatermarkBoostFactor,
  kLowmemReserveRatio,
  kPcpHighFraction,
  kPageBytes,
  kDirectMap,
  kCanSetDirectMap,
};
inline constexpr std::string_view kConfigKeys[] = {"max_order",
                                                   "pageblock_order",
                                                   "mobility",
                                                   "min_free_kbytes",
                                                   "watermark_scale_factor",
                                                   "watermark_boost_factor",
                                                   "lowmem_reserve_ratio",
                                                   "percpu_pagelist_high_fraction",
                                                   "page_bytes",
                                                   "direct_map",
                                                   "can_set_direct_map"};
inline constexpr std::string_view kNodeKeys[] = {"cpus", "private", "initiator"};
inline constexpr std::string_view kZoneKeys[] = {"start", "pages", "holes", "reserved"};
inline constexpr std::string_view kZoneTypes[] = {"DMA", "DMA32", "Normal", "Movable"};
inline constexpr std::string_view kYesNo[] = {"no", "yes"};
inline constexpr std::string_view kOnOff[] = {"off", "on"};
inline constexpr std::string_view kOom[] = {"default", "kill"};
inline constexpr std::string_view kTaskNames[] = {
#define TASK_BIT(name, doc) #name,
#include "oracles/ops.def"
};

struct KeyValue {
  Token key, value;
};

// One parse: line-by-line state. Line handlers live in trace_parse.cc, value parsers
// in trace_values.cc; each returns false after recording the first error.
class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) { cpu_node_.fill(-1); }
  ParseResult run();

 private:
  enum Section { kWantHeader, kConfig, kNodes, kDistance, kCma, kOps };

  bool fail_at(size_t line, size_t col, std::string msg) {
    err_ = TraceError{std::string(file_), line, col, std::move(msg)};
    return false;
  }
  bool fail(size_t col, std::string msg) { return fail_at(line_, col, std::move(msg)); }

  bool line(const std::vector<Token>& toks);
  bool header(const std::vector<Token>& toks);
  bool enter(const Token& word, Section s);
  bool config_line(const std::vector<Token>& toks);
  bool node_line(const std::vector<Token>& toks);
  bool zone_line(const std::vector<Token>& toks);
  bool distance_line(const std::vector<Token>& toks);
  bool cma_line(const std::vector<Token>& toks);
  bool finish_config(size_t line);
  bool op_line(const std::vector<Token>& toks);
  bool field(Op* op, uint32_t bit, std::string_view key, const Token& v);

  bool split(const Token& t, KeyValue* kv);
  bool uint_value(const Token& v, std::string_view what, uint64_t max, uint64_t* out);
  bool u32(const Token& v, std::string_view what, unsigned* out);
  bool int_value(const Token& v, std::string_view what, int* out);
  bool name_value(const Token& v, std::string_view what, Names names, int* out);
  bool bool_value(const Token& v, std::string_view what, bool* out);
  bool ratio_value(const Token& v, std::string_view what, std::array<unsigned, MAX_NR_ZONES>* out);
  bool ranges_value(const Token& v, std::string_view what, std::vector<PfnRange>* out);
  bool cpus_value(const Token& v, int node);
  bool gfp_value(const Token& v, gfp_t* out);
  bool mask_value(const Token& v, std::string_view what, std::optional<Nodemask>* out);
  bool task_value(const Token& v, uint32_t* out);
  bool zone_value(const Token& v, int* out);

  std::string_view text_, file_;
  size_t line_ = 0;
  Section sec_ = kWantHeader;
  Trace t_;
  std::optional<TraceError> err_;
  size_t config_line_ = 0, last_config_line_ = 1, last_distance_line_ = 0;
  std::array<int, kMaxCpus> cpu_node_;
  std::array<std::pair<size_t, size_t>, kMaxCpus> cpu_pos_{};  // line, col of each cpu
  int max_cpu_ = -1;
};

}  // namespace buddycheck::trace_detail
