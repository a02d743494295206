#include "kiosk/app/headless.hpp"

#include <nlohmann/json.hpp>

#include <istream>
#include <optional>
#include <ostream>
#include <string_view>

#include "kiosk/scan/raw_scan.hpp"
#include "shared/boot_id.hpp"
#include "shared/time.hpp"

namespace muster::kiosk {

namespace {

nlohmann::ordered_json text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

} // namespace

bool ScanClock::take_time(std::string_view& line) {
  if (!simulated_ || line.empty() || line.front() != '@') return true;
  const auto space = line.find(' ');
  const auto instant = parse_iso8601(
      line.substr(1, space == std::string_view::npos ? std::string_view::npos : space - 1));
  if (!instant) return false;
  base_ = *instant;
  base_monotonic_ = monotonic_now();
  line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  return true;
}

RawScan ScanClock::scan(std::string text) const {
  if (!base_) return raw_scan_now(std::move(text), ScanSource::standard_input);
  const auto at = *base_ + (monotonic_now() - base_monotonic_);
  // Monotonic time follows the simulated clock, so wall and monotonic deltas agree and a
  // server does not mistake simulated jumps for a skewed clock.
  return RawScan{std::move(text), ScanSource::standard_input, at, at.time_since_epoch()};
}

std::string outcome_json(const CheckinOutcome& outcome) {
  nlohmann::ordered_json json;
  json["result"] = std::string(to_string(outcome.result));
  json["attendee"] = text_or_null(outcome.attendee_id);
  json["session"] = text_or_null(outcome.session_id);
  if (outcome.result == CheckinResult::left) {
    json["early"] = outcome.early;
    json["credit_hours"] = outcome.credit_hours;
  }
  if (outcome.result == CheckinResult::rejected || outcome.result == CheckinResult::ignored) {
    json["reason"] = outcome.reason;
  }
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::size_t run_headless(Checkin& checkin, std::istream& in, std::ostream& out,
                         const HeadlessOptions& options) {
  ScanClock clock(options.simulated_clock);
  // A simulated monotonic time is not the boot's: no real clock sample may correct it.
  if (options.simulated_clock) checkin.set_boot_id(std::string(kSimulatedBootId));
  std::size_t answered = 0;
  for (std::string line; std::getline(in, line);) {
    std::string_view text = line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    CheckinOutcome outcome;
    if (!clock.take_time(text)) {
      outcome.result = CheckinResult::rejected;
      outcome.reason = "bad time: expected @<ISO 8601 instant with offset> then a space";
    } else {
      outcome = checkin.accept(clock.scan(std::string(text)));
    }
    out << outcome_json(outcome) << '\n' << std::flush;
    ++answered;
  }
  return answered;
}

} // namespace muster::kiosk
