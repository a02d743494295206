// Checkin's setup and the door: loading the event, keys and settings, which session the door
// takes now (staff override, in progress, next within the lead time), the door's room, and what
// the kiosk knows of its clock. Scans: checkin_scan.cpp; staff corrections:
// checkin_corrections.cpp.
#include "kiosk/app/checkin.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "kiosk/app/checkin_support.hpp"
#include "shared/clock_correction.hpp"
#include "shared/time.hpp"

namespace muster::kiosk {

using checkin_support::trim;

Result<Checkin, CheckinError> Checkin::open(KioskStore& store, CheckinOptions options) {
  Checkin checkin(store, std::move(options));
  if (auto loaded = checkin.reload(); !loaded) return loaded.error();
  return checkin;
}

Result<KioskSetup, CheckinError> load_kiosk_setup(KioskStore& store) {
  auto event = store.event();
  if (!event) {
    if (event.code() == StoreError::not_found) {
      return fail(CheckinError::not_set_up,
                  "this kiosk has no event yet: import an event package (or run --demo)");
    }
    return fail(CheckinError::store, event.message());
  }
  auto trust = load_trust(store);
  if (!trust) {
    return fail(trust.code() == SettingsError::not_set_up ? CheckinError::not_set_up
                                                          : CheckinError::invalid,
                trust.message());
  }
  auto device = ensure_device_id(store);
  if (!device) return fail(CheckinError::store, device.message());
  load_event_programs(store, *event); // who earns credit: the event's programs
  return KioskSetup{std::move(*event), std::move(*trust), std::move(*device)};
}

Result<Ok, CheckinError> Checkin::reload() {
  auto setup = load_kiosk_setup(*store_);
  if (!setup) return setup.error();

  event_ = std::move(setup->event);
  trust_.emplace(std::move(setup->trust));
  device_id_ = std::move(setup->device_id);
  room_ = options_.room.empty() ? setting_or(*store_, kSettingRoom, "") : options_.room;
  lead_time_ = event_.credit_policy.lead_time; // the event's, unless staff chose one here
  if (options_.lead_time) {
    lead_time_ = *options_.lead_time;
  } else {
    const auto text = setting_or(*store_, kSettingLeadTimeMin, "");
    int minutes = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), minutes);
    if (!text.empty() && ec == std::errc{} && end == text.data() + text.size() && minutes >= 0) {
      lead_time_ = std::chrono::minutes{minutes};
    }
  }
  const auto chosen = setting_or(*store_, kSettingSessionOverride, "");
  override_ = chosen.empty() ? std::nullopt : std::optional<std::string>(chosen);
  return Ok{};
}

std::optional<Session> Checkin::room_fallback_session() const {
  const auto room = fold_room(room_);
  const Session* first = nullptr;
  for (const auto& session : event_.sessions) {
    if (!room.empty() && fold_room(session.room) != room) continue;
    if (first == nullptr || session.start < first->start) first = &session;
  }
  if (first == nullptr) return std::nullopt;
  return *first;
}

std::optional<Session> Checkin::door_session(Instant now) const {
  if (override_) {
    for (const auto& session : event_.sessions) {
      if (session.id == *override_) return session;
    }
  }
  const auto room = fold_room(room_);
  std::vector<const Session*> in_progress;
  std::vector<const Session*> upcoming;
  for (const auto& session : event_.sessions) {
    if (!room.empty() && fold_room(session.room) != room) continue;
    if (session.start <= now && now < session.end) {
      in_progress.push_back(&session);
    } else if (session.start > now && session.start - now <= lead_time_) {
      upcoming.push_back(&session);
    }
  }
  // Without a room, only an unambiguous pick is safe: two rooms' sessions would mix.
  const auto pick = [&](std::vector<const Session*>& list, auto better) -> std::optional<Session> {
    if (list.empty()) return std::nullopt;
    if (room.empty() && list.size() > 1) return std::nullopt;
    return **std::max_element(list.begin(), list.end(), better);
  };
  // In progress: the latest started (a session running over is superseded by the next one).
  if (!in_progress.empty()) {
    return pick(in_progress,
                [](const Session* a, const Session* b) { return a->start < b->start; });
  }
  return pick(upcoming, [](const Session* a, const Session* b) { return a->start > b->start; });
}

