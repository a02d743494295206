#include "sync/server/admin_support.hpp"
#include "shared/sodium_init.hpp"

#include <sodium.h>

#include <stdexcept>

namespace muster::server::admin_support {
std::string random_text(std::string_view alphabet, std::size_t length) {
  ensure_sodium();
  std::string text;
  text.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    text += alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
  }
  return text;
}

Error<AdminError> store_error(const Error<DbError>& error) {
  return fail(error.code == DbError::not_found ? AdminError::not_found : AdminError::store,
              error.message);
}

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

AdminResult<Event> find_event(ServerStore& store, std::string_view event_id) {
  auto event = store.event(event_id);
  if (!event) {
    if (event.code() == DbError::not_found) {
      return fail(AdminError::not_found, "no event '" + std::string(event_id) +
                                             "' in the database; import it with "
                                             "`muster-server import-event --db DB FILE.json`");
    }
    return store_error(event);
  }
  return std::move(event).value();
}

} // namespace muster::server::admin_support
