#include "sync/server/league_key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "shared/sodium_init.hpp"
#include "sync/server/sql_connection.hpp"

namespace muster::server {
namespace {

constexpr std::uintmax_t kMaxKeyFileBytes = 4096;

std::string random_key_id() {
  if (!sodium_started()) throw std::runtime_error("libsodium could not be initialised");
  std::array<std::uint8_t, 4> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  constexpr std::string_view kDigits = "0123456789ABCDEF";
  std::string id = "LK-";
  for (const std::uint8_t byte : bytes) {
    id += kDigits[byte >> 4U];
    id += kDigits[byte & 15U];
  }
  return id;
}

// Writes all of `text` to a file descriptor, retrying short writes.
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

} // namespace

std::string_view to_string(LeagueKeyError error) {
  switch (error) {
  case LeagueKeyError::exists:
    return "exists";
  case LeagueKeyError::missing:
    return "missing";
  case LeagueKeyError::io:
    return "io";
  case LeagueKeyError::malformed:
    return "malformed";
  case LeagueKeyError::no_default:
    return "no_default";
  }
  return "unknown";
}

Result<std::filesystem::path, LeagueKeyError> default_league_key_path(std::string_view database) {
  if (is_postgres_url(database)) {
    return fail(LeagueKeyError::no_default,
                "a postgresql:// database has no default League key file: pass --league-key FILE");
  }
  return std::filesystem::path(std::string(database) + std::string(kLeagueKeySuffix));
}

Result<std::filesystem::path, LeagueKeyError>
league_key_path(std::string_view database,
                const std::optional<std::filesystem::path>& explicit_path) {
  if (explicit_path && !explicit_path->empty()) return *explicit_path;
  return default_league_key_path(database);
}

Result<SigningKey, LeagueKeyError> create_league_key(const std::filesystem::path& path) {
  auto key = SigningKey::generate(random_key_id());
  if (!key) throw std::logic_error("generated key id is invalid: " + key.message());
  // O_EXCL: refuses to replace a key file, even one created a moment ago by someone else.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return fail(LeagueKeyError::exists,
                  "the League key file " + path.string() +
                      " already exists; refusing to overwrite it (badges signed with it would "
                      "stop verifying). Move it away only if you mean to replace the League key");
    }
    return fail(LeagueKeyError::io,
                "cannot create the League key file " + path.string() + ": " + std::strerror(errno));
  }
  ::fchmod(fd, 0600); // whatever the umask was
  const std::string text = key->to_secret_text() + "\n";
  const bool written = write_all(fd, text) && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return fail(LeagueKeyError::io, "cannot write the League key file " + path.string() + ": " +
                                        std::strerror(saved_errno));
  }
  return std::move(key).value();
}

Result<SigningKey, LeagueKeyError> load_league_key(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) {
    if (!std::filesystem::exists(path)) {
      return fail(LeagueKeyError::missing,
                  "the League key file " + path.string() +
                      " does not exist (run `muster-server init`, or pass --league-key FILE)");
    }
    return fail(LeagueKeyError::io,
                "cannot read the League key file " + path.string() + ": " + error.message());
  }
  if (size > kMaxKeyFileBytes) {
    return fail(LeagueKeyError::malformed, path.string() + " is not a League key file (too large)");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (!in || !std::getline(in, text)) {
    return fail(LeagueKeyError::io, "cannot read the League key file " + path.string());
  }
  while (!text.empty() && (text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  auto key = parse_signing_key(text);
  sodium_memzero(text.data(), text.size());
  if (!key) {
    return fail(LeagueKeyError::malformed,
                path.string() + " is not a League key file: " + key.message());
  }
  return std::move(key).value();
}

std::optional<std::string> league_key_permission_warning(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) == 0) return std::nullopt;
  std::ostringstream out;
  out << "warning: the League key file " << path.string() << " can be read by other users (mode "
      << std::oct << (info.st_mode & 0777U) << "); run: chmod 600 " << path.string();
  return out.str();
}

} // namespace muster::server
