#pragma once
// Tells a keyboard-wedge scanner's burst from a person typing, by inter-key timing alone.
//
// A USB scanner "types" its payload much faster than a person (a few ms per key) and ends it
// with Enter, Tab, or nothing. Keys are held back until their run is decided:
//  - a run is keys whose gaps are all <= max_key_gap;
//  - a run that reaches min_length keys is a scanner burst. From then on, a stall of up to
//    quiet_gap is tolerated (USB hiccups); Enter or Tab ends it (the suffix is swallowed), and
//    so does a quiet gap longer than quiet_gap when the scanner sends no suffix;
//  - a run that ends (slow gap, Enter, Tab) before min_length keys was a person typing: its keys,
//    and the Enter/Tab that ended it, are released to the UI in order.
// A burst's keys are never released to the UI, so a payload cannot trigger UI actions.
// Pure: no clock of its own; the caller passes timestamps and calls poll() on idle frames.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace muster::kiosk {

enum class KeyKind : unsigned char { character, enter, tab };

struct KeyEvent {
  KeyKind kind = KeyKind::character;
  char32_t character = 0;          // for KeyKind::character (a Unicode code point)
  std::chrono::milliseconds at{0}; // a monotonic timestamp
  friend bool operator==(const KeyEvent&, const KeyEvent&) = default;
};

struct WedgeConfig {
  std::chrono::milliseconds max_key_gap{40}; // scanners: well under; people: mostly over
  std::chrono::milliseconds quiet_gap{90};   // ends a burst without suffix
  std::size_t min_length = 8;                // shorter fast runs are people (or key rollover)
  std::size_t max_length = 1024;             // a runaway burst is cut here and emitted
};

// What feed() and poll() decided: keys for the UI (typed by a person) and finished bursts.
struct WedgeOutput {
  std::vector<KeyEvent> typed;
  std::vector<std::string> bursts; // payloads, UTF-8, without suffix
  [[nodiscard]] bool empty() const { return typed.empty() && bursts.empty(); }
};

class WedgeDetector {
public:
  explicit WedgeDetector(WedgeConfig config = {}) : config_(config) {}

  // One key press. Timestamps must not go backwards (an earlier one is treated as equal).
  WedgeOutput feed(const KeyEvent& key);
  // Decides a pending run whose quiet time has passed by `now`; call it on idle frames.
  WedgeOutput poll(std::chrono::milliseconds now);

  [[nodiscard]] bool pending() const { return !run_.empty(); }
  [[nodiscard]] const WedgeConfig& config() const { return config_; }

private:
  void finish_run(WedgeOutput& out);
  [[nodiscard]] bool is_burst() const { return run_.size() >= config_.min_length; }

  WedgeConfig config_;
  std::vector<KeyEvent> run_; // characters only; suffixes end the run
  std::chrono::milliseconds last_at_{0};
};

} // namespace muster::kiosk
