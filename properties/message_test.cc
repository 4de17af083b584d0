// SPDX-License-Identifier: GPL-2.0-or-later
// Messages about untrusted text (alloc/message.h): quote() and the "did you mean" of
// Closest, then every parser that echoes its input - gfp masks, struct alloc_flags
// (`ctx=`), nodemasks, text traces and rule files - fed a NUL byte, a terminal escape
// sequence and a megabyte token. Each message must stay printable ASCII, short, and
// show the offending bytes escaped (docs/trace-format.md, "Errors").
#include <gtest/gtest.h>

#include <string>

#include "alloc/alloc_flags.h"
#include "alloc/gfp.h"
#include "alloc/message.h"
#include "alloc/nodemask.h"
#include "drive/trace.h"
#include "rules/rules.h"

namespace {

using namespace pagealloc;

const std::string kNul = std::string("GFP_\0KERNEL", 11);
const std::string kEsc = "\x1b[31mRED\x1b[0m";
const std::string kHuge(1 << 20, 'A');

// Printable ASCII only, and not much longer than the fixed text around the token.
void expect_tame(const std::string& msg, size_t max_len = 700) {
  for (unsigned char c : msg)
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << int{c} << ": " << msg;
  EXPECT_LE(msg.size(), max_len) << msg.substr(0, 200);
}

// message-quote-1: Expect printable text quoted as is, quotes and backslashes escaped,
// every other byte as \xNN, and tokens beyond 40 bytes shortened with "...".
TEST(message, quote_1) {
  EXPECT_EQ(quote("GFP_KERNEL"), "'GFP_KERNEL'");
  EXPECT_EQ(quote(kNul), "'GFP_\\x00KERNEL'");
  EXPECT_EQ(quote(kEsc), "'\\x1b[31mRED\\x1b[0m'");
  EXPECT_EQ(quote("it's \\"), "'it\\'s \\\\'");
  EXPECT_EQ(quote("\xff\x7f\n"), "'\\xff\\x7f\\x0a'");
  EXPECT_EQ(quote(kHuge), "'" + std::string(kQuoteMax, 'A') + "...'");
  EXPECT_EQ(quote(""), "''");
}

// message-closest-1: Expect typos (a dropped, added, changed or swapped letter, other
// case) to find their name, and words too far from every name to find none.
TEST(message, closest_1) {
  auto best = [](std::string_view w) {
    Closest c(w);
    for (std::string_view n : {"GFP_KERNEL", "GFP_ATOMIC", "GFP_NOFS", "run", "replay"}) c.offer(n);
    return std::string(c.best());
  };
  EXPECT_EQ(best("GFP_KERNL"), "GFP_KERNEL");
  EXPECT_EQ(best("GFP_KERNNEL"), "GFP_KERNEL");
  EXPECT_EQ(best("GFP_KERMEL"), "GFP_KERNEL");
  EXPECT_EQ(best("GFP_KENREL"), "GFP_KERNEL");
  EXPECT_EQ(best("gfp_atomic"), "GFP_ATOMIC");
  EXPECT_EQ(best("rnu"), "run");
  EXPECT_EQ(best("repaly"), "replay");
  EXPECT_EQ(best("banana"), "");
  EXPECT_EQ(best(""), "");
  EXPECT_EQ(best(kHuge), "");
  Closest c("GFP_KERNL");
  c.offer("GFP_KERNEL");
  EXPECT_EQ(c.hint(), " (did you mean 'GFP_KERNEL'?)");
  EXPECT_EQ(edit_distance("abc", "abc", 2), 0u);
  EXPECT_EQ(edit_distance("ab", "ba", 2), 1u);
  EXPECT_EQ(edit_distance("abcdef", "x", 2), 3u);  // capped at limit + 1
}

// message-gfp-1: Expect parse_gfp() to escape and shorten what it echoes, wherever the
// token sits (a name, the number before '(', the names inside it).
TEST(message, gfp_1) {
  for (const std::string& tok : {kNul, kEsc, kHuge}) {
    for (const std::string& text :
         {tok, "GFP_KERNEL|" + tok, "0x" + tok + "(GFP_KERNEL)", "0xcc0(" + tok + ")"}) {
      std::string err;
      size_t col = 0;
      EXPECT_FALSE(parse_gfp(text, &err, &col).has_value());
      SCOPED_TRACE(err.substr(0, 100));
      expect_tame(err);
      EXPECT_NE(err.find(quote(tok).substr(1, 8)), std::string::npos);
    }
  }
  std::string err;
  parse_gfp("GFP_KERNL|__GFP_ZERO", &err);
  EXPECT_EQ(err, "unknown gfp flag 'GFP_KERNL' (did you mean 'GFP_KERNEL'?)");
}

// message-ctx-1: Expect parse_ctx_flags() to escape and shorten unknown fields and bad
// numbers, and to suggest the field a typo means.
TEST(message, ctx_1) {
  for (const std::string& tok : {kNul, kEsc, kHuge, "0x" + kEsc}) {
    std::string err;
    EXPECT_FALSE(parse_ctx_flags("cma|" + tok, &err).has_value());
    SCOPED_TRACE(err.substr(0, 100));
    expect_tame(err);
    EXPECT_NE(err.find(quote(tok).substr(1, 8)), std::string::npos);
  }
  std::string err;
  parse_ctx_flags("cma|unmaped", &err);
  EXPECT_EQ(err, "unknown alloc_flags field 'unmaped' (did you mean 'unmapped'?)");
}

// message-nodemask-1: Expect parse_nodemask() to escape the byte it stops at.
TEST(message, nodemask_1) {
  for (const std::string& text : {"0-1" + kEsc, std::string("0\0", 2), "1;" + kHuge}) {
    std::string err;
    EXPECT_FALSE(parse_nodemask(text, &err).has_value());
    expect_tame(err);
  }
  std::string err;
  parse_nodemask("0-1\x1b", &err);
  EXPECT_EQ(err, "unexpected '\\x1b' in nodemask");
}

// message-trace-1: Expect every trace message about a hostile token - as an op name, a
// key, a gfp, a ctx, a task bit, a nodemask, a number, a header - to be tame.
TEST(message, trace_1) {
  const std::string head = "buddycheck-trace 1\nnode 0\nzone 0 Normal start=0 pages=1024\n";
  for (const std::string& tok : {kNul, kEsc, kHuge.substr(0, 900000)}) {
    for (const std::string& line :
         {tok, "alloc " + tok + "=1", "alloc gfp=" + tok, "alloc ctx=" + tok, "alloc task=" + tok,
          "alloc nodemask=" + tok, "free id=" + tok, "sysctl key=" + tok + " value=1",
          "drain zone=0:" + tok}) {
      buddycheck::ParseResult r = buddycheck::parse_trace(head + line + "\n", "t.trace");
      ASSERT_FALSE(r.ok()) << line.substr(0, 40);
      const std::string msg = r.error->to_string();
      SCOPED_TRACE(msg.substr(0, 120));
      expect_tame(msg);
      EXPECT_EQ(msg.rfind("t.trace:4:", 0), 0u);
    }
    buddycheck::ParseResult r = buddycheck::parse_trace(tok + "\n", "t.trace");
    ASSERT_FALSE(r.ok());
    expect_tame(r.error->to_string());
  }
}

// message-rules-1: Expect the rule parser to escape what it echoes (a field, a rule
// ID, a verdict, an expression atom, a stray byte).
TEST(message, rules_1) {
  const std::string head = "buddycheck-rules 1\n";
  for (const std::string& tok : {std::string("x\0y", 3), "x" + kEsc, std::string(3000, 'x')}) {
    for (const std::string& line :
         {"field " + tok + " internal reject \"s\" source=\"k\"", "rule " + tok + " reject",
          "rule r1 " + tok, "rule r1 reject cma when gfp." + tok + " \"s\" source=\"k\"",
          "frobnicate " + tok, tok}) {
      buddycheck::rules::RulesParse p =
          buddycheck::rules::parse_rules(head + line + "\n", "r.rules");
      ASSERT_FALSE(p.ok());
      const std::string msg = p.error->to_string();
      SCOPED_TRACE(msg.substr(0, 120));
      expect_tame(msg);
      EXPECT_EQ(msg.rfind("r.rules:2:", 0), 0u);
    }
  }
}

}  // namespace
