// SPDX-License-Identifier: GPL-2.0-or-later
// Constant keyword tables that find a word with one string comparison instead of a scan.
// The GFP and trace parsers run under libFuzzer, which traces every comparison: a scan
// over forty GFP names costs forty traced compares per token, a lookup here costs one.
// A word's slot hashes its length and three of its bytes; the constructor runs at
// compile time, picks a seed that gives every word its own slot, and rejects empty or
// repeated words (a repeated word would never be found at its second index).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace pagealloc {

// What callers pass around: the words in table order plus their slots.
class NameSet {
 public:
  constexpr NameSet(std::span<const std::string_view> words, std::span<const uint8_t> slots,
                    uint32_t seed)
      : words_(words), slots_(slots), seed_(seed) {}

  // The index of `s` among the words, or -1.
  constexpr int find(std::string_view s) const {
    if (s.empty()) return -1;
    const uint8_t k = slots_[slot_of(s, seed_, slots_.size())];
    return k != 0 && words_[k - 1] == s ? k - 1 : -1;
  }
  constexpr std::span<const std::string_view> words() const { return words_; }
  constexpr size_t size() const { return words_.size(); }
  constexpr std::string_view operator[](size_t i) const { return words_[i]; }

  // Non-empty `s` only; `nslots` is a power of two.
  static constexpr size_t slot_of(std::string_view s, uint32_t seed, size_t nslots) {
    const size_t n = s.size();
    const char* p = s.data();
    uint32_t h = (seed ^ static_cast<uint32_t>(n)) * 0x9e3779b1u;
    h = (h ^ static_cast<uint8_t>(p[0])) * 0x85ebca6bu;
    h = (h ^ static_cast<uint8_t>(p[n / 2])) * 0xc2b2ae35u;
    h = (h ^ static_cast<uint8_t>(p[n - 1])) * 0x27d4eb2fu;
    return (h >> 16) & (nslots - 1);
  }

 private:
  std::span<const std::string_view> words_;
  std::span<const uint8_t> slots_;
  uint32_t seed_;
};

template <size_t N>
class NameIndex {
  static_assert(N > 0 && N < 255, "slots hold index + 1 in a byte");

 public:
  consteval NameIndex(const std::string_view (&words)[N]) {
    for (size_t i = 0; i < N; i++) words_[i] = words[i];
    build();
  }
  // A table of structs: `member` names the word.
  template <typename T>
  consteval NameIndex(const T (&items)[N], std::string_view T::* member) {
    for (size_t i = 0; i < N; i++) words_[i] = items[i].*member;
    build();
  }

  constexpr operator NameSet() const { return NameSet(words_, slots_, seed_); }
  constexpr int find(std::string_view s) const { return NameSet(*this).find(s); }
  constexpr std::string_view operator[](size_t i) const { return words_[i]; }
  static constexpr size_t size() { return N; }

 private:
  static constexpr size_t kSlots = std::bit_ceil(4 * N);

  consteval void build() {
    for (size_t i = 0; i < N; i++) {
      if (words_[i].empty()) throw "NameIndex: empty word";
      for (size_t j = 0; j < i; j++)
        if (words_[i] == words_[j]) throw "NameIndex: repeated word";
    }
    for (seed_ = 1; seed_ < 1000; seed_++) {
      slots_ = {};
      bool clash = false;
      for (size_t i = 0; i < N && !clash; i++) {
        uint8_t& s = slots_[NameSet::slot_of(words_[i], seed_, kSlots)];
        clash = s != 0;
        s = static_cast<uint8_t>(i + 1);
      }
      if (!clash) return;
    }
    throw "NameIndex: no seed separates these words (hash more bytes)";
  }

  std::array<std::string_view, N> words_{};
  std::array<uint8_t, kSlots> slots_{};
  uint32_t seed_ = 0;
};

}  // namespace pagealloc
