#pragma once
// Officials' disputes (a note on one session, sent from /me/) as review items for staff: the
// console's review page lists them beside the doors' disagreements and staff resolve them the
// same way (an audit entry "review-resolve": who, when, why); `muster-server review` lists them
// too, with their status. The disputes stay in official_disputes (official_store.hpp); the key
// of each item is derived from the row, so no schema change was needed.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/server/server_store.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/official_store.hpp"

namespace muster::server {

struct DisputeItem {
  Dispute dispute;
  std::string name; // the official's roster name, "" when no longer on the roster
  // "EVENT/OFFICIAL/SESSION/dispute-<16 hex>": the target of the resolution's audit entry, under
  // the event's prefix like the doors' items (the review page reads resolutions by that prefix).
  std::string key;
  std::string words;                    // "Disputed by the official on 2026-12-05 (UTC): <note>"
  std::optional<AuditEntry> resolution; // the latest "review-resolve" entry of the key
};

// The disputes of one event, oldest first, with their resolutions (audit_of("review-resolve",
// event + "/")). Opens the officials' store of `database`.
DbResult<std::vector<DisputeItem>> dispute_items(std::string_view database, ServerStore& store,
                                                 const Event& event,
                                                 const std::vector<AuditEntry>& resolutions);

} // namespace muster::server
