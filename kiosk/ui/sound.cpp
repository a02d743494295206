#include "kiosk/ui/sound.hpp"

#include <alsa/asoundlib.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numbers>

namespace muster::kiosk::ui {

namespace {

void append_tone(std::vector<std::int16_t>& out, double frequency, double seconds, double volume,
                 bool buzz) {
  const auto count = static_cast<std::size_t>(seconds * kSoundRate);
  const auto fade = static_cast<std::size_t>(0.008 * kSoundRate);
  for (std::size_t i = 0; i < count; ++i) {
    const double t = static_cast<double>(i) / kSoundRate;
    const double phase = 2.0 * std::numbers::pi * frequency * t;
    double value = std::sin(phase);
    if (buzz) value = (value + std::sin(3 * phase) / 3 + std::sin(5 * phase) / 5) * 0.8;
    double envelope = 1.0;
    if (i < fade) envelope = static_cast<double>(i) / fade;
    if (count - i < fade) envelope = static_cast<double>(count - i) / fade;
    out.push_back(
        static_cast<std::int16_t>(std::clamp(value * envelope * volume, -1.0, 1.0) * 32000.0));
  }
}

void append_silence(std::vector<std::int16_t>& out, double seconds) {
  out.insert(out.end(), static_cast<std::size_t>(seconds * kSoundRate), std::int16_t{0});
}

struct PcmCloser {
  void operator()(snd_pcm_t* pcm) const { snd_pcm_close(pcm); }
};
using Pcm = std::unique_ptr<snd_pcm_t, PcmCloser>;

// ALSA prints its own complaints to stderr; the kiosk logs one line of its own instead.
void quiet_alsa(const char*, int, const char*, int, const char*, ...) {}

} // namespace

std::vector<std::int16_t> tone_samples(Sound sound) {
  std::vector<std::int16_t> out;
  switch (sound) {
  case Sound::none:
    break;
  case Sound::success:
    append_tone(out, 660.0, 0.12, 0.5, false);
    append_silence(out, 0.03);
    append_tone(out, 880.0, 0.16, 0.5, false);
    break;
  case Sound::failure:
    append_tone(out, 150.0, 0.45, 0.6, true);
    break;
  }
  return out;
}

SoundPlayer::SoundPlayer(std::string device) : device_(std::move(device)) {
  // Like the sync and camera threads: an exception here (out of memory for a tone) must cost
  // the sound, never the kiosk.
  thread_ = std::thread([this] {
    try {
      run();
    } catch (const std::exception& error) {
      std::cerr << "muster-kiosk: sound off: " << error.what() << '\n';
      std::lock_guard lock(mutex_);
      unavailable_ = true;
      queue_.clear();
    }
  });
}

SoundPlayer::~SoundPlayer() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SoundPlayer::play(Sound sound) {
  if (sound == Sound::none) return;
  {
    std::lock_guard lock(mutex_);
    if (unavailable_) return;
    queue_.clear(); // a cue late by a whole tone is noise, not feedback
    queue_.push_back(sound);
  }
  wake_.notify_one();
}

bool SoundPlayer::available() const {
  std::lock_guard lock(mutex_);
  return !unavailable_;
}

void SoundPlayer::run() {
  Pcm pcm;
  for (;;) {
    Sound sound = Sound::none;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      sound = queue_.front();
      queue_.pop_front();
    }
    if (!pcm) {
      snd_lib_error_set_handler(quiet_alsa);
      snd_pcm_t* raw = nullptr;
      int rc = snd_pcm_open(&raw, device_.c_str(), SND_PCM_STREAM_PLAYBACK, 0);
      if (rc >= 0) {
        pcm.reset(raw);
        rc = snd_pcm_set_params(raw, SND_PCM_FORMAT_S16, SND_PCM_ACCESS_RW_INTERLEAVED, 1,
                                kSoundRate, 1, 100000);
      }
      if (rc < 0) {
        pcm.reset();
        std::cerr << "muster-kiosk: sound off: no audio device '" << device_ << "' ("
                  << snd_strerror(rc) << ")\n";
        std::lock_guard lock(mutex_);
        unavailable_ = true;
        queue_.clear();
        return;
      }
    }
    const auto samples = tone_samples(sound);
    const std::int16_t* at = samples.data();
    auto left = static_cast<snd_pcm_sframes_t>(samples.size());
    while (left > 0) {
      auto written = snd_pcm_writei(pcm.get(), at, static_cast<snd_pcm_uframes_t>(left));
      if (written < 0) written = snd_pcm_recover(pcm.get(), static_cast<int>(written), 1);
      if (written < 0) break; // a device that went away: skip this cue
      at += written;
      left -= written;
    }
    snd_pcm_drain(pcm.get());
  }
}

} // namespace muster::kiosk::ui
