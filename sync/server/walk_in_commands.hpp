#pragma once
// The League's side of kiosk walk-ins (kiosk/app/walk_in.hpp): a kiosk's registration scan
// creates a provisional attendee at ingest (server_store_ingest.cpp); these commands list them and
// confirm them.
//   muster-server walk-ins --db DB [--event ID] [--all]
//   muster-server confirm-walk-in --db DB --attendee ID [--as EXISTING_ID]
#include <ostream>
#include <string>
#include <vector>

#include "sync/server/server_store.hpp"

namespace muster::server {

// One line per walk-in, tab-separated, header first: attendee_id, first_name, last_name,
// municipality, role, device, staff, reason, registered_at (UTC), status ("provisional",
// "confirmed" or "same as ID").
std::string walk_ins_text(const std::vector<WalkInRecord>& walk_ins);

struct WalkInsOptions {
  std::string database;
  std::string event_id; // empty: every event
  bool include_confirmed = false;
};
int run_walk_ins(const WalkInsOptions& options, std::ostream& out, std::ostream& err);

struct ConfirmWalkInOptions {
  std::string database;
  std::string attendee_id;
  std::string same_as; // --as: the walk-in is this existing attendee; empty: a new attendee
};
int run_confirm_walk_in(const ConfirmWalkInOptions& options, std::ostream& out, std::ostream& err);

} // namespace muster::server
