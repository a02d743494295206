#pragma once
// Starting libsodium, in one place. sodium_init is thread-safe and idempotent; it fails only on
// a broken system (no entropy source), where nothing may be signed, hashed or generated.

namespace muster {

// Starts libsodium once per process; throws std::runtime_error when it cannot (a bug-class
// failure, caught at the top of the command, request or frame).
void ensure_sodium();

// Whether libsodium is started (starting it if need be), for callers that report errors as
// values.
bool sodium_started();

} // namespace muster
