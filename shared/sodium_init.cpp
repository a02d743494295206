#include "shared/sodium_init.hpp"

#include <sodium.h>

#include <stdexcept>

namespace muster {

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0; // runs once per process
  if (!ready) throw std::runtime_error("libsodium could not be initialised");
}

bool sodium_started() { return sodium_init() >= 0; }

} // namespace muster
