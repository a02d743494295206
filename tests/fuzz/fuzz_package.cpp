// libFuzzer target: the signed event package parser. Even first bytes: the input is an envelope,
// opened with trust on first use and with a trusted key. Odd: the rest is the package TEXT,
// which the harness signs with the trusted key, so the parser behind the signature check
// (attendees, event, keys, certificates) is fuzzed too.
#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/event_package.hpp"

namespace {

const muster::SigningKey& league_key() {
  static const muster::SigningKey key = [] {
    std::array<std::uint8_t, muster::kSeedBytes> seed{};
    seed.fill(7);
    auto made = muster::SigningKey::from_seed("DEMO-K1", seed);
    return std::move(made.value());
  }();
  return key;
}

std::string hex(const muster::Signature& signature) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t byte : signature) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<muster::PublicKey> trusted{league_key().public_key()};
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    (void)muster::open_package(rest, {});
    (void)muster::open_package(rest, trusted);
    return 0;
  }
  const nlohmann::json envelope = {
      {"format", muster::kPackageEnvelopeFormat},
      {"key_id", league_key().key_id()},
      {"signature", hex(muster::sign_package_text(rest, league_key()))},
      {"package", std::string(rest)}};
  std::string text;
  try {
    text = envelope.dump();
  } catch (const nlohmann::json::exception&) {
    return 0; // not UTF-8: the server would never have produced it
  }
  (void)muster::open_package(text, trusted);
  return 0;
}
