#include "kiosk/scan/wedge_detector.hpp"

#include <algorithm>
#include <cstdint>

namespace muster::kiosk {

namespace {

void append_utf8(std::string& out, char32_t c) {
  const auto u = static_cast<std::uint32_t>(c);
  if (u < 0x80) {
    out.push_back(static_cast<char>(u));
  } else if (u < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (u >> 6)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else if (u < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (u >> 12)));
    out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | ((u >> 18) & 0x07)));
    out.push_back(static_cast<char>(0x80 | ((u >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  }
}

} // namespace

void WedgeDetector::finish_run(WedgeOutput& out) {
  if (run_.empty()) return;
  if (is_burst()) {
    std::string payload;
    for (const auto& key : run_)
      append_utf8(payload, key.character);
    out.bursts.push_back(std::move(payload));
  } else {
    out.typed.insert(out.typed.end(), run_.begin(), run_.end());
  }
  run_.clear();
}

WedgeOutput WedgeDetector::feed(const KeyEvent& key) {
  WedgeOutput out;
  const auto at = std::max(key.at, last_at_);
  if (!run_.empty()) {
    const auto gap = at - last_at_;
    const auto allowed = is_burst() ? config_.quiet_gap : config_.max_key_gap;
    if (gap > allowed) finish_run(out);
  }
  last_at_ = at;

  if (key.kind != KeyKind::character) {
    const bool ends_burst = is_burst();
    finish_run(out);
    // A scanner's suffix is swallowed; a person's Enter/Tab goes to the UI.
    if (!ends_burst) out.typed.push_back(KeyEvent{key.kind, key.character, at});
    return out;
  }
  run_.push_back(KeyEvent{key.kind, key.character, at});
  if (run_.size() >= config_.max_length) finish_run(out);
  return out;
}

WedgeOutput WedgeDetector::poll(std::chrono::milliseconds now) {
  WedgeOutput out;
  if (run_.empty()) return out;
  const auto gap = now - last_at_;
  // A short run is decided as soon as no key can continue it; a burst waits for the quiet gap.
  const auto allowed = is_burst() ? config_.quiet_gap : config_.max_key_gap;
  if (gap > allowed) finish_run(out);
  return out;
}

} // namespace muster::kiosk
