// SPDX-License-Identifier: GPL-2.0-or-later
#include "alloc/alloc_flags.h"

#include <cctype>

#include <fmt/format.h>

#include "alloc/message.h"

namespace pagealloc {

namespace {

constexpr AllocFlagName kAllocNames[] = {
#define ALLOC_FLAG(NAME, value, doc) {#NAME, value, doc},
#include "alloc/alloc_flags.def"
};

constexpr CtxFieldInfo kCtxFields[] = {
#define CTX_FIELD(field, klass, verdict, doc) {#field, CtxClass::klass, Verdict::verdict, doc},
#include "alloc/alloc_flags.def"
};

constexpr const char* kVerdictNames[] = {"accept", "ignore", "clear", "warn", "reject"};

}  // namespace

const AllocFlagName* alloc_flag_names(size_t* count) {
  *count = sizeof(kAllocNames) / sizeof(kAllocNames[0]);
  return kAllocNames;
}

std::string alloc_flags_to_string(unsigned flags) {
  std::string out;
  switch (flags & ALLOC_WMARK_MASK) {
    case ALLOC_WMARK_MIN:
      out = "ALLOC_WMARK_MIN";
      break;
    case ALLOC_WMARK_LOW:
      out = "ALLOC_WMARK_LOW";
      break;
    case ALLOC_WMARK_HIGH:
      out = "ALLOC_WMARK_HIGH";
      break;
    default:
      out = "ALLOC_WMARK_3";
      break;
  }
  unsigned rest = flags & ~ALLOC_WMARK_MASK;
  for (const AllocFlagName& n : kAllocNames) {
    if (n.value <= ALLOC_WMARK_MASK || !(rest & n.value)) continue;
    out += '|';
    out += n.name;
    rest &= ~n.value;
  }
  if (rest) out += fmt::format("|{:#x}", rest);
  return out;
}

unsigned gfp_to_alloc_flags_cma(gfp_t gfp, unsigned alloc_flags, bool mobility_grouping) {
  auto mt = gfp_migratetype(gfp, mobility_grouping);
  if (mt && *mt == MIGRATE_MOVABLE) alloc_flags |= ALLOC_CMA;
  return alloc_flags;
}

unsigned gfp_to_alloc_flags(gfp_t gfp, unsigned order, const TaskContext& task,
                            bool mobility_grouping) {
  unsigned flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;
  // gfp_to_alloc_flags() couples these by value (BUILD_BUG_ON); the model maps them.
  if (gfp & __GFP_HIGH) flags |= ALLOC_MIN_RESERVE;
  if (gfp & __GFP_KSWAPD_RECLAIM) flags |= ALLOC_KSWAPD;
  if (!(gfp & __GFP_DIRECT_RECLAIM)) {
    // Not worth trying to allocate harder for __GFP_NOMEMALLOC even if it can't
    // schedule (gfp_to_alloc_flags()).
    if (!(gfp & __GFP_NOMEMALLOC)) {
      flags |= ALLOC_NON_BLOCK;
      if (order > 0 && (flags & ALLOC_MIN_RESERVE)) flags |= ALLOC_HIGHATOMIC;
    }
    // GFP_ATOMIC ignores cpuset mems.
    if (flags & ALLOC_MIN_RESERVE) flags &= ~ALLOC_CPUSET;
  } else if (task.rt_task && task.in_task()) {
    flags |= ALLOC_MIN_RESERVE;
  }
  return gfp_to_alloc_flags_cma(gfp, flags, mobility_grouping);
}

// __gfp_pfmemalloc_flags().
unsigned _gfp_pfmemalloc_flags(gfp_t gfp, const TaskContext& task) {
  if (gfp & __GFP_NOMEMALLOC) return 0;
  if (gfp & __GFP_MEMALLOC) return ALLOC_NO_WATERMARKS;
  if (task.in_serving_softirq && task.pf_memalloc) return ALLOC_NO_WATERMARKS;
  if (!task.in_interrupt && !task.in_serving_softirq) {
    if (task.pf_memalloc) return ALLOC_NO_WATERMARKS;
    if (task.oom_victim) return ALLOC_OOM;
  }
  return 0;
}

gfp_t current_gfp_context(gfp_t gfp, const TaskContext& task) {
  if (task.pf_memalloc_noio) gfp &= ~(__GFP_IO | __GFP_FS);
  else if (task.pf_memalloc_nofs) gfp &= ~__GFP_FS;
  if (task.pf_memalloc_pin) gfp &= ~__GFP_MOVABLE;
  return gfp;
}

const char* verdict_name(Verdict v) { return kVerdictNames[static_cast<unsigned>(v)]; }

std::optional<Verdict> parse_verdict(std::string_view s) {
  for (unsigned i = 0; i < 5; i++)
    if (s == kVerdictNames[i]) return static_cast<Verdict>(i);
  return std::nullopt;
}

const CtxFieldInfo& ctx_field_info(unsigned field) { return kCtxFields[field]; }

std::optional<unsigned> ctx_field_by_name(std::string_view name) {
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++)
    if (kCtxFields[i].name == name) return i;
  return std::nullopt;
}

