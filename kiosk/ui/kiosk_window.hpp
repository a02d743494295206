#pragma once
// The muster-kiosk window: GLFW + OpenGL 3 + Dear ImGui 1.86 over a KioskApp. One loop that
// waits for events while idle (a clock tick at most twice a second on the attract screen) and
// runs at full speed for a few frames after input; scanner and camera threads wake it.
#include <filesystem>
#include <string>

#include "kiosk/app/kiosk_app.hpp"

namespace muster::kiosk::ui {

struct WindowOptions {
  bool windowed = false;               // development: a 1280x800 window instead of fullscreen
  std::filesystem::path screenshot;    // --screenshot: save a PNG after `after_frames` frames
  int after_frames = 3;                //   counted once the input script has finished
  std::filesystem::path input_script;  // --input-script
  std::filesystem::path state_log;     // --state-log: one JSON line per state change
  std::filesystem::path camera_images; // --camera-images: a file/folder stands in for a camera
  std::string camera_device;           // --camera /dev/videoN (V4L2)
  std::filesystem::path export_folder; // staff export default
  bool sound = true;                   // --no-sound: no tones even where a device exists
  bool desk = false;
};

// Runs until the window closes (or a script/screenshot ends it). Returns the exit status;
// errors (no display, no OpenGL, bad script) are printed to stderr.
int run_window(KioskApp& app, const WindowOptions& options);

} // namespace muster::kiosk::ui
