// Officials' disputes as review items (dispute_review.hpp).
#include "sync/server/web/dispute_review.hpp"

#include <chrono>

#include "shared/ledger.hpp"
#include "sync/server/http_api.hpp"

namespace muster::server {

DbResult<std::vector<DisputeItem>> dispute_items(std::string_view database, ServerStore& store,
                                                 const Event& event,
                                                 const std::vector<AuditEntry>& resolutions) {
  auto officials = open_official_store(database);
  if (!officials) return officials.error();
  auto disputes = (*officials)->disputes("", event.id);
  if (!disputes) return disputes.error();
  std::vector<DisputeItem> items;
  for (Dispute& d : *disputes) {
    DisputeItem item;
    if (auto person = store.attendee(d.official_id)) {
      item.name = person->first_name + (person->first_name.empty() ? "" : " ") + person->last_name;
    }
    // The row has no id: its fields make one. The same official may dispute the same session
    // twice (two notes): each is its own item.
    const std::string row = d.official_id + "\n" + d.session_id + "\n" +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               d.created_at.time_since_epoch())
                                               .count()) +
                            "\n" + d.note;
    item.key = event.id + "/" + d.official_id + "/" + d.session_id + "/dispute-" +
               hash_secret(row).substr(0, 16);
    const Date day{std::chrono::floor<std::chrono::days>(d.created_at)};
    item.words = "Disputed by the official on " + format_date(day) + " (UTC): " + d.note;
    for (const AuditEntry& r : resolutions) {
      if (r.target == item.key) item.resolution = r; // the latest counts
    }
    item.dispute = std::move(d);
    items.push_back(std::move(item));
  }
  return items;
}

} // namespace muster::server
