#pragma once
// The kiosk's success/failure sounds: short tones generated in memory and played through ALSA
// on a background thread, so the UI never waits for audio. Which cue to play is decided by the
// state machine (KioskState::sound, kiosk/app/kiosk_app.hpp); this only plays it.
// No audio device (CI, Xvfb, a kiosk without speakers) = silently off, logged once on stderr.
// ALSA types stay in sound.cpp (style.md: C types out of headers).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kiosk/app/kiosk_app.hpp"

namespace muster::kiosk::ui {

inline constexpr unsigned kSoundRate = 44100; // samples a second, mono, signed 16 bit

// The samples of a cue: success = two rising tones (660 Hz then 880 Hz, ~0.3 s),
// failure = one low buzz (150 Hz with odd harmonics, ~0.45 s); none = empty. Short fades at
// each edge avoid clicks.
std::vector<std::int16_t> tone_samples(Sound sound);

class SoundPlayer {
public:
  // `device`: the ALSA PCM name ("default"). Nothing is opened until the first cue.
  explicit SoundPlayer(std::string device = "default");
  ~SoundPlayer();
  SoundPlayer(const SoundPlayer&) = delete;
  SoundPlayer& operator=(const SoundPlayer&) = delete;

  // Queues a cue (never blocks; a backlog keeps only the newest cue).
  void play(Sound sound);
  // False once opening the device failed (the failure was logged).
  [[nodiscard]] bool available() const;

private:
  void run();

  std::string device_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Sound> queue_;
  bool stop_ = false;
  bool unavailable_ = false;
  std::thread thread_;
};

} // namespace muster::kiosk::ui
