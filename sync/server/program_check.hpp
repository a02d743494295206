#pragma once
// Checks of imported data against the credit program, kept apart from
// credit_commands.hpp so import-event (admin_commands.cpp) needs only this.
#include <string>
#include <vector>

#include "shared/domain.hpp"
#include "shared/program.hpp"

namespace muster::server {

// A warning per session the event marks core whose course code is not in the program's core
// list: the engine decides "core" by the list, so such a session would count as non-core.
std::vector<std::string> core_code_warnings(const Program& program, const Event& event);
// The same against the default program (find_default_program); one warning when it cannot be
// read, so an unchecked import never passes silently.
std::vector<std::string> default_program_core_warnings(const Event& event);

} // namespace muster::server
