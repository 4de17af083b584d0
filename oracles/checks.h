// Shadow, reference and liveness check IDs (checks.def).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

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

}  // namespace buddycheck
