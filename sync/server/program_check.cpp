#include "sync/server/program_check.hpp"

#include "sync/server/credit_commands.hpp"

namespace muster::server {

std::vector<std::string> core_code_warnings(const Program& program, const Event& event) {
  std::vector<std::string> warnings;
  for (const Session& session : event.sessions) {
    if (!session.core || program.core_course(session.course_code) != nullptr) continue;
    warnings.push_back("session " + session.id + " (" + session.title + ") is marked core but " +
                       (session.course_code.empty()
                            ? std::string("has no course code")
                            : "its course code '" + session.course_code + "' is not") +
                       " in the core list of " + program.id + " (" + program.path +
                       "): it counts as non-core until the code is listed");
  }
  return warnings;
}

std::vector<std::string> default_program_core_warnings(const Event& event) {
  auto program = load_program(std::nullopt);
  if (!program) return {"core course codes not checked: " + program.message()};
  return core_code_warnings(*program, event);
}

} // namespace muster::server
