// SPDX-License-Identifier: GPL-2.0-or-later
// Linked into every buddycheck binary built with ASan+UBSan (the command, the *_replay
// drivers, every test binary; not the libFuzzer targets, which keep libFuzzer's
// conventions): the sanitizers exit with 3 instead of their default 1, which in
// buddycheck means "a finding". A crash of the tool is then never read as a verdict
// on the allocator (README.md, "Exit codes"). The environment's ASAN_OPTIONS and
// UBSAN_OPTIONS still win over these defaults.
//
// allocator_may_return_null=1: an allocation ASan cannot serve (larger than its maximum,
// or past max_allocation_size_mb) returns null, and operator new throws std::bad_alloc
// as it would without ASan; buddycheck's main() turns that into exit 2 with a message.
#include "cli/commands.h"

static_assert(buddycheck::cli::kExitCrash == 3, "the option strings below say 3");

extern "C" {
// Read by the ASan runtime at start-up (LeakSanitizer reports use it too).
const char* __asan_default_options() { return "exitcode=3:allocator_may_return_null=1"; }
// UBSan's own: with -fno-sanitize-recover it dies through this exit code.
const char* __ubsan_default_options() { return "exitcode=3:print_stacktrace=1"; }
}