uint64_t ctx_internal_mask() {
  uint64_t m = 0;
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++)
    if (kCtxFields[i].klass == CtxClass::INTERNAL) m |= uint64_t{1} << i;
  return m;
}

uint64_t ctx_external_mask() { return kCtxKnownMask & ~ctx_internal_mask(); }

std::string ctx_flags_to_string(AllocFlags f) {
  if (f.bits == 0) return "none";
  std::string out;
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++) {
    if (!f.has(i)) continue;
    if (!out.empty()) out += '|';
    out += kCtxFields[i].name;
  }
  if (uint64_t rest = f.bits & ~kCtxKnownMask) {
    if (!out.empty()) out += '|';
    out += fmt::format("{:#x}", rest);
  }
  return out;
}

std::optional<AllocFlags> parse_ctx_flags(std::string_view s, std::string* error,
                                          size_t* error_col) {
  AllocFlags f;
  size_t col = 0;
  std::string_view t = trim_spaces(s, &col);
  if (t == "none" || t == "0") return f;
  size_t pos = 0;
  while (pos <= t.size()) {
    size_t bar = t.find('|', pos);
    if (bar == std::string_view::npos) bar = t.size();
    size_t tok_col = col + pos;
    std::string_view tok = trim_spaces(t.substr(pos, bar - pos), &tok_col);
    if (auto field = ctx_field_by_name(tok)) {
      f.set(*field);
    } else if (tok.size() > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
      uint64_t v = 0;
      for (char c : tok.substr(2)) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                            : -1;
        if (d < 0 || v >> 60) {
          if (error) *error = fmt::format("bad number {} in alloc_flags", quote(tok));
          if (error_col) *error_col = tok_col;
          return std::nullopt;
        }
        v = v * 16 + d;
      }
      f.bits |= v;
    } else {
      if (error) {
        Closest near(tok);
        for (const CtxFieldInfo& i : kCtxFields) near.offer(i.name);
        *error = tok.empty()
                     ? std::string("empty alloc_flags field")
                     : fmt::format("unknown alloc_flags field {}{}", quote(tok), near.hint());
      }
      if (error_col) *error_col = tok_col;
      return std::nullopt;
    }
    pos = bar + 1;
  }
  return f;
}

SanitizeResult sanitize_alloc_flags(AllocFlags* flags, gfp_t gfp, unsigned order,
                                    bool mobility_grouping) {
  (void)order;  // no order rule belongs to the struct; the entry point checks order
  SanitizeResult r;
  auto worsen = [&](Verdict v, std::string_view rule, std::string_view reason) {
    if (v > r.verdict) {
      r.verdict = v;
      r.rule = rule;
      r.reason = reason;
    }
  };
  AllocFlags f = *flags;
  if (f.bits & ~kCtxKnownMask) {
    worsen(Verdict::REJECT, "unknown-bits", "bits beyond the known struct alloc_flags fields");
    return r;
  }
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++) {
    if (!f.has(i) || kCtxFields[i].klass != CtxClass::INTERNAL) continue;
    switch (kCtxFields[i].verdict) {
      case Verdict::IGNORE:
        r.ignored |= uint64_t{1} << i;
        f.set(i, false);
        break;
      case Verdict::CLEAR:
        r.cleared |= uint64_t{1} << i;
        f.set(i, false);
        break;
      case Verdict::REJECT:
        if (r.verdict < Verdict::REJECT) r.rejected_field = static_cast<int>(i);
        break;
      default:
        break;
    }
    worsen(kCtxFields[i].verdict, "internal-bit", kCtxFields[i].doc);
  }
  if (r.verdict == Verdict::REJECT) return r;

  auto mt = gfp_migratetype(gfp, mobility_grouping);
  if (f.has(CTX_cma) && !(mt && *mt == MIGRATE_MOVABLE)) {
    f.set(CTX_cma, false);
    r.cleared |= uint64_t{1} << CTX_cma;
    worsen(Verdict::CLEAR, "cma-needs-movable", "CMA pageblocks may only hold movable pages");
  }
  if (f.has(CTX_unmapped)) {
    auto reject = [&](std::string_view rule, std::string_view why) {
      if (r.verdict < Verdict::REJECT) r.rejected_field = CTX_unmapped;
      worsen(Verdict::REJECT, rule, why);
    };
    if (!(mt && *mt == MIGRATE_UNMOVABLE))
      reject("unmapped-needs-unmovable", "only MIGRATE_UNMOVABLE has an unmapped freetype");
    if (!(gfp & __GFP_DIRECT_RECLAIM))
      reject("unmapped-needs-blocking", "a direct-map flip needs a TLB shootdown: must block");
    if (gfp & __GFP_ZERO)
      reject("unmapped-no-zero", "v4: the allocator does not zero unmapped pages");
  }
  if (r.verdict == Verdict::REJECT) return r;
  *flags = f;
  return r;
}

unsigned alloc_flags_from_ctx(const AllocFlags& f) {
  unsigned out = 0;
  if (f.has(CTX_cma)) out |= ALLOC_CMA;
  if (f.has(CTX_unmapped)) out |= ALLOC_UNMAPPED;
  if (f.has(CTX_managed_node)) out |= ALLOC_MANAGED_NODE;
  return out;
}

}  // namespace pagealloc
