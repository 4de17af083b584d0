// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of the per-cpu pagesets on every named machine, in random states:
// draining empties exactly what it names and loses no page.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drive/trace.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

int pcp_pages(const Machine& m, unsigned zone, unsigned cpu) { return m.pcp(zone, cpu).count; }

// NR_FREE_PAGES plus every per-cpu page, per zone: what a drain must conserve.
std::vector<int64_t> free_totals(const Machine& m) {
  std::vector<int64_t> t;
  for (unsigned z = 0; z < m.nr_zones(); z++) {
    int64_t n = m.zone(z).nr_free_pages;
    for (unsigned c = 0; c < m.nr_cpus(); c++) n += pcp_pages(m, z, c);
    t.push_back(n);
  }
  return t;
}

// props-pcp-drain-1: Expect drain_local_pages(cpu[, zone]) to empty exactly that CPU's
// lists (of that zone) and leave every other per-cpu list as it was, drain_all_pages
// to empty them all, and either to keep NR_FREE_PAGES + per-cpu pages per zone.
void drain_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  in_rounds(r, 60, false, [](Runner& r) {
    const Machine& m = r.machine();
    std::vector<int> before;
    for (unsigned z = 0; z < m.nr_zones(); z++)
      for (unsigned c = 0; c < m.nr_cpus(); c++) before.push_back(pcp_pages(m, z, c));
    const std::vector<int64_t> totals = free_totals(m);
    const Op op = *gen_drain_op(snapshot(r));
    if (r.step(op).error) fail_property(r, "GENERATOR", "drain rejected");
    for (unsigned z = 0; z < m.nr_zones(); z++)
      for (unsigned c = 0; c < m.nr_cpus(); c++) {
        const bool named =
            (op.all || c == op.cpu) && (op.zone < 0 || static_cast<unsigned>(op.zone) == z);
        const int want = named ? 0 : before[z * m.nr_cpus() + c];
        if (pcp_pages(m, z, c) != want)
          fail_property(r, "props-pcp-drain-1",
                        fmt::format("after `{}` zone {} cpu {} holds {} pages, expected {}",
                                    print_op(op), z, c, pcp_pages(m, z, c), want));
      }
    if (free_totals(m) != totals)
      fail_property(r, "props-pcp-drain-1",
                    "`" + print_op(op) + "` changed NR_FREE_PAGES + per-cpu pages");
  });
}

class props_pcp : public ConfigMatrix {};

TEST_P(props_pcp, drain_1) {
  check(Budget{.runs = 60, .max_size = 60}, [cfg = config()] { drain_1(cfg); });
}
BUDDYCHECK_CONFIG_MATRIX(props_pcp);

}  // namespace
}  // namespace buddycheck::props
