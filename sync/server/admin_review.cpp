// The review command: the scans where a door's label disagreed with the presence rule, the
// sessions officials disputed on their own page (/me/, with their status: open or resolved on
// the console's review page), and the staff corrections, for the League to check.
#include <nlohmann/json.hpp>
#include <set>

#include "shared/text.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/admin_support.hpp"
#include "sync/server/web/dispute_review.hpp"

namespace muster::server {

using nlohmann::json;
using namespace admin_support; // NOLINT(google-build-using-namespace)

namespace {

// One item can concern two sessions (the one the door guessed, the one the rule chose): it is
// listed once, under the first.
json review_items(const std::vector<CreditRow>& rows, const std::vector<DeviceRecord>& devices) {
  json items = json::array();
  std::set<std::pair<std::string, std::string>> listed;
  for (const CreditRow& row : rows) {
    for (std::string words : row.review) {
      if (!listed.emplace(row.attendee.id, words).second) continue;
      // Staff know doors by name: "door dev-3f2a... #3" -> "door dev-3f2a... (Hall door 2) #3".
      for (const DeviceRecord& device : devices) {
        const std::string named = "door " + device.id + " #";
        if (const auto at = words.find(named); at != std::string::npos) {
          words.replace(at, named.size(), "door " + device.id + " (" + device.name + ") #");
        }
      }
      items.push_back({{"attendee_id", row.attendee.id},
                       {"name", row.on_roster ? full_name(row.attendee) : std::string()},
                       {"session_id", row.session.id},
                       {"review", words}});
    }
  }
  return items;
}

// Staff corrections change credit without a badge: each is listed with who made it and at which
// door, so the League can check them (a device token must not decide credit unseen).
AdminResult<json> correction_items(ServerStore& store, const Event& event) {
  auto scans = store.scans_for_event(event.id);
  if (!scans) return store_error(scans);
  json corrections = json::array();
  for (const Scan& scan : *scans) {
    if (scan.kind != ScanKind::correction) continue;
    std::string name;
    if (auto attendee = store.attendee(scan.attendee_id)) name = full_name(*attendee);
    json item = {{"attendee_id", scan.attendee_id},
                 {"name", name},
                 {"session_id", scan.session_id},
                 {"correction", std::string(to_string(scan.correction))},
                 {"effective_time", scan.correction == Correction::void_scan
                                        ? std::string()
                                        : format_utc(scan.effective_time)},
                 {"staff_id", scan.staff_id},
                 {"device_id", scan.device_id},
                 {"sequence", scan.sequence},
                 {"reason", scan.reason}};
    if (scan.correction == Correction::void_scan) {
      item["voids_device_id"] = scan.voids_device_id;
      item["voids_sequence"] = scan.voids_sequence;
    }
    corrections.push_back(std::move(item));
  }
  return corrections;
}

// The officials' disputes, each with its status: "open", or resolved (who, when, why) on the
// console's review page.
AdminResult<json> dispute_json(std::string_view database, ServerStore& store, const Event& event) {
  auto accounts = open_account_store(database);
  if (!accounts) return store_error(accounts);
  auto resolutions = (*accounts)->audit_of("review-resolve", event.id + "/");
  if (!resolutions) return store_error(resolutions);
  auto items = dispute_items(database, store, event, *resolutions);
  if (!items) return store_error(items);
  json disputes = json::array();
  for (const DisputeItem& d : *items) {
    json item = {{"attendee_id", d.dispute.official_id},
                 {"name", d.name},
                 {"session_id", d.dispute.session_id},
                 {"disputed_at", format_utc(d.dispute.created_at)},
                 {"note", d.dispute.note},
                 {"key", d.key},
                 {"status", d.resolution ? "resolved" : "open"}};
    if (d.resolution) {
      item["resolved_by"] = d.resolution->actor;
      item["resolved_at"] = format_utc(d.resolution->at);
      item["resolution"] = d.resolution->detail;
    }
    disputes.push_back(std::move(item));
  }
  return disputes;
}

std::string text_of(const json& item, const char* field) {
  return printable(item[field].get<std::string>());
}

void print_corrections(std::ostream& out, const Event& event, const json& corrections) {
  out << corrections.size() << " staff correction(s) at event " << event.id
      << " (attendee, name, session, correction, effective time, staff, door, reason):\n";
  for (const json& item : corrections) {
    std::string what = item["correction"].get<std::string>();
    if (item.contains("voids_device_id")) {
      what += " of " + item["voids_device_id"].get<std::string>() + " #" +
              std::to_string(item["voids_sequence"].get<std::uint64_t>());
    }
    out << text_of(item, "attendee_id") << '\t' << text_of(item, "name") << '\t'
        << text_of(item, "session_id") << '\t' << printable(what) << '\t'
        << item["effective_time"].get<std::string>() << '\t' << text_of(item, "staff_id") << '\t'
        << text_of(item, "device_id") << '\t' << text_of(item, "reason") << '\n';
  }
}

void print_disputes(std::ostream& out, const Event& event, const json& disputes) {
  out << disputes.size() << " dispute(s) by officials at event " << event.id
      << " (attendee, name, session, disputed at, status, note):\n";
  for (const json& item : disputes) {
    std::string status = item["status"].get<std::string>();
    if (item.contains("resolved_by")) {
      status += " by " + item["resolved_by"].get<std::string>() + " at " +
                item["resolved_at"].get<std::string>() + " (" +
                item["resolution"].get<std::string>() + ")";
    }
    out << text_of(item, "attendee_id") << '\t' << text_of(item, "name") << '\t'
        << text_of(item, "session_id") << '\t' << item["disputed_at"].get<std::string>() << '\t'
        << printable(status) << '\t' << text_of(item, "note") << '\n';
  }
}

void print_review(std::ostream& out, const Event& event, const json& items, const json& corrections,
                  const json& disputes) {
  if (items.empty() && corrections.empty() && disputes.empty()) {
    out << "Nothing to review at event " << event.id
        << ": every door's scans agree with the presence rule.\n";
    return;
  }
  if (items.empty()) {
    out << "Every door's scans at event " << event.id << " agree with the presence rule.\n";
  } else {
    out << items.size() << " scan(s) to review at event " << event.id
        << " (credit follows the presence rule across doors):\n";
  }
  for (const json& item : items) {
    out << text_of(item, "attendee_id") << '\t' << text_of(item, "name") << '\t'
        << text_of(item, "session_id") << '\t' << item["review"].get<std::string>() << '\n';
  }
  if (!disputes.empty()) print_disputes(out, event, disputes);
  if (!corrections.empty()) print_corrections(out, event, corrections);
}

} // namespace

int run_review(std::string_view database, std::string_view event_id, CreditsFormat format,
               std::ostream& out, std::ostream& err) {
  auto credits = event_credits(database, event_id);
  if (!credits) return report(credits, err);
  ServerStore& store = *credits->store;
  const Event& event = credits->event;
  auto devices = store.devices();
  if (!devices) return report(devices, err);
  const json items = review_items(credits->rows, *devices);
  auto corrections = correction_items(store, event);
  if (!corrections) return report(corrections, err);
  auto disputes = dispute_json(database, store, event);
  if (!disputes) return report(disputes, err);
  if (format == CreditsFormat::json) {
    out << json{{"event_id", event.id},
                {"items", items},
                {"disputes", *disputes},
                {"corrections", *corrections}}
               .dump(2)
        << "\n";
    return 0;
  }
  print_review(out, event, items, *corrections, *disputes);
  return 0;
}

} // namespace muster::server
