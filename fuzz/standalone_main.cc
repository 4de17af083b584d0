// SPDX-License-Identifier: GPL-2.0-or-later
// Replays files and folders through one target in builds without libFuzzer (g++ ASan +
// UBSan), so ctest replays corpus/<target>/ and its regressions/. Files are visited in
// sorted order; a finding prints the report and exits 1.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/targets.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  using namespace buddycheck::fuzz;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; i++) {
    fs::path p(argv[i]);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      // Folders hold inputs only; README files and dotfiles document them.
      for (const auto& e : fs::directory_iterator(p, ec)) {
        std::string name = e.path().filename().string();
        if (e.is_regular_file() && name[0] != '.' && name.rfind("README", 0) != 0)
          files.push_back(e.path());
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "%s: no such file or folder\n", argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  size_t ok = 0, bad = 0;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    TargetOutcome o = BUDDYCHECK_TARGET(bytes.data(), bytes.size());
    if (o.status == Outcome::Finding) {
      std::fprintf(stderr, "%s:\n%s", f.c_str(), o.report.c_str());
      return 1;
    }
    (o.status == Outcome::Ok ? ok : bad)++;
  }
  std::printf("replayed %zu inputs (%zu ok, %zu not decodable)\n", files.size(), ok, bad);
  return 0;
}
