// SPDX-License-Identifier: GPL-2.0-or-later
// Files and command lines for the buddycheck subcommands: reading with reasons, writing
// whole or not at all, shell words for the replay commands reports print.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"

namespace buddycheck::cli {

bool read_file(const std::string& path, std::string* out, std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = path + ": cannot read: it is a directory";
    return false;
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    *error = fmt::format("{}: cannot open: {}", path, std::strerror(errno));
    return false;
  }
  out->clear();
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const bool bad = std::ferror(f);
  const int err = errno;
  std::fclose(f);
  if (bad) {
    *error = fmt::format("{}: cannot read: {}", path, std::strerror(err));
    return false;
  }
  return true;
}

bool write_file_atomic(const std::string& path, const std::string& text, std::string* error) {
  if (path == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout)) {
      *error = fmt::format("stdout: cannot write: {}", std::strerror(errno));
      return false;
    }
    return true;
  }
  // Beside the target (same file system, so the rename is atomic), and not matching
  // the *_test.cc glob a half-written test would otherwise be built from.
  const std::string tmp = fmt::format("{}.partial-{}", path, getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = fmt::format("{}: cannot write: {}", path, std::strerror(errno));
    return false;
  }
  size_t done = 0;
  int err = 0;
  while (done < text.size()) {
    const ssize_t w = ::write(fd, text.data() + done, text.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += static_cast<size_t>(w);
  }
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && std::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err) {
    std::remove(tmp.c_str());
    *error = fmt::format("{}: cannot write: {}", path, std::strerror(err));
    return false;
  }
  return true;
}

std::string shell_word(const std::string& s) {
  bool plain = !s.empty();
  for (unsigned char c : s)
    plain = plain && (std::isalnum(c) || std::strchr("_./+-=:,@%", c) != nullptr);
  if (plain) return s;
  bool printable = true;
  for (unsigned char c : s) printable = printable && c >= 0x20 && c < 0x7f;
  if (printable) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  // bash's $'...': every byte that is not plain printable as \xNN.
  std::string out = "$'";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') out += static_cast<char>(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  return out + "'";
}

std::string command(const Context& ctx, const std::string& sub, const std::string& args) {
  return shell_word(ctx.self) + " " + sub + " " + args;
}

bool looks_like_trace(const std::string& bytes) {
  size_t i = 0;
  // Skip leading comments and blank lines.
  while (i < bytes.size()) {
    if (bytes[i] == '#') {
      while (i < bytes.size() && bytes[i] != '\n') i++;
    } else if (bytes[i] == '\n' || bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r') {
      i++;
    } else {
      break;
    }
  }
  return bytes.compare(i, 16, "buddycheck-trace") == 0;
}

}  // namespace buddycheck::cli
