#pragma once
// An official's progress in words for a person (the mail body, the official's own page):
// "Basic: 31 of 40 hours; 4 core courses still to take: ...", the annual requirement with its
// deadline. Only words: the figures come from evaluate() (shared/progress.hpp).
#include <string>
#include <vector>

#include "shared/program.hpp"
#include "shared/progress.hpp"

namespace muster::server::mail {

// "December 31, 2026"
std::string long_date(Date date);

// One line per level up to and including the current one ("Basic: complete since 2025-06-30",
// "Advanced: 12 of 40 hours; ..."), then the annual requirement and graduation, if any.
std::vector<std::string> progress_lines(const Program& program, const Progress& progress);

// The annual requirement's line: "Act 2024-194: 6 of 10 hours in 2026, 4 still needed by
// December 31, 2026"; empty when it does not apply.
std::string annual_line(const Program& program, const Progress& progress);

} // namespace muster::server::mail
