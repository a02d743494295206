#pragma once
// The credit programs an event names by id ("programs" in the event JSON), found among the
// program files (assets/programs/*.jsonc, docs/programs.md) so import-event can store the roles
// they make eligible with the event: close-event, credits and the kiosk then need no file.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "shared/program.hpp"
#include "shared/result.hpp"

namespace muster::server {

enum class CatalogError : std::uint8_t {
  no_directory, // no programs directory found (or given)
  unknown,      // an id no program file in the directory has
  invalid,      // a program file there does not read
};

// The directory of the default program (credit_commands.hpp find_default_program), if any.
std::optional<std::filesystem::path> default_programs_dir();

// Every *.jsonc in `dir`, matched by its "id"; in the order of `ids`.
Result<std::vector<Program>, CatalogError> load_programs(std::span<const std::string> ids,
                                                         const std::filesystem::path& dir);

} // namespace muster::server
