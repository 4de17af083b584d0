// SPDX-License-Identifier: GPL-2.0-or-later
#include "alloc/nodemask.h"

#include <fmt/format.h>

#include "alloc/message.h"

namespace pagealloc {

std::string nodemask_to_string(Nodemask m) {
  std::string out;
  int n = 0;
  while (n < kMaxNodes) {
    if (!m.test(n)) {
      n++;
      continue;
    }
    int start = n;
    while (n + 1 < kMaxNodes && m.test(n + 1)) n++;
    if (!out.empty()) out += ',';
    out += start == n ? fmt::format("{}", start) : fmt::format("{}-{}", start, n);
    n++;
  }
  return out;
}

namespace {
bool fail(std::string* error, size_t* col, size_t at, std::string msg) {
  if (error) *error = std::move(msg);
  if (col) *col = at;
  return false;
}

// Parses a decimal node id at text[*pos]; advances *pos.
bool parse_id(std::string_view text, size_t* pos, int* out, std::string* error, size_t* col) {
  size_t start = *pos;
  int v = 0;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
    v = v * 10 + (text[*pos] - '0');
    if (v >= kMaxNodes)
      return fail(error, col, start, fmt::format("node id out of range (max {})", kMaxNodes - 1));
    (*pos)++;
  }
  if (*pos == start) return fail(error, col, start, "expected a node id");
  *out = v;
  return true;
}
}  // namespace

std::optional<Nodemask> parse_nodemask(std::string_view text, std::string* error,
                                       size_t* error_col) {
  Nodemask m;
  if (text.empty()) return m;
  size_t pos = 0;
  while (true) {
    int a, b;
    if (!parse_id(text, &pos, &a, error, error_col)) return std::nullopt;
    b = a;
    if (pos < text.size() && text[pos] == '-') {
      pos++;
      size_t at = pos;
      if (!parse_id(text, &pos, &b, error, error_col)) return std::nullopt;
      if (b < a) {
        fail(error, error_col, at, fmt::format("range {}-{} runs backwards", a, b));
        return std::nullopt;
      }
    }
    for (int n = a; n <= b; n++) m.set(n);
    if (pos == text.size()) break;
    if (text[pos] != ',') {
      fail(error, error_col, pos,
           fmt::format("unexpected {} in nodemask", quote(text.substr(pos, 1))));
      return std::nullopt;
    }
    pos++;
  }
  return m;
}

Nodemask nodes_remap(Nodemask src, Nodemask old_nodes, Nodemask new_nodes) {
  // bitmap_remap(): the n-th set bit of old maps to the (n mod weight(new))-th set bit
  // of new; bits of src not in old map to themselves. Empty old or new: identity.
  int wold = old_nodes.weight(), wnew = new_nodes.weight();
  if (wold == 0 || wnew == 0) return src;
  auto nth = [](Nodemask m, int k) {
    for (int n = 0; n < kMaxNodes; n++)
      if (m.test(n) && k-- == 0) return n;
    return -1;
  };
  Nodemask out;
  for (int n = 0; n < kMaxNodes; n++) {
    if (!src.test(n)) continue;
    if (!old_nodes.test(n)) {
      out.set(n);
      continue;
    }
    int ord = std::popcount(old_nodes.bits & ((uint64_t{1} << n) - 1));
    out.set(nth(new_nodes, ord % wnew));
  }
  return out;
}

}  // namespace pagealloc
