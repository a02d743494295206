// The kiosk window's frame loop: wait while idle, play the input script, take camera scans,
// draw the screen, save screenshots, hand the intent to the app. Opening the window is
// window_session.cpp; the script player is script_player.cpp; the idle sleep idle_wait.cpp.
#include "kiosk/ui/kiosk_window.hpp"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/app/idle_wait.hpp"
#include "kiosk/scan/camera.hpp"
#include "kiosk/scan/frame_source.hpp"
#include "kiosk/scan/v4l2_camera.hpp"
#include "kiosk/ui/input_script.hpp"
#include "kiosk/ui/screens.hpp"
#include "kiosk/ui/screenshot.hpp"
#include "kiosk/ui/script_player.hpp"
#include "kiosk/ui/sound.hpp"
#include "kiosk/ui/window_session.hpp"
#include "shared/time.hpp"

namespace muster::kiosk::ui {

namespace {

using std::chrono::milliseconds;

constexpr int kMaxFrameErrors = 20;

// What the screen shows that can change without an input: the state (its revision), the clock's
// minute and the door's session (the attract screen picks it by the clock). A wake-up that
// changes none of these draws nothing: on the attract screen the kiosk then renders about once a
// minute instead of on every wake-up (llvmpipe renders a 1280x800 frame in tens of ms).
struct IdleView {
  std::uint64_t revision = 0;
  std::string clock;
  std::string session;
  bool operator==(const IdleView&) const = default;
};

// The camera preview as an OpenGL texture (RGBA: core profiles have no luminance format).
class PreviewTexture {
public:
  ~PreviewTexture() {
    if (texture_ != 0) glDeleteTextures(1, &texture_);
  }
  void upload(const GrayImage& image) {
    if (image.empty()) return;
    if (texture_ == 0) glGenTextures(1, &texture_);
    std::vector<std::uint8_t> rgba(image.pixels.size() * 4);
    for (std::size_t i = 0; i < image.pixels.size(); ++i) {
      rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = image.pixels[i];
      rgba[i * 4 + 3] = 255;
    }
    glBindTexture(GL_TEXTURE_2D, texture_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, image.width, image.height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                 rgba.data());
    width_ = image.width;
    height_ = image.height;
  }
  [[nodiscard]] CameraPreview preview() const {
    return CameraPreview{static_cast<std::uintptr_t>(texture_), width_, height_};
  }

private:
  GLuint texture_ = 0;
  int width_ = 0;
  int height_ = 0;
};

class StateLog {
public:
  explicit StateLog(const std::filesystem::path& file) {
    if (!file.empty()) stream_.open(file, std::ios::trunc);
  }
  [[nodiscard]] bool failed() const { return !stream_.good() && stream_.is_open(); }
  void record(const KioskApp& app) {
    if (!stream_.is_open() || app.state().revision == logged_) return;
    logged_ = app.state().revision;
    stream_ << app.state_json() << '\n' << std::flush;
  }
  void note(const std::string& json) {
    if (stream_.is_open()) stream_ << json << '\n' << std::flush;
  }

private:
  std::ofstream stream_;
  std::uint64_t logged_ = ~std::uint64_t{0};
};

// CPU time and peak RSS of this process, for the state log (idle cost is measured by tests).
std::string resources_json() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto ms = [](const timeval& t) {
    return static_cast<long long>(t.tv_sec) * 1000 + static_cast<long long>(t.tv_usec) / 1000;
  };
  long long rss_pages = 0;
  if (std::ifstream statm("/proc/self/statm"); statm) {
    long long size_pages = 0;
    statm >> size_pages >> rss_pages;
  }
  return "\"cpu_ms\":" + std::to_string(ms(usage.ru_utime) + ms(usage.ru_stime)) +
         ",\"rss_kb\":" + std::to_string(rss_pages * (sysconf(_SC_PAGESIZE) / 1024)) +
         ",\"max_rss_kb\":" + std::to_string(usage.ru_maxrss);
}

// Where the kiosk's own memory is at ready (issue 19; bench/run prints it next to /proc's
// mappings): the malloc heap in use and free, and the font atlas texture (one byte a texel).
std::string memory_json(const Fonts& fonts) {
  const struct mallinfo2 heap = mallinfo2();
  const long long atlas_kb = static_cast<long long>(fonts.atlas_width) * fonts.atlas_height / 1024;
  return "\"heap_in_use_kb\":" + std::to_string((heap.uordblks + heap.hblkhd) / 1024) +
         ",\"heap_free_kb\":" + std::to_string(heap.fordblks / 1024) +
         ",\"heap_mmapped_kb\":" + std::to_string(heap.hblkhd / 1024) + ",\"font_atlas\":\"" +
         std::to_string(fonts.atlas_width) + "x" + std::to_string(fonts.atlas_height) +
         "\",\"font_texture_kb\":" + std::to_string(atlas_kb);
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// --camera or --camera-images; false (with the reason printed) when the source cannot be opened.
bool open_camera(const WindowOptions& options, std::unique_ptr<CameraWorker>& camera) {
  if (!options.camera_device.empty()) {
    auto device = V4l2Camera::open(options.camera_device);
    if (!device) {
      std::cerr << "muster-kiosk: --camera: " << device.message() << '\n';
      return false;
    }
    // The camera paces itself (and next() returns within 200 ms when it has nothing).
    camera = std::make_unique<CameraWorker>(
        std::move(*device), [] { glfwPostEmptyEvent(); }, milliseconds{0});
  }
  if (!options.camera_images.empty()) {
    auto source = ImageFileSource::open(options.camera_images);
    if (!source) {
      std::cerr << "muster-kiosk: --camera-images: " << source.message() << '\n';
      return false;
    }
    camera = std::make_unique<CameraWorker>(std::make_unique<ImageFileSource>(std::move(*source)),
                                            [] { glfwPostEmptyEvent(); });
  }
  return true;
}

class FrameLoop {
public:
  FrameLoop(KioskApp& app, const WindowOptions& options, WindowSession& session, Loop& loop,
            std::vector<ScriptEvent> script, std::unique_ptr<CameraWorker> camera)
      : app_(app), options_(options), session_(session), loop_(loop), io_(ImGui::GetIO()),
        script_(std::move(script), monotonic_now()), camera_(std::move(camera)),
        state_log_(options.state_log), sound_serial_(app.state().sound_serial),
        last_screen_(app.state().screen) {
    staff_view_.export_folder = options.export_folder.string();
    // Tones on their own thread; without a device it turns itself off (logged once).
    if (options.sound) sound_ = std::make_unique<SoundPlayer>();
  }

  int run() {
    while (!quit_ && glfwWindowShouldClose(session_.window.get()) == GLFW_FALSE) {
      const bool scripted = !script_.done() || loop_.click || screenshot_now_;
      const bool final_shot = !options_.screenshot.empty() && !scripted;
      const bool waited = wait_for_events(final_shot);
      try {
        if (frame(waited, final_shot)) frame_errors_ = 0;
      } catch (const std::exception& error) {
        // A bug in one frame must not leave the door without a kiosk; a bug in every frame must
        // not spin forever.
        std::cerr << "muster-kiosk: internal error in a frame: " << error.what() << '\n';
        if (++frame_errors_ >= kMaxFrameErrors) return 70;
      }
    }
    return status_;
  }

private:
  // Polls while frames run at full speed, else sleeps until an event or the idle wait ends.
  // True when it slept: the frame is then drawn only if something shown changed.
  bool wait_for_events(bool final_shot) {
    if (loop_.fast_frames > 0 || loop_.click || screenshot_now_ || final_shot) {
      glfwPollEvents();
      if (loop_.fast_frames > 0) --loop_.fast_frames;
      return false;
    }
    glfwWaitEventsTimeout(idle_wait_seconds(app_.options().wall_clock(), monotonic_now(),
                                            app_.next_deadline(), script_.next_due()));
    return true;
  }

  // One frame; false when it was skipped because nothing on the screen changed.
  bool frame(bool waited, bool final_shot) {
    play_script(monotonic_now());
    take_camera_scans();
    app_.tick(monotonic_now());
    if (app_.state().sound_serial != sound_serial_) {
      sound_serial_ = app_.state().sound_serial;
      if (sound_) sound_->play(app_.state().sound);
    }
    const std::string clock_text =
        format_local(app_.options().wall_clock(), app_.checkin().event().timezone, "%H:%M");
    if (unchanged(waited, clock_text)) return false;

    float background[4];
    background_colour(app_.state(), background);
    const auto intent = draw(clock_text, background);
    glfwGetFramebufferSize(session_.window.get(), &fb_width_, &fb_height_);
    glViewport(0, 0, fb_width_, fb_height_);
    glClearColor(background[0], background[1], background[2], background[3]);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    save_screenshots(final_shot);
    glfwSwapBuffers(session_.window.get());
    if (first_frame_) on_first_frame();
    after_frame(intent);
    return true;
  }

  void play_script(milliseconds now) {
    const auto event = script_.play_due(app_, loop_, io_, now, screenshot_now_.has_value());
    if (!event) return;
    if (event->verb == ScriptVerb::screenshot) {
      screenshot_now_ = event->argument;
      screenshot_countdown_ = 2; // let ImGui lay out the screen first
    } else if (event->verb == ScriptVerb::quit) {
      quit_ = true;
      state_log_.note("{\"quit\":true," + resources_json() + "}");
    }
  }

  void take_camera_scans() {
    if (!camera_) return;
    for (auto& payload : camera_->take_scans()) {
      auto raw = raw_scan_now(std::move(payload), ScanSource::camera);
      raw.monotonic = monotonic_now();
      app_.scan(raw, raw.monotonic);
      loop_.bump();
    }
    if (auto fresh = camera_->preview_after(preview_serial_)) {
      preview_serial_ = fresh->serial;
      preview_.upload(fresh->image);
    }
  }

  // True when a wake-up changed nothing shown, so the frame can be skipped.
  bool unchanged(bool waited, const std::string& clock_text) {
    IdleView view{app_.state().revision, clock_text, ""};
    if (const auto session = app_.door_session()) view.session = session->id;
    if (view != drawn_) {
      // A change nobody typed (a timeout, the minute, a session starting): two frames, so
      // ImGui has laid the new content out before the loop goes back to waiting.
      if (drawn_) loop_.fast_frames = std::max(loop_.fast_frames, 2);
      drawn_ = view;
      return false;
    }
    // Woken by the timeout alone (input callbacks bump fast_frames): the picture on the
    // screen is still right.
    return waited && loop_.fast_frames == 0 && !camera_ && script_.done();
  }

  std::optional<Intent> draw(const std::string& clock_text, const float background[4]) {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    if (loop_.click) {
      io_.MousePos = loop_.click->position;
      io_.MouseDown[0] = loop_.click->phase == 1;
      if (++loop_.click->phase > 2) loop_.click.reset();
    }
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2{0.0F, 0.0F});
    ImGui::SetNextWindowSize(io_.DisplaySize);
    ImGui::PushStyleColor(ImGuiCol_WindowBg,
                          ImVec4{background[0], background[1], background[2], background[3]});
    ImGui::Begin("kiosk", nullptr,
                 ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                     ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
    ViewContext context{app_, session_.fonts, preview_.preview(), clock_text, options_.desk};
    const auto intent = draw_screen(context, staff_view_);
    ImGui::End();
    ImGui::PopStyleColor();
    ImGui::Render();
    return intent;
  }

  void save_png(const std::filesystem::path& file) {
    if (auto error = save_framebuffer_png(file, fb_width_, fb_height_); !error.empty()) {
      std::cerr << "muster-kiosk: screenshot: " << error << '\n';
      status_ = 1;
    }
  }

  void save_screenshots(bool final_shot) {
    if (screenshot_now_ && --screenshot_countdown_ <= 0) {
      save_png(*screenshot_now_);
      state_log_.note("{\"screenshot\":" + json_string(screenshot_now_->string()) + "," +
                      resources_json() + "}");
      screenshot_now_.reset();
    }
    if (final_shot && ++frames_after_script_ >= std::max(1, options_.after_frames)) {
      save_png(options_.screenshot);
      quit_ = true;
    }
  }

  void on_first_frame() {
    first_frame_ = false;
    // Start to ready: the first frame is presented. Wall time, so a script that noted the
    // time before exec can measure exec-to-ready (bench/run does); logged after the first
    // state below, which stays the log's first line.
    ready_at_ = std::chrono::duration_cast<milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    // Startup's transient buffers (the atlas's RGBA copy, the TTF files, the demo's PNGs) are
    // freed: give their pages back instead of keeping them resident for the day.
    malloc_trim(0);
    script_.restart(monotonic_now());
  }

  void after_frame(const std::optional<Intent>& intent) {
    for (const int key : loop_.release_keys)
      io_.KeysDown[key] = false;
    loop_.release_keys.clear();
    if (intent) {
      app_.handle(*intent, monotonic_now());
      loop_.bump();
    }
    // Each visit to staff mode starts clean (timeouts leave it without an intent).
    if (app_.state().screen == Screen::staff && last_screen_ != Screen::staff) {
      staff_view_ = StaffViewState{};
      staff_view_.export_folder = options_.export_folder.string();
    }
    if (app_.state().screen != last_screen_) script_.hold(3);
    last_screen_ = app_.state().screen;
    state_log_.record(app_);
    if (ready_at_) {
      state_log_.note("{\"ready\":true,\"wall_ms\":" + std::to_string(ready_at_->count()) + "," +
                      resources_json() + "," + memory_json(session_.fonts) + "}");
      ready_at_.reset();
    }
  }

  KioskApp& app_;
  const WindowOptions& options_;
  WindowSession& session_;
  Loop& loop_;
  ImGuiIO& io_;
  ScriptPlayer script_;
  std::unique_ptr<CameraWorker> camera_;
  PreviewTexture preview_;
  std::uint64_t preview_serial_ = 0;
  StaffViewState staff_view_;
  StateLog state_log_;
  std::unique_ptr<SoundPlayer> sound_;
  std::uint64_t sound_serial_;
  bool first_frame_ = true;
  std::optional<std::filesystem::path> screenshot_now_; // a script screenshot in progress
  int screenshot_countdown_ = 0;
  int frames_after_script_ = 0;
  int frame_errors_ = 0;
  Screen last_screen_;
  int status_ = 0;
  bool quit_ = false;
  std::optional<IdleView> drawn_;        // what the last frame on screen showed
  std::optional<milliseconds> ready_at_; // wall time the first frame was presented, until logged
  int fb_width_ = 0;
  int fb_height_ = 0;
};

} // namespace

int run_window(KioskApp& app, const WindowOptions& options) {
  std::vector<ScriptEvent> script;
  if (!options.input_script.empty()) {
    auto parsed = read_input_script(options.input_script);
    if (!parsed) {
      std::cerr << "muster-kiosk: " << parsed.message() << '\n';
      return 2;
    }
    script = std::move(*parsed);
  }
  Loop loop;
  loop.app = &app;
  const auto session = open_window_session(options, loop);
  if (!session) return 1;
  std::unique_ptr<CameraWorker> camera;
  if (!open_camera(options, camera)) return 1;
  FrameLoop frames(app, options, *session, loop, std::move(script), std::move(camera));
  return frames.run();
}

} // namespace muster::kiosk::ui
