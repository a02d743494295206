#pragma once
// The officials' own pages at /me/ (me_routes.cpp): pure functions from data to HTML, on the
// console's stylesheet. Sign-in forms use the fields `email` and `code`.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"

namespace muster::server::web {

// The e-mail form; `message` above it when not empty.
std::string me_email_page(std::string_view csrf, std::string_view message);
// The code form after an address was given; `message` (an error) above it when not empty.
std::string me_code_page(std::string_view csrf, std::string_view message, bool error);

struct MeLevel {
  std::string words; // "Basic: 31 of 40 hours; ..."
  double counted = 0;
  double required = 0;
};

struct MeSession {
  std::string id;
  std::string title;
  std::string arrived; // local time, "-" when none
  std::string left;
  std::string hours;
  std::string dispute; // the official's latest note on it, "" when none
};

struct MeEvent {
  std::string id;
  std::string name;
  std::string dates;
  bool credit = true;                      // false: a verification letter instead of a credit form
  std::optional<std::string> confirmed_on; // "2026-12-04"
  std::vector<MeSession> sessions;
};

struct MePage {
  std::string official_id;
  std::string name;
  std::string csrf;
  std::string program_name;
  std::vector<MeLevel> levels;
  std::vector<std::string> other_lines; // the Act's status, first term, graduation
  std::vector<MeEvent> events;
  std::string notice; // "Thank you: your dispute was sent to League staff."
};

std::string me_page(const MePage& data);

} // namespace muster::server::web
