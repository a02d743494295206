#pragma once
// The console's sign-in rules, free of HTTP and SQL so they are unit-tested alone: password
// policy, Argon2id hashing (libsodium crypto_pwhash_str), random session and CSRF tokens, the
// constant-time CSRF check, and the sign-in throttle (per account and per client address).
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace muster::server {

inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::chrono::hours kConsoleSessionLifetime{8};

// nullopt when acceptable; otherwise the reason in words (too short, a common password, ...).
std::optional<std::string> password_problem(std::string_view password);

// Argon2id, libsodium's interactive limits. Empty on failure (out of memory).
std::string hash_password(std::string_view password);
bool verify_password(std::string_view password_hash, std::string_view password);

// 32 random bytes as 64 hex characters.
std::string random_token();

// Whether the CSRF token a form sent is the session's (constant time; an empty one never is).
bool csrf_matches(std::string_view expected, std::string_view presented);

// Whether a user name is acceptable: 1 to 64 of [A-Za-z0-9._@-].
bool valid_user_name(std::string_view name);

// Failed sign-ins per key ("account:NAME", "address:IP") within a window; once `limit` failures
// are reached further attempts are refused until the window since the first failure passes.
class SignInThrottle {
public:
  using Clock = std::chrono::steady_clock;
  SignInThrottle(int limit, std::chrono::seconds window) : limit_(limit), window_(window) {}
  // Seconds until the key may try again; 0 when allowed now.
  long long retry_after(const std::string& key, Clock::time_point now);
  void failed(const std::string& key, Clock::time_point now);
  void succeeded(const std::string& key);

private:
  struct Entry {
    int failures = 0;
    Clock::time_point first;
  };
  int limit_;
  std::chrono::seconds window_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

} // namespace muster::server
