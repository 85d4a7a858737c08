// SPDX-License-Identifier: BSD-3-Clause
#include "report/text_format.hpp"

#include <fmt/format.h>

#include <cmath>

namespace jt {

namespace {

struct EnergyUnit {
  double scale;
  const char* name;
  int decimals;
};

EnergyUnit unit_for(double joules) {
  const double magnitude = std::abs(joules);
  if (magnitude >= 1e9) return {1e-9, "GJ", 3};
  if (magnitude >= 1e6) return {1e-6, "MJ", 3};
  if (magnitude >= 1e4) return {1e-3, "kJ", 2};
  return {1.0, "J", 3};
}

// Length of the UTF-8 sequence starting with `lead`, or 0 when it cannot start one.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool valid_sequence(std::string_view text, std::size_t at, std::size_t length) {
  if (length == 0 || at + length > text.size()) return false;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[at + k]) & 0xC0) != 0x80) return false;
  }
  return true;
}

std::size_t code_points(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

std::string energy_text(double joules) {
  const EnergyUnit u = unit_for(joules);
  return fmt::format("{:.{}f} {}", joules * u.scale, u.decimals, u.name);
}

std::string energy_text(const std::optional<double>& joules) {
  return joules ? energy_text(*joules) : std::string("unknown");
}

std::string duration_text(double seconds) {
  const double magnitude = std::abs(seconds);
  if (magnitude >= 3600.0) return fmt::format("{:.2f} h", seconds / 3600.0);
  if (magnitude >= 60.0) return fmt::format("{:.2f} min", seconds / 60.0);
  // Short runs (a test, a `true`) keep their milliseconds.
  return magnitude < 10.0 ? fmt::format("{:.3f} s", seconds) : fmt::format("{:.2f} s", seconds);
}

std::string rounded_energy_text(double joules) {
  const double magnitude = std::abs(joules);
  if (magnitude >= 1e9) return fmt::format("{:.2f} GJ", joules * 1e-9);
  if (magnitude >= 1e6) return fmt::format("{:.2f} MJ", joules * 1e-6);
  if (magnitude >= 1e4) return fmt::format("{:.0f} kJ", joules * 1e-3);
  if (magnitude >= 1e3) return fmt::format("{:.2f} kJ", joules * 1e-3);
  return fmt::format("{:.1f} J", joules);
}

std::string energy_pm_text(const std::optional<double>& energy_j, double uncertainty_j) {
  if (!energy_j) return "unknown";
  const EnergyUnit u = unit_for(*energy_j);
  return fmt::format("{:.{}f} {} +/- {:.{}f} {}", *energy_j * u.scale, u.decimals, u.name,
                     uncertainty_j * u.scale, u.decimals, u.name);
}

std::string terminal_safe(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = sequence_length(c);
    if (c >= 0x20 && c != 0x7F && length > 0 && valid_sequence(text, i, length)) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    out += fmt::format("\\x{:02x}", c);
    ++i;
  }
  return out;
}

std::string fit(std::string_view text, std::size_t columns) {
  if (code_points(text) <= columns) return std::string(text);
  if (columns == 0) return {};
  std::string out;
  std::size_t used = 0;
  for (std::size_t i = 0; i < text.size() && used + 1 < columns;) {
    const std::size_t length =
        std::max<std::size_t>(1, sequence_length(static_cast<unsigned char>(text[i])));
    out.append(text.substr(i, length));
    i += length;
    ++used;
  }
  return out + "~";
}

std::vector<std::string> wrap(std::string_view text, std::size_t width, std::size_t first_indent,
                              std::size_t indent) {
  std::vector<std::string> lines;
  std::string line(first_indent, ' ');
  std::size_t columns = first_indent;
  const std::string continuation(first_indent + indent, ' ');
  bool empty = true;
  auto break_line = [&] {
    lines.push_back(line);
    line = continuation;
    columns = continuation.size();
    empty = true;
  };
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t space = text.find(' ', at);
    std::string_view word =
        text.substr(at, space == std::string_view::npos ? std::string_view::npos : space - at);
    at = space == std::string_view::npos ? text.size() : space + 1;
    while (!word.empty()) {
      const std::size_t length = code_points(word);
      if (!empty && columns + 1 + length > width) break_line();
      const std::size_t room =
          width > columns + (empty ? 0 : 1) ? width - columns - (empty ? 0 : 1) : 0;
      if (!empty) {
        line += ' ';
        ++columns;
      }
      if (length <= room || room < 8) {
        line.append(word);
        columns += length;
        empty = false;
        break;
      }
      // A word longer than a line (a path, a URL): cut it where the line ends.
      std::size_t bytes = 0;
      for (std::size_t n = 0; n < room && bytes < word.size(); ++n) {
        bytes += std::max<std::size_t>(1, sequence_length(static_cast<unsigned char>(word[bytes])));
      }
      line.append(word.substr(0, bytes));
      word.remove_prefix(std::min(bytes, word.size()));
      empty = false;
      break_line();
    }
  }
  if (!empty || lines.empty()) lines.push_back(line);
  return lines;
}

std::vector<std::string> wrap_lines(std::string_view text, std::size_t width,
                                    std::size_t first_indent, std::size_t indent) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    for (std::string& line : wrap(text.substr(at, end - at), width, first_indent, indent)) {
      out.push_back(std::move(line));
    }
    at = end + 1;
  }
  return out;
}

}  // namespace jt
