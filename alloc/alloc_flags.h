// SPDX-License-Identifier: GPL-2.0-or-later
// alloc_flags: the kernel's internal ALLOC_* bits, the gfp -> alloc_flags translations
// (gfp_to_alloc_flags() and friends in mm/page_alloc.c) and the proposed exported
// `struct alloc_flags` with its sanitizer (AFLAGS, docs/glossary.md). Generated from
// alloc_flags.def.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alloc/gfp.h"
#include "alloc/task.h"

namespace pagealloc {

#define ALLOC_FLAG(NAME, value, doc) inline constexpr unsigned NAME = (value);
#include "alloc/alloc_flags.def"

inline constexpr unsigned ALLOC_WMARK_MASK = ALLOC_NO_WATERMARKS - 1;
inline constexpr unsigned ALLOC_RESERVES =
    ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM;

struct AllocFlagName {
  std::string_view name;
  unsigned value;
  std::string_view doc;
};
const AllocFlagName* alloc_flag_names(size_t* count);

// "ALLOC_WMARK_LOW|ALLOC_CPUSET|ALLOC_KSWAPD" (the watermark index always prints).
std::string alloc_flags_to_string(unsigned flags);

// gfp_to_alloc_flags_cma(): ALLOC_CMA iff the request is movable.
unsigned gfp_to_alloc_flags_cma(gfp_t gfp, unsigned alloc_flags, bool mobility_grouping);
// gfp_to_alloc_flags() (slow path, Linux 6.12).
unsigned gfp_to_alloc_flags(gfp_t gfp, unsigned order, const TaskContext& task,
                            bool mobility_grouping);
// __gfp_pfmemalloc_flags(): reserve escalation (ALLOC_NO_WATERMARKS / ALLOC_OOM / 0).
unsigned _gfp_pfmemalloc_flags(gfp_t gfp, const TaskContext& task);
// current_gfp_context(): PF_MEMALLOC_NOIO/NOFS/PIN scopes applied to a mask.
gfp_t current_gfp_context(gfp_t gfp, const TaskContext& task);

// ---- the proposed exported struct alloc_flags -------------------------------------

enum CtxField : unsigned {
#define CTX_FIELD(field, klass, verdict, doc) CTX_##field,
#include "alloc/alloc_flags.def"
  NR_CTX_FIELDS
};

enum class CtxClass : uint8_t { INTERNAL, EXTERNAL };
// Ordered by severity: a request's verdict is the worst of its parts.
enum class Verdict : uint8_t { ACCEPT, IGNORE, CLEAR, WARN, REJECT };
const char* verdict_name(Verdict v);  // "accept", "ignore", "clear", "warn", "reject"
std::optional<Verdict> parse_verdict(std::string_view s);

struct CtxFieldInfo {
  std::string_view name;
  CtxClass klass;
  Verdict verdict;  // for INTERNAL fields: what an external caller setting it gets
  std::string_view doc;
};
const CtxFieldInfo& ctx_field_info(unsigned field);
std::optional<unsigned> ctx_field_by_name(std::string_view name);

// Kernel (proposed): struct alloc_flags { uint64_t wmark_min : 1; ... cma : 1; ... }.
// Bits beyond NR_CTX_FIELDS model a caller built against a newer header: rejected.
struct AllocFlags {
  uint64_t bits = 0;

  bool has(unsigned f) const { return (bits >> f) & 1; }
  AllocFlags& set(unsigned f, bool on = true) {
    bits = on ? (bits | (uint64_t{1} << f)) : (bits & ~(uint64_t{1} << f));
    return *this;
  }
  bool operator==(const AllocFlags&) const = default;
};
inline constexpr uint64_t kCtxKnownMask = (uint64_t{1} << NR_CTX_FIELDS) - 1;
uint64_t ctx_internal_mask();
uint64_t ctx_external_mask();

// "cma|managed_node"; empty struct prints "none"; unknown bits as hex.
std::string ctx_flags_to_string(AllocFlags f);
std::optional<AllocFlags> parse_ctx_flags(std::string_view s, std::string* error = nullptr,
                                          size_t* error_col = nullptr);

// What sanitize_alloc_flags() decided. `rule` names the implementation's rule that
// produced the worst verdict (a per-bit verdict is "bit:<field>").
struct SanitizeResult {
  Verdict verdict = Verdict::ACCEPT;
  uint64_t ignored = 0;  // bits dropped silently
  uint64_t cleared = 0;  // bits dropped with a warning
  int rejected_field = -1;
  std::string_view rule;
  std::string_view reason;
};

// sanitize_alloc_flags() (AFLAGS: "BUG() on insanity"). Clears/ignores what the
// per-field verdicts say, applies the cross rules below, and reports. On REJECT the
// struct is left as the caller passed it. Cross rules (UNMAP v4's limits on unmapped
// requests, gfp_to_alloc_flags_cma() for cma):
//   cma          with a request that is not MIGRATE_MOVABLE      -> CLEAR
//   unmapped     with a request that is not MIGRATE_UNMOVABLE    -> REJECT
//   unmapped     without __GFP_DIRECT_RECLAIM (cannot block)     -> REJECT
//   unmapped     with __GFP_ZERO (v4: allocator does not zero)   -> REJECT
//   unknown bits (newer caller)                                  -> REJECT
SanitizeResult sanitize_alloc_flags(AllocFlags* flags, gfp_t gfp, unsigned order,
                                    bool mobility_grouping);

// The internal ALLOC_* bits a sanitized struct contributes.
unsigned alloc_flags_from_ctx(const AllocFlags& sanitized);

}  // namespace pagealloc