PresenceRules Checkin::rules() const {
  auto rules = presence_rules(event_.credit_policy);
  rules.lead_time = lead_time_; // the door's own choice, when staff set one
  return rules;
}

std::string_view Checkin::zone() const {
  return event_.timezone.empty() ? std::string_view("UTC") : std::string_view(event_.timezone);
}

const Session* Checkin::find_session(std::string_view session_id) const {
  for (const auto& session : event_.sessions) {
    if (session.id == session_id) return &session;
  }
  return nullptr;
}

Checkin::ClockView Checkin::clock_view(Instant wall, std::chrono::milliseconds monotonic) const {
  ClockView view;
  view.offset_ms = clock_offset_ms(*store_);
  auto any = store_->latest_clock_sample();
  view.synced_before = any && any->has_value();
  auto own = boot_id_.empty() ? decltype(any){std::optional<ClockSample>{}}
                              : store_->latest_clock_sample(boot_id_);
  if (own && own->has_value()) {
    // The monotonic clock cannot jump within a boot: the sample places this moment exactly,
    // however the wall clock moved since (sync/PROTOCOL.md "Clock").
    const ClockSample& sample = **own;
    const std::int64_t elapsed = saturating_sub(monotonic.count(), sample.monotonic_ms);
    const std::int64_t wall_ms = clamp_plausible_ms(wall.time_since_epoch().count());
    const std::int64_t truth =
        clamp_plausible_ms(saturating_add(sample.server_time.time_since_epoch().count(), elapsed));
    view.offset_ms = truth - wall_ms;
    view.verified = true;
    const std::int64_t wall_moved =
        saturating_sub(wall_ms, clamp_plausible_ms(sample.device_wall.time_since_epoch().count()));
    constexpr std::int64_t kMinuteMs = 60'000;
    if (std::abs(saturating_sub(wall_moved, elapsed)) > kMinuteMs) {
      view.suspect = true;
      view.wall_jumped = true;
    }
  }
  if (!event_.sessions.empty()) {
    const auto first =
        std::min_element(event_.sessions.begin(), event_.sessions.end(),
                         [](const Session& a, const Session& b) { return a.start < b.start; });
    Instant latest_end = first->end;
    for (const Session& s : event_.sessions)
      latest_end = std::max(latest_end, s.end);
    const std::string today = format_local(view.estimate(wall), zone(), "%Y-%m-%d");
    if (today < format_local(first->start, zone(), "%Y-%m-%d") ||
        today > format_local(latest_end, zone(), "%Y-%m-%d")) {
      view.suspect = true;
      view.outside_event = true;
    }
  }
  return view;
}

Result<Ok, CheckinError>
Checkin::set_session_override(const std::optional<std::string>& session_id) {
  if (session_id) {
    const bool known = std::any_of(event_.sessions.begin(), event_.sessions.end(),
                                   [&](const Session& s) { return s.id == *session_id; });
    if (!known)
      return fail(CheckinError::invalid, "no session '" + *session_id + "' in this event");
  }
  if (auto saved = store_->set_setting(kSettingSessionOverride, session_id.value_or("")); !saved) {
    return fail(CheckinError::store, saved.message());
  }
  override_ = session_id;
  return Ok{};
}

Result<Ok, CheckinError> Checkin::set_room(std::string_view room) {
  if (auto saved = store_->set_setting(kSettingRoom, trim(room)); !saved) {
    return fail(CheckinError::store, saved.message());
  }
  room_ = std::string(trim(room));
  options_.room = room_;
  return Ok{};
}

} // namespace muster::kiosk
