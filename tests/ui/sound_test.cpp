// kiosk/ui/sound.*: the generated tones, and that a missing audio device turns sound off without
// blocking or failing (CI has no sound card; the cue decisions are tested in tests/kiosk).
#include "kiosk/ui/sound.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace muster::kiosk::ui {
namespace {

// Zero crossings per second ~ twice the frequency.
double frequency_of(const std::vector<std::int16_t>& samples, std::size_t begin, std::size_t end) {
  std::size_t crossings = 0;
  for (std::size_t i = begin + 1; i < end; ++i) {
    if ((samples[i - 1] < 0) != (samples[i] < 0)) ++crossings;
  }
  return static_cast<double>(crossings) / 2.0 / (static_cast<double>(end - begin) / kSoundRate);
}

TEST(Sound, SuccessIsTwoRisingTones) {
  const auto samples = tone_samples(Sound::success);
  ASSERT_GT(samples.size(), kSoundRate / 4);
  EXPECT_LT(samples.size(), kSoundRate / 2); // short: under half a second
  const auto first = frequency_of(samples, 0, kSoundRate / 10);
  const auto second = frequency_of(samples, samples.size() - kSoundRate / 10, samples.size());
  EXPECT_NEAR(first, 660, 30);
  EXPECT_NEAR(second, 880, 30);
  // A gap of silence between the two tones.
  const auto middle = static_cast<std::size_t>(0.135 * kSoundRate);
  EXPECT_EQ(samples[middle], 0);
}

TEST(Sound, FailureIsOneLowBuzz) {
  const auto samples = tone_samples(Sound::failure);
  ASSERT_GT(samples.size(), kSoundRate / 3);
  const auto peak = *std::max_element(samples.begin(), samples.end());
  EXPECT_GT(peak, 10000);
  // The fundamental is low; harmonics add crossings but stay far below the success tones.
  EXPECT_LT(frequency_of(samples, 0, samples.size()), 500);
  EXPECT_TRUE(tone_samples(Sound::none).empty());
}

TEST(Sound, NoDeviceMeansSilentlyOffWithoutBlocking) {
  SoundPlayer player("muster-no-such-pcm-device");
  const auto start = std::chrono::steady_clock::now();
  player.play(Sound::success); // returns at once: the device is opened on the player's thread
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  for (int i = 0; i < 200 && player.available(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(player.available());
  player.play(Sound::failure); // ignored once off; no second log line, no hang
}

} // namespace
} // namespace muster::kiosk::ui
