// SPDX-License-Identifier: GPL-2.0-or-later
// Text for error messages about untrusted input (trace files, gfp strings, rule files,
// command-line arguments). Every parser that echoes what it was given goes through
// quote(): a NUL byte cannot cut a message short, an escape sequence cannot reach the
// user's terminal, and a megabyte token does not make a megabyte message. closest()
// finds the "did you mean" for a misspelt name.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pagealloc {

// Tokens longer than this are shortened to their first kQuoteMax bytes and "...".
inline constexpr size_t kQuoteMax = 40;

// `s` in single quotes, printable ASCII as is except '\'' and '\\' (escaped with a
// backslash), every other byte as \xNN, at most kQuoteMax bytes of it shown.
std::string quote(std::string_view s);

// A block of untrusted text (an input shown in a report): lines kept, tabs kept, every
// other control or non-ASCII byte as \xNN, at most `max` bytes of it shown.
std::string escape_text(std::string_view s, size_t max = 4096);

// The best "did you mean" among the names offered: the closest by edit distance
// (insertions, deletions, substitutions and swaps of neighbours; case differences cost
// nothing), if it is close enough to be a typo. Words longer than 64 bytes get none.
class Closest {
 public:
  explicit Closest(std::string_view word) : word_(word) {}
  void offer(std::string_view name);
  // The best name offered, or empty.
  std::string_view best() const { return best_; }
  // " (did you mean 'NAME'?)", or "" when no name is close.
  std::string hint() const;

 private:
  std::string_view word_;
  std::string_view best_;
  size_t best_cost_ = ~size_t{0};
};

// The edit distance used by Closest (case-insensitive), capped at `limit` + 1.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);

}  // namespace pagealloc
