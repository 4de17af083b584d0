// SPDX-License-Identifier: GPL-2.0-or-later
// Private to the trace parser (trace_parse.cc: lines, trace_values.cc: values): the
// tokenizer, number and name helpers, and the Parser class both files implement.
#pragma once

#include <array>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/message.h"
#include "alloc/name_index.h"
#include "drive/trace.h"
#include "drive/trace_tables.h"

namespace buddycheck::trace_detail {

struct Token {
  std::string_view text;
  size_t col;  // 1-based
};

using Names = pagealloc::NameSet;

// Splits a line at blanks after cutting its '#' comment; columns are 1-based. Refills
// `toks` so one parse reuses one buffer.
void tokenize(std::string_view line, std::vector<Token>* toks);
// A token for a message: quoted, non-printable bytes escaped, long ones shortened.
using pagealloc::quote;
std::string join_names(Names names);
// " (did you mean 'x'?)" when `word` is a typo of one of `names`, else "".
std::string hint(std::string_view word, Names names);

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
inline constexpr pagealloc::NameIndex kConfigKeys({"max_order", "pageblock_order", "mobility",
                                                   "min_free_kbytes", "watermark_scale_factor",
                                                   "watermark_boost_factor", "lowmem_reserve_ratio",
                                                   "percpu_pagelist_high_fraction", "page_bytes",
                                                   "direct_map", "can_set_direct_map"});
inline constexpr pagealloc::NameIndex kNodeKeys({"cpus", "private", "initiator"});
inline constexpr pagealloc::NameIndex kZoneKeys({"start", "pages", "holes", "reserved"});
inline constexpr pagealloc::NameIndex kZoneTypes({"DMA", "DMA32", "Normal", "Movable"});
inline constexpr pagealloc::NameIndex kYesNo({"no", "yes"});
inline constexpr pagealloc::NameIndex kOnOff({"off", "on"});
inline constexpr pagealloc::NameIndex kOom({"default", "kill"});
inline constexpr pagealloc::NameIndex kTaskNames({
#define TASK_BIT(name, doc) #name,
#include "drive/ops.def"
});
// The first word of a line that is not an op; LineWord indexes kLineWords.
enum LineWord { kWordConfig, kWordNode, kWordZone, kWordDistance, kWordCma, kWordHeader };
inline constexpr pagealloc::NameIndex kLineWords({"config", "node", "zone", "distance", "cma",
                                                  kHeader});

struct KeyValue {
  Token key, value;
};

// One parse: line-by-line state. Line handlers live in trace_parse.cc, value parsers
// in trace_values.cc; each returns false after recording the first error. Lines come
// one at a time (feed()), from a whole text (run()) or a stream (TraceReader); with
// `keep_ops` false each op waits in a one-op slot (take_op()) instead of the list.
class Parser {
 public:
  Parser(std::string_view file, const ParseOptions& options, bool keep_ops)
      : file_(file), options_(options), keep_ops_(keep_ops) {
    cpu_node_.fill(-1);
    toks_.reserve(16);  // a long op line's worth: no regrowth on ordinary traces
  }
  // A whole text, line by line, then finish().
  ParseResult run(std::string_view text);
  // The next line, without its '\n'. False after the first error (error()).
  bool feed(std::string_view line);
  // The text has ended: the checks that need all of it. False on an error.
  bool finish();
  const std::optional<TraceError>& error() const { return err_; }
  // Streaming (keep_ops false): the op the last feed() read, if any.
  bool take_op(Op* op, OpSource* where);
  bool has_op() const { return pending_.has_value(); }
  // The config is complete and valid (an op line has been read, or finish() passed).
  bool config_done() const { return config_done_; }
  const Config& config() const { return t_.config; }
  size_t config_line() const { return config_at_; }

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

  std::string file_;
  ParseOptions options_;
  bool keep_ops_;
  bool config_done_ = false;
  size_t config_at_ = 0;
  std::optional<Op> pending_;  // streaming: the op of the last line fed
  OpSource pending_src_;
  size_t line_ = 0;
  Section sec_ = kWantHeader;
  Trace t_;
  std::optional<TraceError> err_;
  size_t config_line_ = 0, last_config_line_ = 1, last_distance_line_ = 0;
  std::vector<Token> toks_;  // the current line's tokens, reused line after line
  // Node of each CPU (-1: none yet); bytes keep the Parser cheap to construct.
  std::array<int8_t, kMaxCpus> cpu_node_;
  static_assert(kMaxNodes <= INT8_MAX);
  std::pair<size_t, size_t> max_cpu_pos_{};  // line, col of the highest CPU
  int max_cpu_ = -1;
};

}  // namespace buddycheck::trace_detail
