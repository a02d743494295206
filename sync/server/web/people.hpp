#pragma once
// The console's People part: finding an official and everything about them, gathered from the
// same store and credit functions as the CLI (roster, badges, walk-ins, clocked_scans_for_event,
// build_credit_form, compute_credits). No SQL here; pages (page_people.cpp, page_person.cpp)
// only render these.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/server/credit_commands.hpp"
#include "sync/server/server_store.hpp"

namespace muster::server::web {

struct PersonMatch {
  Attendee attendee; // e-mail cleared
  bool provisional = false;
  std::string matched; // "name", "id", "badge serial", "municipality"
  // For a per-event list: the sessions with a credit row and their total credit.
  std::size_t sessions = 0;
  double credit_hours = 0;
};

// Everyone on the roster (walk-ins included) whose name ("first last" or "last first"),
// municipality contains `query` (case-insensitive), whose id is `query`, or whose badge serial
// is `query`; sorted by last name, first name, id; at most `limit`. An empty or blank query
// finds nobody (the page asks for one).
DbResult<std::vector<PersonMatch>> search_people(ServerStore& store, std::string_view query,
                                                 std::size_t limit);

// The people with a credit row at the event (compute_credits, as `credits`), filtered by
// `query` as above when it is not blank; with their sessions and total credit.
AdminResult<std::vector<PersonMatch>> event_people(ServerStore& store, const Event& event,
                                                   std::string_view query, std::size_t limit);

// One stored scan of the official (or of a walk-in confirmed as them), as a door recorded it.
struct PersonScan {
  Scan scan;            // as stored, with the corrected clock offset (clocked_scans_for_event)
  std::string device;   // the device's name ("" when unknown)
  Instant counted;      // counted_time: where attendance places it
  bool console = false; // made in the web console
};

struct PersonEvent {
  Event event;
  std::vector<PersonScan> scans; // every scan, by counted time, then device and sequence
  // The credit form's rows and notes (build_credit_form, as `credit-form`); empty when no
  // session counted a scan.
  std::vector<CreditRow> rows;
  std::vector<CreditFormNotes> notes;
};

struct Person {
  Attendee attendee; // e-mail cleared
  bool provisional = false;
  std::vector<PersonEvent> events; // newest event (latest session start) first
};

// not_found when the id is neither on the roster nor a walk-in.
AdminResult<Person> load_person(ServerStore& store, std::string_view attendee_id);

// Why the credit of a row is what it is, in words: eligibility, arrival and leave grace, early
// leave and absences, the attended share and the rounding down to the increment, and the notes,
// review items and clock notes compute_credits gave (the same facts `credits` prints).
std::vector<std::string> credit_reasons(const Event& event, const CreditRow& row,
                                        const CreditFormNotes& notes);

} // namespace muster::server::web
