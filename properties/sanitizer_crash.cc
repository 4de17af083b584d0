// SPDX-License-Identifier: GPL-2.0-or-later
// A deliberately crashing program for ctest (properties/CMakeLists.txt): it links the
// sanitizer defaults every buddycheck binary links (cli/sanitizer_options.cc) and
// commits the error its argument names, so the tests can check that a sanitizer report
// exits 3 - "buddycheck crashed" - and never 1, which means "a finding".
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s asan|ubsan|leak\n", argv[0]);
    return 2;
  }
  // volatile: the compiler may not prove the errors away.
  volatile int n = argc + 6;
  if (!std::strcmp(argv[1], "asan")) {
    char* p = static_cast<char*>(std::malloc(8));
    p[n] = 1;  // heap-buffer-overflow
    std::free(p);
  } else if (!std::strcmp(argv[1], "ubsan")) {
    volatile int big = 0x7fffffff;
    std::printf("%d\n", big + n);  // signed overflow
  } else if (!std::strcmp(argv[1], "leak")) {
    static void* volatile sink;
    sink = std::malloc(64);
    sink = nullptr;  // the only pointer is gone: LeakSanitizer reports it at exit
  }
  return 0;
}
