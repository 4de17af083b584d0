// SPDX-License-Identifier: GPL-2.0-or-later
#include "alloc/gfp.h"

#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "alloc/message.h"
#include "alloc/name_index.h"

namespace pagealloc {

namespace {

constexpr GfpName kNames[] = {
#define GFP_BIT(NAME, bit, doc) {"__GFP_" #NAME, __GFP_##NAME, false, doc},
#include "alloc/gfp.def"
#define GFP_MASK(NAME, expr, doc) {#NAME, NAME, true, doc},
#include "alloc/gfp.def"
};
constexpr NameIndex kNameIndex(kNames, &GfpName::name);

struct PrintName {
  std::string_view name;
  gfp_t value;
};
constexpr PrintName kPrintOrder[] = {
#define GFP_PRINT(NAME) {#NAME, NAME},
#include "alloc/gfp.def"
};

// GFP_ZONE_TABLE / GFP_ZONE_BAD of include/linux/gfp.h for this config (no HIGHMEM:
// OPT_ZONE_HIGHMEM = ZONE_NORMAL). Index = gfp & GFP_ZONEMASK.
struct ZoneEntry {
  ZoneType zone;
  bool bad;
};
constexpr ZoneEntry kZoneTable[16] = {
    /* 0x0 -             */ {ZONE_NORMAL, false},
    /* 0x1 DMA           */ {ZONE_DMA, false},
    /* 0x2 HIGHMEM       */ {ZONE_NORMAL, false},
    /* 0x3 DMA|HIGHMEM   */ {ZONE_DMA, true},
    /* 0x4 DMA32         */ {ZONE_DMA32, false},
    /* 0x5 DMA|DMA32     */ {ZONE_DMA, true},
    /* 0x6 HIGHMEM|DMA32 */ {ZONE_DMA, true},
    /* 0x7 DMA|HM|DMA32  */ {ZONE_DMA, true},
    /* 0x8 MOVABLE       */ {ZONE_NORMAL, false},
    /* 0x9 MOV|DMA       */ {ZONE_DMA, false},
    /* 0xa MOV|HIGHMEM   */ {ZONE_MOVABLE, false},
    /* 0xb MOV|HM|DMA    */ {ZONE_DMA, true},
    /* 0xc MOV|DMA32     */ {ZONE_DMA32, false},
    /* 0xd MOV|DMA32|DMA */ {ZONE_DMA, true},
    /* 0xe MOV|DMA32|HM  */ {ZONE_DMA, true},
    /* 0xf all           */ {ZONE_DMA, true},
};

std::optional<uint64_t> parse_number(std::string_view tok) {
  if (tok.empty() || tok.size() > 20) return std::nullopt;
  int base = 10;
  std::string_view digits = tok;
  if (tok.size() > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
    base = 16;
    digits = tok.substr(2);
  }
  if (digits.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return std::nullopt;
    if (v > (~uint64_t{0} - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

bool fail(std::string* error, size_t* col, size_t at, std::string msg) {
  if (error) *error = std::move(msg);
  if (col) *col = at;
  return false;
}

// Parses "A|B|0x10" into a mask. Empty list is an error.
bool parse_name_list(std::string_view text, size_t base_col, gfp_t* out, std::string* error,
                     size_t* col) {
  gfp_t mask = 0;
  size_t pos = 0;
  if (trim_spaces(text, nullptr).empty()) return fail(error, col, base_col, "empty gfp mask");
  while (pos <= text.size()) {
    size_t bar = text.find('|', pos);
    if (bar == std::string_view::npos) bar = text.size();
    size_t tok_col = base_col + pos;
    std::string_view tok = trim_spaces(text.substr(pos, bar - pos), &tok_col);
    if (tok.empty()) return fail(error, col, tok_col, "empty name between '|' in gfp mask");
    if (int i = kNameIndex.find(tok); i >= 0) {
      mask |= kNames[i].value;
    } else if (auto v = parse_number(tok)) {
      if (*v & ~uint64_t{__GFP_BITS_MASK})
        return fail(
            error, col, tok_col,
            fmt::format("gfp bits {:#x} are outside __GFP_BITS_MASK {:#x}", *v, __GFP_BITS_MASK));
      mask |= static_cast<gfp_t>(*v);
    } else {
      Closest near(tok);
      for (const GfpName& n : kNames) near.offer(n.name);
      return fail(error, col, tok_col,
                  fmt::format("unknown gfp flag {}{}", quote(tok), near.hint()));
    }
    pos = bar + 1;
  }
  *out = mask;
  return true;
}

}  // namespace

const GfpName* gfp_names(size_t* count) {
  *count = sizeof(kNames) / sizeof(kNames[0]);
  return kNames;
}

bool gfp_zone_bad(gfp_t gfp) { return kZoneTable[gfp & GFP_ZONEMASK].bad; }

std::optional<ZoneType> gfp_zone(gfp_t gfp) {
  const ZoneEntry& e = kZoneTable[gfp & GFP_ZONEMASK];
  if (e.bad) return std::nullopt;
  return e.zone;
}

std::optional<MigrateType> gfp_migratetype(gfp_t gfp, bool mobility_grouping) {
  if ((gfp & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK) return std::nullopt;
  if (!mobility_grouping) return MIGRATE_UNMOVABLE;
  // __GFP_MOVABLE is bit 3 and __GFP_RECLAIMABLE bit 4: shifting yields 1 or 2.
  return static_cast<MigrateType>((gfp & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT);
}

std::string gfp_names_string(gfp_t gfp) {
  if (gfp == 0) return "none";
  std::string out;
  gfp_t rest = gfp;
  // format_flags() in lib/vsprintf.c: first matching name wins, leftovers in hex.
  for (const PrintName& n : kPrintOrder) {
    if (rest == 0) break;
    if (n.value == 0 || (rest & n.value) != n.value) continue;
    if (!out.empty()) out += '|';
    out += n.name;
    rest &= ~n.value;
  }
  if (rest) {
    if (!out.empty()) out += '|';
    out += fmt::format("{:#x}", rest);
  }
  return out;
}

std::string gfp_to_string(gfp_t gfp) {
  return fmt::format("{:#x}({})", gfp, gfp == 0 ? "" : gfp_names_string(gfp));
}

std::optional<gfp_t> parse_gfp(std::string_view text, std::string* error, size_t* error_col) {
  size_t col = 0;
  std::string_view t = trim_spaces(text, &col);
  if (t.empty()) {
    fail(error, error_col, col, "empty gfp mask");
    return std::nullopt;
  }
  if (t == "none") return gfp_t{0};
  // "0xcc0(GFP_KERNEL)": the number is authoritative, the names must agree.
  size_t paren = t.find('(');
  if (paren != std::string_view::npos) {
    if (t.back() != ')') {
      fail(error, error_col, col + t.size(), "missing ')' after gfp names");
      return std::nullopt;
    }
    std::string_view num = t.substr(0, paren);
    auto v = parse_number(trim_spaces(num, nullptr));
    if (!v) {
      fail(error, error_col, col, fmt::format("{} is not a number", quote(num)));
      return std::nullopt;
    }
    if (*v & ~uint64_t{__GFP_BITS_MASK}) {
      fail(error, error_col, col,
           fmt::format("gfp bits {:#x} are outside __GFP_BITS_MASK {:#x}", *v, __GFP_BITS_MASK));
      return std::nullopt;
    }
    std::string_view inner = t.substr(paren + 1, t.size() - paren - 2);
    gfp_t named = 0;
    if (!trim_spaces(inner, nullptr).empty() &&
        !parse_name_list(inner, col + paren + 1, &named, error, error_col))
      return std::nullopt;
    if (named != *v) {
      fail(error, error_col, col + paren + 1,
           fmt::format("names {} mean {:#x} but the number says {:#x}", quote(inner), named, *v));
      return std::nullopt;
    }
    return static_cast<gfp_t>(*v);
  }
  gfp_t mask = 0;
  if (!parse_name_list(t, col, &mask, error, error_col)) return std::nullopt;
  return mask;
}

std::string_view trim_spaces(std::string_view s, size_t* offset) {
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  size_t e = s.size();
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  if (offset) *offset += b;
  return s.substr(b, e - b);
}

}  // namespace pagealloc
