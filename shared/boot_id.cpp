#include "shared/boot_id.hpp"

#include <cstdlib>
#include <fstream>

namespace muster {

std::string current_boot_id() {
  const char* override_file = std::getenv(std::string(kBootIdFileVariable).c_str());
  const std::string path = override_file != nullptr && *override_file != '\0'
                               ? std::string(override_file)
                               : std::string(kKernelBootIdFile);
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  const auto first = line.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = line.find_last_not_of(" \t\r\n");
  line = line.substr(first, last - first + 1);
  if (line.size() > 64) line.resize(64); // the wire's limit (shared/scan_json.hpp)
  return line;
}

} // namespace muster
