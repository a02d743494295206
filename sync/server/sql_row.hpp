#pragma once
// Reading and writing column values of the stores over SqlConnection (ServerStore, LedgerStore,
// RelayStore): every column arrives as text (NULL as nullopt); times are BIGINT milliseconds.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"
#include "sync/server/sql_connection.hpp"

namespace muster::server::sql_row {

using Params = std::vector<SqlParam>;

inline std::int64_t to_ms(Instant when) { return when.time_since_epoch().count(); }
inline Instant from_ms(std::int64_t ms) { return Instant{std::chrono::milliseconds{ms}}; }

inline std::string text(const std::optional<std::string>& value) { return value.value_or(""); }

// A malformed or missing number reads as 0.
inline std::int64_t integer(const std::optional<std::string>& value) {
  std::int64_t number = 0;
  if (value) std::from_chars(value->data(), value->data() + value->size(), number);
  return number;
}

inline std::uint64_t unsigned_integer(const std::optional<std::string>& value) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, integer(value)));
}

inline double parse_double(const std::optional<std::string>& value) {
  double number = 0.0;
  if (value) std::from_chars(value->data(), value->data() + value->size(), number);
  return number;
}

// The shortest text that reads back as the same double (so unchanged values compare equal).
inline std::string format_double(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("0");
}

inline std::optional<Instant> optional_instant(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  return from_ms(integer(value));
}

inline SqlParam optional_param(const std::optional<Instant>& when) {
  if (!when) return std::monostate{};
  return to_ms(*when);
}

// Text columns cannot hold NUL on PostgreSQL: refused before writing, on both backends.
inline bool has_nul(std::string_view value) { return value.find('\0') != std::string_view::npos; }

} // namespace muster::server::sql_row
