// SPDX-License-Identifier: GPL-2.0-or-later
// Findings rendered like kernel bug reports (report.h).
#include "oracles/report.h"

#include <algorithm>

#include <fmt/format.h>

#include "oracles/checks.h"
#include "oracles/invariants.h"

namespace buddycheck {

using namespace pagealloc;

namespace {

char page_char(const Machine& m, Pfn pfn, Pfn* block_end) {
  // Walk to the head of the block holding pfn (aligned candidates downwards).
  *block_end = pfn + 1;
  const Page& p = m.page(pfn);
  switch (p.state) {
    case PageState::Absent:
      return ' ';
    case PageState::Reserved:
      return 'r';
    case PageState::Buddy:
      *block_end = pfn + (Pfn{1} << p.order);
      return '.';
    case PageState::Pcp:
      *block_end = pfn + (Pfn{1} << p.order);
      return 'p';
    case PageState::Allocated:
      *block_end = pfn + (Pfn{1} << p.order);
      return 'A';
    case PageState::Tail:
      break;
  }
  for (unsigned k = 1; k <= m.max_order(); k++) {
    Pfn head = pfn & ~((Pfn{1} << k) - 1);
    const Page& h = m.page(head);
    if (h.state == PageState::Tail || h.order < k) continue;
    if (head + (Pfn{1} << h.order) <= pfn) continue;
    switch (h.state) {
      case PageState::Buddy:
        return '.';
      case PageState::Pcp:
        return 'p';
      case PageState::Allocated:
        return 'a';
      default:
        return '?';
    }
  }
  return '?';  // a tail with no head: exactly what the invariants complain about
}

}  // namespace

std::string ascii_map(const Machine& m, Pfn pfn, unsigned radius_blocks,
                      const std::vector<Pfn>& marks) {
  const Pfn pb = m.pageblock_nr_pages();
  if (!m.pfn_in_memmap(pfn))
    return fmt::format("(pfn {:#x} is outside the memmap {:#x}-{:#x})\n", pfn, m.start_pfn(),
                       m.end_pfn());
  Pfn centre = pfn & ~(pb - 1);
  Pfn lo =
      centre >= m.start_pfn() + radius_blocks * pb ? centre - radius_blocks * pb : m.start_pfn();
  Pfn hi = std::min<Pfn>(m.end_pfn(), centre + (radius_blocks + 1) * pb);
  // At most 64 characters per pageblock: each stands for `per` pages.
  const Pfn per = pb > 64 ? pb / 64 : 1;
  std::string out = fmt::format(
      "pageblocks {:#x}-{:#x} ({} pages each, {} page{} per character)\n"
      "  legend: '.' free  'p' per-cpu  'A' allocated head  'a' allocated tail  'r' reserved  ' ' "
      "hole  '*' finding  '+' mixed\n",
      lo, hi, pb, per, per == 1 ? "" : "s");
  for (Pfn b = lo; b < hi; b += pb) {
    int zid = m.page_zone_id(b);
    std::string type = fmt::format("{}{}", freetype_name(m.pageblock_freetype_idx(b)), "");
    std::string where =
        zid < 0 ? "-" : fmt::format("{}:{}", m.zone(zid).node, zone_name(m.zone(zid).type));
    std::string row;
    for (Pfn c = b; c < b + pb; c += per) {
      char ch = 0;
      bool mixed = false, marked = false;
      for (Pfn p = c; p < c + per; p++) {
        Pfn end;
        char pc = page_char(m, p, &end);
        if (std::find(marks.begin(), marks.end(), p) != marks.end()) marked = true;
        if (!ch) ch = pc;
        else if (ch != pc && !(ch == 'A' && pc == 'a')) mixed = true;
      }
      row += marked ? '*' : mixed ? '+' : ch;
    }
    out += fmt::format("  {:#010x} {:>11} {:>10} |{}|\n", b, type, where, row);
  }
  return out;
}

std::string render_report(const Finding& f, const Machine& m, std::string_view op_line,
                          std::string_view trace_text, const std::string& replay_command) {
  std::string rule, source;
  if (auto inv = invariant_by_id(f.id)) {
    rule = std::string(invariant_info(*inv).rule);
    source = std::string(invariant_info(*inv).kernel);
  } else if (auto c = check_by_id(f.id)) {
    rule = std::string(check_info(*c).rule);
    source = std::string(check_info(*c).source);
  }
  std::string out = fmt::format(
      "==================================================================\n"
      "buddycheck: {} {}\n",
      f.id, f.summary);
  if (!rule.empty()) out += fmt::format("  rule:     {}\n  mirrors:  {}\n", rule, source);
  if (f.zone >= 0 && f.zone < static_cast<int>(m.nr_zones()))
    out += fmt::format("  zone:     Node {}, zone {}\n", m.zone(f.zone).node,
                       zone_name(m.zone(f.zone).type));
  if (!f.pfns.empty()) {
    out += "  pfns:    ";
    for (Pfn p : f.pfns) out += fmt::format(" {:#x}", p);
    out += '\n';
  }
  if (!f.expected.empty()) out += fmt::format("  expected: {}\n", f.expected);
  if (!f.actual.empty()) out += fmt::format("  actual:   {}\n", f.actual);
  if (!op_line.empty()) out += fmt::format("  after op #{}: {}\n", f.op_index, op_line);
  if (!f.pfns.empty()) out += "\n" + ascii_map(m, f.pfns.front(), 2, f.pfns);
  out += "\n/proc/buddyinfo:\n" + m.buddyinfo();
  out += "\n/proc/pagetypeinfo:\n" + m.pagetypeinfo();
  out += "\ntrace of the run so far:\n";
  out += trace_text;
  if (!replay_command.empty()) out += "\nreplay: " + replay_command + "\n";
  out += "==================================================================\n";
  return out;
}

}  // namespace buddycheck
