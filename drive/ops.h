// SPDX-License-Identifier: GPL-2.0-or-later
// The shared op vocabulary (generated from ops.def) and the Trace: a machine config
// plus an op list. Every input (fuzz bytes, RapidCheck commands, text traces) becomes
// a Trace; the runner applies it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/alloc_flags.h"
#include "alloc/config.h"
#include "alloc/nodemask.h"
#include "alloc/request.h"

namespace buddycheck {

using namespace pagealloc;

enum class OpKind : uint8_t {
#define OP(Kind, name, fields, doc) Kind,
#include "drive/ops.def"
};
inline constexpr unsigned kNrOpKinds = 0
#define OP(Kind, name, fields, doc) +1
#include "drive/ops.def"
    ;

enum FieldBit : uint32_t {
  F_NONE_ = 0,
#define FIELD(F, key, doc) F##_BIT_,
#include "drive/ops.def"
};
#define FIELD(F, key, doc) inline constexpr uint32_t F = uint32_t{1} << F##_BIT_;
#include "drive/ops.def"
inline constexpr unsigned kNrOpFields = 0
#define FIELD(F, key, doc) +1
#include "drive/ops.def"
    ;

enum TaskBit : uint32_t {
#define TASK_BIT(name, doc) TASK_BIT_##name,
#include "drive/ops.def"
  NR_TASK_BITS
};

enum class SysctlKey : uint8_t {
#define SYSCTL(name, doc) name,
#include "drive/ops.def"
};

enum class BadFreeKind : uint8_t {
#define BAD_FREE(name, doc) name,
#include "drive/ops.def"
};

enum class DumpWhat : uint8_t { buddyinfo, pagetypeinfo, zoneinfo, all };

struct OpInfo {
  std::string_view name;
  uint32_t fields;
  std::string_view doc;
};
const OpInfo& op_info(OpKind k);
std::optional<OpKind> op_by_name(std::string_view name);
std::string_view field_key(uint32_t field_bit);  // F_GFP -> "gfp"
std::string_view task_bit_name(unsigned bit);
std::string_view sysctl_name(SysctlKey k);
std::string_view bad_free_name(BadFreeKind k);

// Task bits <-> TaskContext (cpuset is separate).
TaskContext task_from_bits(uint32_t bits, const std::optional<Nodemask>& cpuset);
uint32_t task_to_bits(const TaskContext& t);

struct HookSpec {
  unsigned reclaim = 0;  // pages-worth of allocations freed per direct reclaim call (0: none)
  CompactResult compact = CompactResult::SKIPPED;
  bool oom_kill = false;  // false: the kernel's out_of_memory() with nothing to kill
  bool operator==(const HookSpec&) const = default;
};

// One operation. Only the fields its kind declares in ops.def are meaningful; the
// others keep their defaults so that equality and printing are canonical.
struct Op {
  OpKind kind = OpKind::Check;
  unsigned order = 0;
  gfp_t gfp = GFP_KERNEL;
  int nid = NUMA_NO_NODE;
  std::optional<Nodemask> nodemask;
  std::optional<AllocFlags> ctx;
  unsigned cpu = 0;
  uint32_t task = 0;
  std::optional<Nodemask> cpuset;
  bool frozen = false;
  uint64_t id = 0;
  uint32_t count = 0;
  bool all = false;
  int zone = -1;  // zone id (node * MAX_NR_ZONES + type), -1: all
  SysctlKey key = SysctlKey::min_free_kbytes;
  uint64_t value = 0;
  std::array<unsigned, MAX_NR_ZONES> ratio = {256, 256, 32, 0};  // lowmem_reserve_ratio
  HookSpec hooks;
  DumpWhat what = DumpWhat::all;
  BadFreeKind bad = BadFreeKind::double_free;
  Pfn pfn = 0;
  bool present = true;
  int node = 0;

  bool operator==(const Op&) const = default;
};

inline constexpr int kTraceVersion = 1;

struct Trace {
  Config config;
  std::vector<Op> ops;
  bool operator==(const Trace&) const = default;
};

// Convenience constructors used by tests and generators.
namespace ops {
Op alloc(unsigned order, gfp_t gfp, int nid = NUMA_NO_NODE, unsigned cpu = 0);
Op free(uint64_t id, unsigned cpu = 0);
Op drain_all();
Op check();
}  // namespace ops

}  // namespace buddycheck
