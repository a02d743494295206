#pragma once
// What the sync pass (sync_pass.cpp) and provisioning (provisioning.cpp) share: the clock, the
// server URL's form, and the words and kinds of a failed request (PROTOCOL.md "Retry rules").
// Internal to sync/client.
#include <cstdint>
#include <string>
#include <string_view>

#include "shared/result.hpp"
#include "shared/time.hpp"
#include "sync/client/http_client.hpp"
#include "sync/client/sync_pass.hpp"

namespace muster::sync::detail {

// `url` without its trailing slashes.
std::string trim_slash(std::string_view url);
// The system clock, to the millisecond.
Instant now();
std::int64_t now_ms();
Error<SyncError> status_error(const HttpResponse& response, std::string_view what);
Error<SyncError> transport_error(const Error<TransportError>& e, std::string_view what);

} // namespace muster::sync::detail
