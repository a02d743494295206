#include "sync/server/program_catalog.hpp"

#include <algorithm>
#include <map>

#include "sync/server/credit_commands.hpp"

namespace muster::server {

namespace fs = std::filesystem;

std::optional<fs::path> default_programs_dir() {
  const auto file = find_default_program();
  if (!file) return std::nullopt;
  return file->parent_path();
}

Result<std::vector<Program>, CatalogError> load_programs(std::span<const std::string> ids,
                                                         const fs::path& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return fail(CatalogError::no_directory,
                "no programs directory " + dir.string() + " (give --programs-dir DIR)");
  }
  std::vector<fs::path> files;
  for (const auto& item : fs::directory_iterator(dir, error)) {
    if (item.path().extension() == ".jsonc") files.push_back(item.path());
  }
  std::sort(files.begin(), files.end()); // the same answer on every machine
  std::map<std::string, Program, std::less<>> by_id;
  for (const auto& path : files) {
    // Only the files named by the event must read; a broken unrelated file is not our business.
    auto program = read_program(path);
    if (!program) {
      if (std::find(ids.begin(), ids.end(), path.stem().string()) != ids.end()) {
        return fail(CatalogError::invalid, program.message());
      }
      continue;
    }
    by_id.emplace(program->id, std::move(*program));
  }
  std::vector<Program> found;
  for (const std::string& id : ids) {
    const auto it = by_id.find(id);
    if (it == by_id.end()) {
      std::string known;
      for (const auto& [name, _] : by_id)
        known += (known.empty() ? "" : ", ") + name;
      return fail(CatalogError::unknown, "no program '" + id + "' in " + dir.string() +
                                             " (known: " + (known.empty() ? "none" : known) + ")");
    }
    found.push_back(it->second);
  }
  return found;
}

} // namespace muster::server
