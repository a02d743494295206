// close-event: the event's credit to the officials' ledgers, and the words it prints.
#include "sync/server/credit_commands.hpp"
#include "sync/server/credit_support.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

#include "shared/time.hpp"

namespace muster::server {

using namespace credit_support; // NOLINT(google-build-using-namespace)

// ---- closing ----

CreditResult<std::vector<LedgerEntry>> event_ledger_entries(ServerStore& store,
                                                            const Event& event) {
  auto rows = compute_credits(store, event);
  if (!rows) return fail(CreditError::store, rows.message());
  std::vector<LedgerEntry> entries;
  for (const CreditRow& row : *rows) {
    // eligible: on the roster, and the event's programs credit the role held that day.
    if (!row.on_roster || !row.attendance.eligible) continue;
    if (row.attendance.credit_hours <= 0) continue;
    // A walk-in's hours wait for the League's confirmation (then close-event --amend posts them).
    if (row.provisional) continue;
    entries.push_back(
        make_league_entry(event, row.session, row.attendee.id, row.attendance.credit_hours));
  }
  return entries;
}

namespace {

// The entries a close posts: the scans' credit, with the League's pre-approvals for officials
// who left office marked (the event's credit then counts for them).
CreditResult<std::vector<LedgerEntry>> closing_entries(ServerStore& store, LedgerStore& ledger,
                                                       const Event& event) {
  auto entries = event_ledger_entries(store, event);
  if (!entries) return entries.error();
  auto preapprovals = ledger.preapprovals_for_event(event.id);
  if (!preapprovals) return store_error(preapprovals.error());
  for (LedgerEntry& entry : *entries) {
    for (const Preapproval& p : *preapprovals) {
      if (p.official_id == entry.official_id) entry.approved = true;
    }
  }
  return std::move(*entries);
}

} // namespace

CreditResult<PostOutcome> close_event(ServerStore& store, LedgerStore& ledger,
                                      std::string_view event_id, Instant now, bool amend) {
  auto event = store.event(event_id);
  if (!event) return store_error(event.error());
  // Counted before the credit is computed: a scan arriving in between is then reported as late
  // at the next close instead of being silently covered by the close mark.
  auto scans = store.event_scan_count(event_id);
  if (!scans) return store_error(scans.error());
  auto entries = closing_entries(store, ledger, *event);
  if (!entries) return entries.error();
  auto outcome = ledger.post_event(event_id, *entries, *scans, now, amend);
  if (!outcome) return store_error(outcome.error());
  return std::move(*outcome);
}

CreditResult<ClosePreview> preview_close(ServerStore& store, LedgerStore& ledger,
                                         std::string_view event_id) {
  auto event = store.event(event_id);
  if (!event) return store_error(event.error());
  auto scans = store.event_scan_count(event_id);
  if (!scans) return store_error(scans.error());
  auto rows = compute_credits(store, *event);
  if (!rows) return fail(CreditError::store, rows.message());
  auto entries = closing_entries(store, ledger, *event);
  if (!entries) return entries.error();
  auto report = ledger.preview_event(event_id, *entries, *scans);
  if (!report) return store_error(report.error());
  auto devices = store.devices();
  if (!devices) return store_error(devices.error());
  ClosePreview preview;
  preview.entries = std::move(*entries);
  std::sort(preview.entries.begin(), preview.entries.end(),
            [](const LedgerEntry& a, const LedgerEntry& b) {
              return std::tie(a.official_id, a.id) < std::tie(b.official_id, b.id);
            });
  preview.report = std::move(*report);
  preview.event_scans = *scans;
  std::optional<Instant> last_end;
  for (const Session& session : event->sessions) {
    if (!last_end || session.end > *last_end) last_end = session.end;
  }
  for (const DeviceRecord& device : *devices) {
    if (device.event_id != event_id) continue;
    if (!device.last_seen || (last_end && *device.last_seen < *last_end)) {
      preview.unsynced_doors.push_back(device);
    }
  }
  for (const CreditRow& row : *rows) {
    if (row.provisional && row.attendance.credit_hours > 0) preview.held_walk_ins.push_back(row);
  }
  return preview;
}

std::string describe_close(std::string_view event_id, const PostOutcome& outcome) {
  std::ostringstream text;
  const std::string id(event_id);
  const auto change_line = [&text](const LedgerChange& c) {
    text << "  " << c.official_id << " " << c.entry_id << ": "
         << (c.posted_hours ? format_hours(*c.posted_hours) + " h" : std::string("not posted"))
         << " -> " << format_hours(c.computed_hours.value_or(0)) << " h\n";
  };
  if (outcome.first_close) {
    double hours = 0;
    std::set<std::string> officials;
    for (const auto& c : outcome.changes) {
      hours += c.computed_hours.value_or(0);
      officials.insert(c.official_id);
    }
    text << "Closed event " << id << ": posted " << outcome.posted << " credit(s), "
         << format_hours(hours) << " hours, to " << officials.size() << " official(s)' ledgers.\n";
    for (const auto& c : outcome.changes)
      change_line(c);
    return text.str();
  }
  text << "Event " << id << " was closed at " << format_utc(outcome.closing.closed_at);
  if (outcome.closing.amended_at && !outcome.amended) {
    text << " (amended " << format_utc(*outcome.closing.amended_at) << ")";
  }
  text << ".\n";
  if (outcome.amended) {
    text << "Amended: " << outcome.posted << " credit(s) changed; " << outcome.scans_after_close
         << " scan(s) had arrived after closing.\n";
    for (const auto& c : outcome.changes)
      change_line(c);
    return text.str();
  }
  text << outcome.scans_after_close << " scan(s) arrived after closing; ";
  if (outcome.changes.empty()) {
    text << "credit not changed (the ledger matches the scans; nothing to post).\n";
  } else {
    text << "credit not changed: " << outcome.changes.size()
         << " credit(s) differ from the scans; re-close with --amend to post:\n";
    for (const auto& c : outcome.changes)
      change_line(c);
  }
  return text.str();
}
} // namespace muster::server
