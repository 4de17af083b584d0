// SPDX-License-Identifier: GPL-2.0-or-later
// The table of shadow, reference and liveness check IDs (checks.def) and the Finding
// constructor every check uses.
#include "oracles/checks.h"

namespace buddycheck {

namespace {
constexpr CheckInfo kChecks[] = {
#define CHECK(Name, id, rule, source) {id, rule, source},
#include "oracles/checks.def"
};
}  // namespace

const CheckInfo& check_info(Check c) { return kChecks[static_cast<unsigned>(c)]; }

Finding check_finding(Check c, std::string summary, std::string expected, std::string actual,
                      std::vector<Pfn> pfns, int zone) {
  Finding f;
  f.id = std::string(check_info(c).id);
  f.summary = std::move(summary);
  f.expected = std::move(expected);
  f.actual = std::move(actual);
  f.pfns = std::move(pfns);
  f.zone = zone;
  return f;
}

std::optional<Check> check_by_id(std::string_view id) {
  for (unsigned i = 0; i < static_cast<unsigned>(Check::kCount); i++)
    if (kChecks[i].id == id) return static_cast<Check>(i);
  return std::nullopt;
}

}  // namespace buddycheck
