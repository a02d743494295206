#pragma once
// Errors as values for everything a user can get wrong (bad badge, bad CSV row, full disk).
// Exceptions are for bugs and are caught once, at the top of each command or request.
#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace muster {

// A failure: a typed reason the caller can branch on, and words a person can read.
template <class Code> struct Error {
  Code code;
  std::string message;
};

template <class T, class Code> class [[nodiscard]] Result {
public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {} // NOLINT: implicit by design
  Result(Error<Code> error) : state_(std::in_place_index<1>, std::move(error)) {} // NOLINT

  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] const Error<Code>& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }
  [[nodiscard]] Code code() const { return error().code; }
  [[nodiscard]] const std::string& message() const { return error().message; }

private:
  std::variant<T, Error<Code>> state_;
};

// For operations that succeed with nothing to return.
struct Ok {};

template <class Code> Error<Code> fail(Code code, std::string message) {
  return Error<Code>{code, std::move(message)};
}

} // namespace muster
