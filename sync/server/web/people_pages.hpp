#pragma once
// The People pages (page_people.cpp, page_person.cpp): pure functions from data to HTML, like
// pages.hpp (kept apart so the action pages and these grow without touching one header).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/server/web/pages.hpp"
#include "sync/server/web/people.hpp"

namespace muster::server::web {

// /console/people?q= (event empty) and /console/events/{id}/people?q= (the event's attendees):
// the search form and the matches, each linking to the official's page.
std::string people_page(const Viewer& viewer, std::string_view query,
                        const std::vector<PersonMatch>& matches, const Event* event,
                        std::size_t limit);

// What the correction form shows again after a refusal.
struct CorrectionForm {
  std::string session; // "event_id|session_id"
  std::string arrival; // "HH:MM"
  std::string leave;
  std::string reason;
  std::string error; // shown above the form when not empty
};

// /console/people/{id}: scans, credit with reasons, corrections, review items, downloads; for
// staff and admins the correction form over the sessions of `correctable` events.
std::string person_page(const Viewer& viewer, const Person& person,
                        const std::vector<Event>& correctable, const CorrectionForm& form,
                        bool corrected);

// The People pages' own styles (served at /console/static/people.css).
std::string_view people_css();

} // namespace muster::server::web
