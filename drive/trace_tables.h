// SPDX-License-Identifier: GPL-2.0-or-later
// Private to the trace parser and printer (trace.cc, trace_parse.cc): the spellings of
// enum values in the text format, kept in one place so both sides agree.
#pragma once

#include <cstdint>
#include <string_view>

#include "alloc/name_index.h"
#include "drive/ops.h"

namespace buddycheck::trace_detail {

struct TraceField {
  uint32_t bit;
  std::string_view key;
};
// ops.def FIELD order: also the canonical print order of an op line.
inline constexpr TraceField kFields[] = {
#define FIELD(F, key, doc) {F, key},
#include "drive/ops.def"
};
inline constexpr size_t kNrFields = sizeof(kFields) / sizeof(kFields[0]);

inline constexpr pagealloc::NameIndex kFieldKeys(kFields, &TraceField::key);

// Indexed by OpKind.
inline constexpr pagealloc::NameIndex kOpNames({
#define OP(Kind, name, fields, doc) name,
#include "drive/ops.def"
});
inline constexpr pagealloc::NameIndex kSysctlNames({
#define SYSCTL(name, doc) #name,
#include "drive/ops.def"
});
inline constexpr pagealloc::NameIndex kBadFreeNames({
#define BAD_FREE(name, doc) #name,
#include "drive/ops.def"
});

// Indexed by CompactResult.
inline constexpr pagealloc::NameIndex kCompactNames({"skipped", "deferred", "partial_skipped",
                                                     "complete", "success"});
// Indexed by DumpWhat.
inline constexpr pagealloc::NameIndex kDumpNames({"buddyinfo", "pagetypeinfo", "zoneinfo", "all"});
// Indexed by DirectMapLevel.
inline constexpr pagealloc::NameIndex kDirectMapNames({"4k", "2m", "1g"});

inline constexpr std::string_view kHeader = "buddycheck-trace";

// Fields a canonical line prints even when they hold the Op{} default; the parser
// insists on the ones that have no sensible default (see required_fields()).
inline uint32_t always_printed(OpKind k) {
  switch (k) {
    case OpKind::Alloc:
      return F_ORDER | F_GFP;
    case OpKind::Free:
    case OpKind::DmSet:
      return F_ID;
    case OpKind::AllocBulk:
      return F_COUNT | F_GFP;
    case OpKind::Sysctl:
      return F_KEY | F_VALUE;
    case OpKind::BadFree:
      return F_KIND;
    default:
      return 0;
  }
}
inline uint32_t required_fields(OpKind k) {
  switch (k) {
    case OpKind::Free:
    case OpKind::DmSet:
      return F_ID;
    case OpKind::AllocBulk:
      return F_COUNT;
    case OpKind::Sysctl:
      return F_KEY | F_VALUE;
    case OpKind::BadFree:
      return F_KIND;
    default:
      return 0;
  }
}

}  // namespace buddycheck::trace_detail
