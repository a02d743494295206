#include "sync/server/web/accounts.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <sodium.h>

#include "shared/sodium_init.hpp"
#include "shared/text.hpp"

namespace muster::server {

namespace {

// The most common passwords of at least kMinPasswordLength characters (public breach lists).
constexpr std::array<std::string_view, 24> kCommonPasswords = {
    "1234567890", "0123456789",   "12345678910",   "1234567891",   "0987654321",    "1111111111",
    "qwertyuiop", "password123",  "password12",    "password1234", "iloveyou12",    "qwerty1234",
    "1q2w3e4r5t", "1qaz2wsx3edc", "abcdefghij",    "passw0rd123",  "administrator", "letmein123",
    "welcome123", "changeme123",  "qwertyuiop123", "football123",  "123456789a",    "a123456789"};

} // namespace

std::optional<std::string> password_problem(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return "the password is too short: at least " + std::to_string(kMinPasswordLength) +
           " characters";
  }
  if (password.size() > 1024) return std::string("the password is too long (over 1024 bytes)");
  const std::string low = lower_ascii(password);
  if (std::find(kCommonPasswords.begin(), kCommonPasswords.end(), low) != kCommonPasswords.end()) {
    return std::string("the password is one of the most common passwords: choose another");
  }
  if (std::all_of(password.begin(), password.end(), [&](char c) { return c == password[0]; })) {
    return std::string("the password repeats one character: choose another");
  }
  return std::nullopt;
}

std::string hash_password(std::string_view password) {
  if (!sodium_started()) return {};
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return {};
  }
  return std::string(out.data());
}

bool verify_password(std::string_view password_hash, std::string_view password) {
  if (!sodium_started() || password_hash.empty() || password_hash.size() >= crypto_pwhash_STRBYTES)
    return false;
  const std::string stored(password_hash); // NUL-terminated for libsodium
  return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
}

std::string random_token() {
  if (!sodium_started()) return {};
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 65> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  return std::string(hex.data());
}

bool csrf_matches(std::string_view expected, std::string_view presented) {
  if (expected.empty() || presented.size() != expected.size()) return false;
  return sodium_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '@' ||
           c == '-';
  });
}

long long SignInThrottle::retry_after(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return 0;
  const auto until = found->second.first + window_;
  if (now >= until) {
    entries_.erase(found);
    return 0;
  }
  if (found->second.failures < limit_) return 0;
  return std::max<long long>(1,
                             std::chrono::duration_cast<std::chrono::seconds>(until - now).count());
}

void SignInThrottle::failed(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& entry = entries_[key];
  if (entry.failures == 0 || now >= entry.first + window_) entry = Entry{0, now};
  ++entry.failures;
  if (entries_.size() > 100000) entries_.clear(); // bounded memory under a flood
}

void SignInThrottle::succeeded(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

} // namespace muster::server
