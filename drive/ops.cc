// SPDX-License-Identifier: GPL-2.0-or-later
#include "drive/ops.h"

namespace buddycheck {

namespace {

constexpr OpInfo kOps[] = {
#define OP(Kind, name, fields, doc) {name, fields, doc},
#include "drive/ops.def"
};

struct FieldName {
  uint32_t bit;
  std::string_view key;
};
constexpr FieldName kFields[] = {
#define FIELD(F, key, doc) {F, key},
#include "drive/ops.def"
};

constexpr std::string_view kTaskBits[] = {
#define TASK_BIT(name, doc) #name,
#include "drive/ops.def"
};

constexpr std::string_view kSysctls[] = {
#define SYSCTL(name, doc) #name,
#include "drive/ops.def"
};

constexpr std::string_view kBadFrees[] = {
#define BAD_FREE(name, doc) #name,
#include "drive/ops.def"
};

}  // namespace

const OpInfo& op_info(OpKind k) { return kOps[static_cast<unsigned>(k)]; }

std::optional<OpKind> op_by_name(std::string_view name) {
  for (unsigned i = 0; i < kNrOpKinds; i++)
    if (kOps[i].name == name) return static_cast<OpKind>(i);
  return std::nullopt;
}

std::string_view field_key(uint32_t field_bit) {
  for (const FieldName& f : kFields)
    if (f.bit == field_bit) return f.key;
  return "?";
}

std::string_view task_bit_name(unsigned bit) { return bit < NR_TASK_BITS ? kTaskBits[bit] : "?"; }
std::string_view sysctl_name(SysctlKey k) { return kSysctls[static_cast<unsigned>(k)]; }
std::string_view bad_free_name(BadFreeKind k) { return kBadFrees[static_cast<unsigned>(k)]; }

TaskContext task_from_bits(uint32_t bits, const std::optional<Nodemask>& cpuset) {
  TaskContext t;
  t.in_interrupt = bits & (1u << TASK_BIT_in_interrupt);
  t.in_serving_softirq = bits & (1u << TASK_BIT_in_softirq);
  t.pf_memalloc = bits & (1u << TASK_BIT_pf_memalloc);
  t.pf_memalloc_noio = bits & (1u << TASK_BIT_noio);
  t.pf_memalloc_nofs = bits & (1u << TASK_BIT_nofs);
  t.pf_memalloc_pin = bits & (1u << TASK_BIT_pin);
  t.oom_victim = bits & (1u << TASK_BIT_oom_victim);
  t.rt_task = bits & (1u << TASK_BIT_rt_task);
  t.cpuset_mems = cpuset;
  return t;
}

uint32_t task_to_bits(const TaskContext& t) {
  uint32_t b = 0;
  if (t.in_interrupt) b |= 1u << TASK_BIT_in_interrupt;
  if (t.in_serving_softirq) b |= 1u << TASK_BIT_in_softirq;
  if (t.pf_memalloc) b |= 1u << TASK_BIT_pf_memalloc;
  if (t.pf_memalloc_noio) b |= 1u << TASK_BIT_noio;
  if (t.pf_memalloc_nofs) b |= 1u << TASK_BIT_nofs;
  if (t.pf_memalloc_pin) b |= 1u << TASK_BIT_pin;
  if (t.oom_victim) b |= 1u << TASK_BIT_oom_victim;
  if (t.rt_task) b |= 1u << TASK_BIT_rt_task;
  return b;
}

namespace ops {

Op alloc(unsigned order, gfp_t gfp, int nid, unsigned cpu) {
  Op op;
  op.kind = OpKind::Alloc;
  op.order = order;
  op.gfp = gfp;
  op.nid = nid;
  op.cpu = cpu;
  return op;
}

Op free(uint64_t id, unsigned cpu) {
  Op op;
  op.kind = OpKind::Free;
  op.id = id;
  op.cpu = cpu;
  return op;
}

Op drain_all() {
  Op op;
  op.kind = OpKind::Drain;
  op.all = true;
  return op;
}

Op check() { return Op{}; }

}  // namespace ops

}  // namespace buddycheck
