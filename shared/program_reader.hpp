#pragma once
// Reading a program file's JSON (program.cpp): one object at a time, tracking the path for
// messages and refusing unknown keys. Internal to shared/program.cpp.
#include <cmath>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/program.hpp"

namespace muster::program_reader {

using json = nlohmann::json;

inline std::string json_type(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "true/false";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  return "an object";
}

// Reads one JSON object, tracking the path for messages, refusing unknown keys (a typo such as
// "max_outside_hour" must not silently drop a cap).
class Reader {
public:
  Reader(std::string source, const json& object, std::string path)
      : source_(std::move(source)), object_(object), path_(std::move(path)) {}

  [[nodiscard]] Error<ProgramError> fail(std::string_view key, std::string_view why) const {
    const std::string where = at(key);
    return muster::fail(ProgramError{ProgramErrc::field, where},
                        source_ + ": " + (where.empty() ? "" : where + ": ") + std::string(why));
  }

  [[nodiscard]] std::string at(std::string_view key) const {
    if (key.empty()) return path_;
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  [[nodiscard]] const json* find(std::string_view key) const {
    const auto it = object_.find(std::string(key));
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  ProgramResult<Ok> check_keys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : object_.items()) {
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto name : allowed)
          list += (list.empty() ? "" : ", ") + std::string(name);
        return fail(key, "unknown field (known here: " + list + ")");
      }
    }
    return Ok{};
  }

  ProgramResult<std::string> text(std::string_view key, bool required,
                                  std::string fallback = {}) const {
    const json* value = find(key);
    if (value == nullptr) {
      if (required) return fail(key, "is missing");
      return fallback;
    }
    if (!value->is_string()) return fail(key, "must be a string, not " + json_type(*value));
    auto result = value->get<std::string>();
    if (required && result.empty()) return fail(key, "must not be empty");
    return result;
  }

  ProgramResult<std::optional<double>> number(std::string_view key, double min, double max) const {
    const json* value = find(key);
    if (value == nullptr) return std::optional<double>{};
    if (!value->is_number()) return fail(key, "must be a number, not " + json_type(*value));
    const double number = value->get<double>();
    if (!std::isfinite(number) || number < min || number > max) {
      std::ostringstream why;
      why << "must be between " << min << " and " << max << ", not " << value->dump();
      return fail(key, why.str());
    }
    return std::optional<double>{number};
  }

  ProgramResult<std::optional<int>> integer(std::string_view key, int min, int max) const {
    const json* value = find(key);
    if (value == nullptr) return std::optional<int>{};
    if (!value->is_number_integer()) {
      return fail(key, "must be a whole number, not " +
                           (value->is_number() ? value->dump() : json_type(*value)));
    }
    const auto number = value->get<long long>();
    if (number < min || number > max) {
      return fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                           ", not " + value->dump());
    }
    return std::optional<int>{static_cast<int>(number)};
  }

  ProgramResult<bool> boolean(std::string_view key, bool fallback) const {
    const json* value = find(key);
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) return fail(key, "must be true or false, not " + json_type(*value));
    return value->get<bool>();
  }

  ProgramResult<std::optional<Date>> date(std::string_view key) const {
    auto raw = text(key, false);
    if (!raw) return raw.error();
    if (raw->empty()) return std::optional<Date>{};
    const auto parsed = parse_date(*raw);
    if (!parsed) return fail(key, "'" + *raw + "' is not a date YYYY-MM-DD");
    return std::optional<Date>{*parsed};
  }

  // An array field; each element is handed to `each(element, path)`.
  template <class Each> ProgramResult<Ok> array(std::string_view key, Each&& each) const {
    const json* value = find(key);
    if (value == nullptr) return Ok{};
    if (!value->is_array()) return fail(key, "must be an array [...], not " + json_type(*value));
    for (std::size_t i = 0; i < value->size(); ++i) {
      auto done = each((*value)[i], at(key) + "[" + std::to_string(i) + "]");
      if (!done) return done.error();
    }
    return Ok{};
  }

  [[nodiscard]] Reader child(const json& object, std::string path) const {
    return Reader(source_, object, std::move(path));
  }
  [[nodiscard]] const std::string& source() const { return source_; }

  [[nodiscard]] Error<ProgramError> fail_at(const std::string& path, std::string_view why) const {
    return muster::fail(ProgramError{ProgramErrc::field, path},
                        source_ + ": " + path + ": " + std::string(why));
  }

private:
  std::string source_;
  const json& object_;
  std::string path_;
};

} // namespace muster::program_reader
