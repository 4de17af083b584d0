// SPDX-License-Identifier: GPL-2.0-or-later
// Replays files and folders through one target in builds without libFuzzer (g++ ASan +
// UBSan), so ctest replays corpus/<target>/ and its regressions/. Files are visited in
// sorted order; a finding prints the report (ending in this binary's replay command)
// and exits 1; an unreadable path exits 2.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/targets.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  using namespace buddycheck::fuzz;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
    return 2;
  }
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
      if (ec) {
        std::fprintf(stderr, "%s: cannot list the folder: %s\n", argv[i], ec.message().c_str());
        return 2;
      }
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "%s: %s\n", argv[i], ec ? ec.message().c_str() : std::strerror(ENOENT));
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  size_t ok = 0, bad = 0;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot open: %s\n", f.c_str(), std::strerror(errno));
      return 2;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    const std::string name = f.string();
    InputInfo info{name, std::string(argv[0]) + " " + name};
    TargetOutcome o = BUDDYCHECK_TARGET(bytes.data(), bytes.size(), info);
    if (o.status == Outcome::Finding) {
      std::fprintf(stderr, "%s:\n%s", f.c_str(), o.report.c_str());
      return 1;
    }
    (o.status == Outcome::Ok ? ok : bad)++;
  }
  std::printf("replayed %zu inputs (%zu ok, %zu not decodable)\n", files.size(), ok, bad);
  return 0;
}
