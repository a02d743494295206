// libFuzzer target: the server's scan-batch body parser (POST .../scans) and the provisioning
// request parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include MUSTER_SCAN_JSON_HEADER

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  using namespace MUSTER_SCAN_JSON_NAMESPACE;
  (void)parse_scan_batch(body);
  (void)parse_provision_request(body);
  return 0;
}
