#pragma once
// What the admin_*.cpp files share: error mapping, finding an event, random codes. Internal to
// the admin commands; nothing outside them includes it (callers use admin_commands.hpp).
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sync/server/admin_commands.hpp"

namespace muster::server::admin_support {

Error<AdminError> store_error(const Error<DbError>& error);

template <class T> Error<AdminError> store_error(const DbResult<T>& result) {
  return store_error(result.error());
}

Instant now_instant();

// Prints the error and returns the exit code for a failed command.
template <class T, class Code> int report(const Result<T, Code>& result, std::ostream& err) {
  err << "error: " << result.message() << '\n';
  return 1;
}

// The event, or not_found with the command that imports it.
AdminResult<Event> find_event(ServerStore& store, std::string_view event_id);

// An event's credit rows with the store they came from (the credits and review commands).
struct EventCredits {
  std::unique_ptr<ServerStore> store;
  Event event;
  std::vector<CreditRow> rows;
};
AdminResult<EventCredits> event_credits(std::string_view database, std::string_view event_id);

// `length` characters drawn uniformly from `alphabet` with libsodium's generator.
std::string random_text(std::string_view alphabet, std::size_t length);

} // namespace muster::server::admin_support
