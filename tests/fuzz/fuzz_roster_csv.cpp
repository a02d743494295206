// libFuzzer target: the roster CSV importer (all or nothing; errors as values).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)muster::parse_roster_csv(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
