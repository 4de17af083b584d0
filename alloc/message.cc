// SPDX-License-Identifier: GPL-2.0-or-later
#include "alloc/message.h"

#include <algorithm>
#include <array>
#include <vector>

namespace pagealloc {

std::string quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < s.size(); i++) {
    if (i == kQuoteMax) {
      out += "...";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      const char esc[] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      out.append(esc, sizeof esc);
    }
  }
  return out + "'";
}

std::string escape_text(std::string_view s, size_t max) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (i == max) {
      out += "\n... (" + std::to_string(s.size() - max) + " more bytes)\n";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c >= 0x20 && c < 0x7f && c != '\\') || c == '\n' || c == '\t') {
      out += static_cast<char>(c);
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      const char esc[] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      out.append(esc, sizeof esc);
    }
  }
  return out;
}

namespace {

constexpr size_t kMaxWord = 64;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// How many edits a word of `n` bytes may be from a name and still be a typo of it.
size_t typo_budget(size_t n) { return n <= 3 ? 1 : n <= 8 ? 2 : 3; }

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  if (a.size() > kMaxWord || b.size() > kMaxWord) return limit + 1;
  const size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > limit) return limit + 1;
  // Optimal string alignment distance: three rows of the dynamic programming table.
  std::array<size_t, kMaxWord + 1> prev2{}, prev{}, cur{};
  for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= b.size(); j++) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      size_t v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        v = std::min(v, prev2[j - 2] + 1);
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min > limit) return limit + 1;
    prev2 = prev;
    prev = cur;
  }
  return std::min(prev[b.size()], limit + 1);
}

void Closest::offer(std::string_view name) {
  if (word_.empty() || name.empty() || word_.size() > kMaxWord) return;
  const size_t budget = typo_budget(std::min(word_.size(), name.size()));
  const size_t d = edit_distance(word_, name, budget);
  // Ties keep the first name offered: tables list the common names first.
  if (d <= budget && d < best_cost_) {
    best_cost_ = d;
    best_ = name;
  }
}

std::string Closest::hint() const {
  if (best_.empty()) return "";
  return " (did you mean " + quote(best_) + "?)";
}

}  // namespace pagealloc
