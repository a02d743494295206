// libFuzzer target: the badge parser. TrustStore::verify must never throw or crash, whatever the
// bytes, and public-key / device-certificate text parsing likewise.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/badge.hpp"
#include "shared/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const muster::TrustStore trust = [] {
    auto store = muster::TrustStore::for_league("DEMO");
    std::array<std::uint8_t, muster::kSeedBytes> seed{};
    seed.fill(7);
    auto key = muster::SigningKey::from_seed("DEMO-K1", seed);
    (void)store->add_league_key(key->public_key());
    store->revoke_serial("S-REVOKED");
    return std::move(*store);
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)trust.verify(text, muster::Instant{});
  (void)muster::parse_public_key(text);
  (void)muster::parse_device_certificate(text);
  return 0;
}
