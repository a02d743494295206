// libFuzzer target: the event JSON importer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)muster::parse_event_json(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
