// Badges: issuing (or reusing) each attendee's signed badge, and the image, sheet and list files.
#include <algorithm>
#include <map>
#include <stdexcept>

#include "sync/server/admin_commands.hpp"
#include "sync/server/admin_support.hpp"
#include "sync/server/badge_render.hpp"

namespace muster::server {
namespace {

constexpr std::string_view kSerialAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::size_t kSerialChars = 12; // 60 random bits: collisions are not a concern
constexpr int kSerialAttempts = 5;

} // namespace

namespace fs = std::filesystem;
using namespace admin_support; // NOLINT(google-build-using-namespace)

AdminResult<std::vector<IssuedBadge>> issue_badges(ServerStore& store, const SigningKey& key,
                                                   std::string_view event_id, Instant now) {
  auto event = find_event(store, event_id);
  if (!event) return event.error();
  auto league = store.league();
  if (!league) return store_error(league);
  auto roster = store.roster();
  if (!roster) return store_error(roster);
  auto existing = store.badges_for_event(event_id);
  if (!existing) return store_error(existing);
  auto keys = store.league_keys();
  if (!keys) return store_error(keys);

  // The newest unrevoked badge per attendee, signed by a key the League still has.
  std::map<std::string, BadgeRecord, std::less<>> current;
  for (const BadgeRecord& badge : *existing) {
    if (badge.revoked_at) continue;
    const bool key_known = std::any_of(keys->begin(), keys->end(), [&](const auto& record) {
      return record.key_id == badge.key_id;
    });
    if (!key_known) continue;
    auto [it, inserted] = current.try_emplace(badge.attendee_id, badge);
    if (!inserted && badge.issued_at > it->second.issued_at) it->second = badge;
  }

  std::vector<Attendee> attendees = std::move(*roster);
  std::sort(attendees.begin(), attendees.end(),
            [](const Attendee& a, const Attendee& b) { return a.id < b.id; });
  std::vector<IssuedBadge> issued;
  issued.reserve(attendees.size());
  for (Attendee& attendee : attendees) {
    attendee.email.clear(); // not needed for printing
    if (const auto it = current.find(attendee.id); it != current.end()) {
      issued.push_back({std::move(attendee), it->second, true});
      continue;
    }
    std::optional<BadgeRecord> added;
    for (int attempt = 0; attempt < kSerialAttempts && !added; ++attempt) {
      BadgeRecord badge;
      badge.serial = random_text(kSerialAlphabet, kSerialChars);
      badge.attendee_id = attendee.id;
      badge.event_id = std::string(event_id);
      badge.key_id = key.key_id();
      badge.issued_at = now;
      auto payload = sign_badge({league->id, attendee.id, badge.serial}, key);
      if (!payload) {
        return fail(AdminError::store,
                    "cannot sign a badge for " + attendee.id + ": " + payload.message());
      }
      badge.payload = std::move(*payload);
      auto stored = store.add_badge(badge);
      if (stored) {
        added = std::move(badge);
      } else if (stored.code() != DbError::conflict) {
        return store_error(stored);
      }
    }
    if (!added) throw std::logic_error("no free badge serial after several random attempts");
    issued.push_back({std::move(attendee), std::move(*added), false});
  }
  return issued;
}

AdminResult<Ok> write_badge_files(const std::vector<IssuedBadge>& badges, const Event& event,
                                  const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return fail(AdminError::io, "cannot create " + dir.string() + ": " + error.message());
  std::vector<BadgeCard> cards;
  cards.reserve(badges.size());
  std::string tsv = "attendee_id\tname\trole\tpayload\n";
  for (const IssuedBadge& issued : badges) {
    const Attendee& a = issued.attendee;
    BadgeCard card{issued.badge.payload,           a.first_name, a.last_name, a.municipality,
                   std::string(to_string(a.role)), event.name};
    if (auto written = write_badge_png(card, dir / (a.id + ".png")); !written) {
      return fail(AdminError::render, written.message());
    }
    tsv += a.id + "\t" + full_name(a) + "\t" + std::string(to_string(a.role)) + "\t" +
           issued.badge.payload + "\n";
    cards.push_back(std::move(card));
  }
  if (auto sheet = write_badge_sheet_pdf(cards, dir / "badges.pdf"); !sheet) {
    return fail(AdminError::render, sheet.message());
  }
  return write_file_atomically(dir / "badges.tsv", tsv);
}

int run_issue_badges(const IssueBadgesOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  auto event = find_event(**store, options.event_id);
  if (!event) return report(event, err);
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) return report(key, err);
  auto badges = issue_badges(**store, *key, options.event_id, now_instant());
  if (!badges) return report(badges, err);
  if (auto written = write_badge_files(*badges, *event, options.out_dir); !written) {
    return report(written, err);
  }
  const auto reused = static_cast<std::size_t>(
      std::count_if(badges->begin(), badges->end(), [](const auto& b) { return b.reused; }));
  out << "Badges for " << event->name << ": " << badges->size() << " (" << badges->size() - reused
      << " new serials, " << reused << " reprinted with their current serial).\n"
      << "  " << (options.out_dir / "<attendee id>.png").string() << "  one image per attendee\n"
      << "  " << (options.out_dir / "badges.pdf").string() << "  printable sheet of inserts\n"
      << "  " << (options.out_dir / "badges.tsv").string()
      << "  attendee id, name, role, payload\n";
  return 0;
}

} // namespace muster::server
