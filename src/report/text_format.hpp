// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jt {

// "835.2 J", "24.56 kJ", "3.120 MJ": an energy in the unit that suits it.
std::string energy_text(double joules);
// An unknown energy is "unknown", never "0 J".
std::string energy_text(const std::optional<double>& joules);
// "4.100 s", "14.00 s", "12.50 min", "3.02 h": a duration in the unit that suits it.
std::string duration_text(double seconds);
// "612 kJ", "3.4 J", "1.20 MJ": fewer digits, for energies quoted in a sentence across the
// scales a run spans (the idle-waste summary).
std::string rounded_energy_text(double joules);
// An energy and its uncertainty in the energy's unit: "2.450 kJ +/- 0.012 kJ". `energy_j`
// unknown: "unknown".
std::string energy_pm_text(const std::optional<double>& energy_j, double uncertainty_j);
// Text that came from outside (a phase name, a device name, a command) made safe for a
// terminal: control characters and invalid UTF-8 written as \xNN escapes.
std::string terminal_safe(std::string_view text);
// At most `columns` characters (code points), cut on a character boundary, '~' marking a cut.
std::string fit(std::string_view text, std::size_t columns);
// Lines of at most `width` columns, broken at spaces; the lines after the first start with
// `indent` spaces more than `first_indent`.
std::vector<std::string> wrap(std::string_view text, std::size_t width, std::size_t first_indent,
                              std::size_t indent);
// `wrap` for each line of a text of several ('\n' between them, a last one optional).
std::vector<std::string> wrap_lines(std::string_view text, std::size_t width,
                                    std::size_t first_indent, std::size_t indent);

}  // namespace jt
