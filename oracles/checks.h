// SPDX-License-Identifier: GPL-2.0-or-later
// Shadow, reference and liveness check IDs (checks.def).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oracles/finding.h"

namespace buddycheck {

enum class Check : uint16_t {
#define CHECK(Name, id, rule, source) Name,
#include "oracles/checks.def"
  kCount
};

struct CheckInfo {
  std::string_view id;
  std::string_view rule;
  std::string_view source;
};
const CheckInfo& check_info(Check c);
std::optional<Check> check_by_id(std::string_view id);

// A Finding of check `c` (its ID from checks.def).
Finding check_finding(Check c, std::string summary, std::string expected, std::string actual,
                      std::vector<Pfn> pfns = {}, int zone = -1);

}  // namespace buddycheck
