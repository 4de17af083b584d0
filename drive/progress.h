// SPDX-License-Identifier: GPL-2.0-or-later
// A one-line progress meter for work that runs longer than a few seconds (the
// exhaustive sanitize-check, minimize, long property runs). It draws only when stderr
// is a terminal - nothing reaches pipes, logs or CI output - at most five times a
// second, and erases its line when done, so the results printed after it read as if
// it had never been there. Nothing it does changes what the work computes.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace buddycheck {

class Progress {
 public:
  // `what` leads the line ("sanitize-check"). `enabled` defaults to "stderr is a tty".
  explicit Progress(std::string what, bool enabled = isatty(STDERR_FILENO) == 1)
      : what_(std::move(what)), enabled_(enabled) {}
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress() { done(); }

  bool enabled() const { return enabled_; }

  // `done` of `total` (total 0: unknown), and a short detail ("12 ops left").
  void update(uint64_t done, uint64_t total, std::string_view detail = {}) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    std::string line = what_ + ": ";
    if (total) {
      const unsigned pct = static_cast<unsigned>(done * 100 / total);
      line +=
          std::to_string(pct) + "% (" + std::to_string(done) + "/" + std::to_string(total) + ")";
    } else {
      line += std::to_string(done);
    }
    if (!detail.empty()) line += ", " + std::string(detail);
    if (line.size() > 78) line.resize(78);
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

  // Erases the line (once).
  void done() {
    if (!drawn_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }

 private:
  std::string what_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace buddycheck
