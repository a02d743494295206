#include "kiosk/ui/kiosk_window.hpp"

#include <GLFW/glfw3.h>
#include <sys/resource.h>
#include <unistd.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/scan/frame_source.hpp"
#include "kiosk/scan/camera.hpp"
#include "kiosk/ui/fonts.hpp"
#include "kiosk/ui/input_script.hpp"
#include "kiosk/ui/screens.hpp"
#include "kiosk/ui/screenshot.hpp"
#include "kiosk/ui/sound.hpp"
#include "kiosk/scan/v4l2_camera.hpp"
#include "shared/time.hpp"

namespace muster::kiosk::ui {

namespace {

using std::chrono::milliseconds;

constexpr int kFastFramesAfterInput = 8;      // full speed briefly, then back to waiting
constexpr double kMaxIdleWaitSeconds = 5.0;   // idle: redraw at least this often
constexpr milliseconds kScannerKeyGap{5};     // script "wedge": a USB scanner's pace
constexpr milliseconds kPersonKeyGap{120};    // script "text": a person's pace
constexpr int kMaxFrameErrors = 20;

struct GlfwSession {
  bool ok = glfwInit() == GLFW_TRUE;
  ~GlfwSession() {
    if (ok) glfwTerminate();
  }
};

void destroy_window(GLFWwindow* window) { glfwDestroyWindow(window); }
using WindowPtr = std::unique_ptr<GLFWwindow, decltype(&destroy_window)>;

struct ImGuiSession {
  bool glfw = false;
  bool gl = false;
  ImGuiSession() { ImGui::CreateContext(); }
  ~ImGuiSession() {
    if (gl) ImGui_ImplOpenGL3_Shutdown();
    if (glfw) ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
  }
};

// A scripted left click: hover, press, release over three frames, as a hand would.
struct ScriptedClick {
  ImVec2 position;
  int phase = 0;
};

// Everything the GLFW callbacks and the frame loop share (the window's user pointer).
struct Loop {
  KioskApp* app = nullptr;
  int fast_frames = kFastFramesAfterInput;
  std::optional<ScriptedClick> click;
  std::vector<int> release_keys;  // scripted ImGui keys to release next frame

  void bump() { fast_frames = kFastFramesAfterInput; }

  void on_char(char32_t c) {
    bump();
    if (app->wants_keys()) app->key(KeyEvent{KeyKind::character, c, monotonic_now()}, monotonic_now());
  }

  // Keys that are not text. Scanners send Enter/Tab only: they go through the wedge detector;
  // Escape and F2 are never part of a scan.
  void on_key(int key) {
    bump();
    const auto now = monotonic_now();
    const auto screen = app->state().screen;
    switch (key) {
      case GLFW_KEY_ENTER:
      case GLFW_KEY_KP_ENTER:
        if (app->wants_keys()) app->key(KeyEvent{KeyKind::enter, 0, now}, now);
        break;
      case GLFW_KEY_TAB:
        if (app->wants_keys()) app->key(KeyEvent{KeyKind::tab, 0, now}, now);
        break;
      case GLFW_KEY_BACKSPACE:
        if (screen == Screen::staff_pin) app->key(KeyEvent{KeyKind::character, U'\b', now}, now);
        break;
      case GLFW_KEY_ESCAPE:
        if (screen == Screen::result) app->handle(DismissResult{}, now);
        if (screen == Screen::confirm_leave) app->handle(AnswerLeave{false}, now);
        if (screen == Screen::survey) app->handle(SkipSurvey{}, now);
        if (screen == Screen::staff_pin || screen == Screen::staff) app->handle(CloseStaff{}, now);
        break;
      case GLFW_KEY_F2: app->handle(OpenStaff{}, now); break;
      default: break;
    }
  }
};

Loop* loop_of(GLFWwindow* window) { return static_cast<Loop*>(glfwGetWindowUserPointer(window)); }

void char_callback(GLFWwindow* window, unsigned int codepoint) {
  loop_of(window)->on_char(static_cast<char32_t>(codepoint));
}
void key_callback(GLFWwindow* window, int key, int /*scancode*/, int action, int /*mods*/) {
  if (action == GLFW_PRESS || action == GLFW_REPEAT) loop_of(window)->on_key(key);
}
void mouse_button_callback(GLFWwindow* window, int /*button*/, int /*action*/, int /*mods*/) {
  loop_of(window)->bump();
}
void cursor_callback(GLFWwindow* window, double /*x*/, double /*y*/) { loop_of(window)->bump(); }
// The window system lost the picture (exposed, resized): draw again.
void refresh_callback(GLFWwindow* window) { loop_of(window)->bump(); }
void size_callback(GLFWwindow* window, int /*width*/, int /*height*/) { loop_of(window)->bump(); }

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

int glfw_key_named(const std::string& name) {
  if (name == "Enter") return GLFW_KEY_ENTER;
  if (name == "Tab") return GLFW_KEY_TAB;
  if (name == "Escape") return GLFW_KEY_ESCAPE;
  if (name == "Backspace") return GLFW_KEY_BACKSPACE;
  if (name == "F2") return GLFW_KEY_F2;
  return GLFW_KEY_UNKNOWN;
}

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
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, image.width, image.height, 0, GL_RGBA,
                 GL_UNSIGNED_BYTE, rgba.data());
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

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

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
  std::deque<ScriptEvent> pending(script.begin(), script.end());

  glfwSetErrorCallback([](int code, const char* text) {
    std::cerr << "muster-kiosk: GLFW error " << code << ": " << text << '\n';
  });
  GlfwSession glfw;
  if (!glfw.ok) {
    std::cerr << "muster-kiosk: cannot open the display (is DISPLAY set? use 'headless' "
                 "without a screen)\n";
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  GLFWmonitor* monitor = options.windowed ? nullptr : glfwGetPrimaryMonitor();
  int width = 1280;
  int height = 800;
  if (monitor != nullptr) {
    if (const GLFWvidmode* mode = glfwGetVideoMode(monitor)) {
      width = mode->width;
      height = mode->height;
    }
  }
  WindowPtr window(glfwCreateWindow(width, height, "Muster kiosk", monitor, nullptr),
                   &destroy_window);
  if (!window) {
    std::cerr << "muster-kiosk: cannot create an OpenGL 3.3 window\n";
    return 1;
  }
  glfwMakeContextCurrent(window.get());
  glfwSwapInterval(1);

  Loop loop;
  loop.app = &app;
  glfwSetWindowUserPointer(window.get(), &loop);
  // Ours first: the ImGui backend keeps them and calls them after its own.
  glfwSetCharCallback(window.get(), char_callback);
  glfwSetKeyCallback(window.get(), key_callback);
  glfwSetMouseButtonCallback(window.get(), mouse_button_callback);
  glfwSetCursorPosCallback(window.get(), cursor_callback);
  glfwSetWindowRefreshCallback(window.get(), refresh_callback);
  glfwSetFramebufferSizeCallback(window.get(), size_callback);

  ImGuiSession imgui;
  auto& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // a kiosk writes no imgui.ini
  io.LogFilename = nullptr;
  ImGui::StyleColorsDark();
  auto& style = ImGui::GetStyle();
  style.FrameRounding = 10.0F;
  style.WindowBorderSize = 0.0F;
  style.FramePadding = ImVec2{16.0F, 12.0F};
  style.ItemSpacing = ImVec2{14.0F, 12.0F};
  style.ScrollbarSize = 28.0F;  // touch
  imgui.glfw = ImGui_ImplGlfw_InitForOpenGL(window.get(), true);
  imgui.gl = ImGui_ImplOpenGL3_Init("#version 330");
  if (!imgui.glfw || !imgui.gl) {
    std::cerr << "muster-kiosk: cannot start Dear ImGui on this OpenGL\n";
    return 1;
  }
  int fb_width = 0;
  int fb_height = 0;
  glfwGetFramebufferSize(window.get(), &fb_width, &fb_height);
  const Fonts fonts = load_fonts(static_cast<float>(fb_height));
  if (fonts.regular_file.empty()) {
    std::cerr << "muster-kiosk: no TTF font found with fontconfig (install fonts-dejavu-core); "
                 "using ImGui's small built-in font\n";
  }

  std::unique_ptr<CameraWorker> camera;
  if (!options.camera_device.empty()) {
    auto device = V4l2Camera::open(options.camera_device);
    if (!device) {
      std::cerr << "muster-kiosk: --camera: " << device.message() << '\n';
      return 1;
    }
    // The camera paces itself (and next() returns within 200 ms when it has nothing).
    camera = std::make_unique<CameraWorker>(std::move(*device), [] { glfwPostEmptyEvent(); },
                                            milliseconds{0});
  }
  if (!options.camera_images.empty()) {
    auto source = ImageFileSource::open(options.camera_images);
    if (!source) {
      std::cerr << "muster-kiosk: --camera-images: " << source.message() << '\n';
      return 1;
    }
    camera = std::make_unique<CameraWorker>(
        std::make_unique<ImageFileSource>(std::move(*source)), [] { glfwPostEmptyEvent(); });
  }
  PreviewTexture preview;
  std::uint64_t preview_serial = 0;

  StaffViewState staff_view;
  staff_view.export_folder = options.export_folder.string();
  StateLog state_log(options.state_log);
  // Tones on their own thread; without a device it turns itself off (logged once).
  std::unique_ptr<SoundPlayer> sound;
  if (options.sound) sound = std::make_unique<SoundPlayer>();
  std::uint64_t sound_serial = app.state().sound_serial;
  // Script times count from the first frame on screen (fonts and shaders are built by then).
  auto start = monotonic_now();
  bool first_frame = true;
  std::optional<std::filesystem::path> screenshot_now;  // a script screenshot in progress
  int screenshot_countdown = 0;
  int frames_after_script = 0;
  int frame_errors = 0;
  int script_hold = 0;
  Screen last_screen = app.state().screen;
  int status = 0;
  bool quit = false;
  std::optional<IdleView> drawn;  // what the last frame on screen showed
  std::optional<milliseconds> ready_at;  // wall time the first frame was presented, until logged

  while (!quit && glfwWindowShouldClose(window.get()) == GLFW_FALSE) {
    const bool scripted = !pending.empty() || loop.click || screenshot_now;
    const bool final_shot = !options.screenshot.empty() && !scripted;
    bool waited = false;  // woke from an idle wait: draw only if something shown changed
    if (loop.fast_frames > 0 || loop.click || screenshot_now || final_shot) {
      glfwPollEvents();
      if (loop.fast_frames > 0) --loop.fast_frames;
    } else {
      waited = true;
      const auto now = monotonic_now();
      // The clock shows minutes: sleep until the next minute turns (50 ms late), at most 5 s.
      const auto wall = app.options().wall_clock().time_since_epoch();
      const auto into_minute = wall % std::chrono::minutes{1};
      double wait = std::min(kMaxIdleWaitSeconds,
                             static_cast<double>((std::chrono::minutes{1} - into_minute).count()) /
                                     1000.0 + 0.05);
      if (const auto deadline = app.next_deadline()) {
        wait = std::min(wait, std::max(0.02, static_cast<double>((*deadline - now).count()) / 1000.0));
      }
      if (!pending.empty()) {
        const auto due = start + pending.front().at;
        wait = std::min(wait, std::max(0.0, static_cast<double>((due - now).count()) / 1000.0));
      }
      glfwWaitEventsTimeout(wait);
    }
    try {
      const auto now = monotonic_now();
      // Script events that are due; a click or a screenshot in progress holds the rest back.
      // One event per frame, and two quiet frames after a screen change, so ImGui has laid out
      // (and focused) the screen before the next event reaches it.
      if (script_hold > 0) --script_hold;
      if (script_hold == 0 && !pending.empty() && !loop.click && !screenshot_now &&
          start + pending.front().at <= now) {
        script_hold = 1;
        const auto event = pending.front();
        pending.pop_front();
        loop.bump();
        switch (event.verb) {
          case ScriptVerb::wedge: {
            auto at = now;
            for (const char c : event.argument) {
              app.key(KeyEvent{KeyKind::character, static_cast<unsigned char>(c), at}, now);
              at += kScannerKeyGap;
            }
            app.key(KeyEvent{KeyKind::enter, 0, at}, now);
            break;
          }
          case ScriptVerb::text: {
            auto at = now;
            for (const char c : event.argument) {
              const auto code = static_cast<char32_t>(static_cast<unsigned char>(c));
              if (app.wants_keys()) {
                app.key(KeyEvent{KeyKind::character, code, at}, now);
              } else {
                io.AddInputCharacter(static_cast<unsigned int>(code));
              }
              at += kPersonKeyGap;
            }
            break;
          }
          case ScriptVerb::key: {
            const int key = glfw_key_named(event.argument);
            if (app.state().screen == Screen::staff) {
              io.KeysDown[key] = true;  // ImGui 1.86: keys by GLFW code
              loop.release_keys.push_back(key);
            }
            loop.on_key(key);
            break;
          }
          case ScriptVerb::click:
            loop.click = ScriptedClick{ImVec2{static_cast<float>(event.x),
                                              static_cast<float>(event.y)}, 0};
            break;
          case ScriptVerb::screenshot:
            screenshot_now = event.argument;
            screenshot_countdown = 2;  // let ImGui lay out the screen first
            break;
          case ScriptVerb::quit:
            quit = true;
            state_log.note("{\"quit\":true," + resources_json() + "}");
            break;
        }
      }

      if (camera) {
        for (auto& payload : camera->take_scans()) {
          auto raw = raw_scan_now(std::move(payload), ScanSource::camera);
          raw.monotonic = monotonic_now();
          app.scan(raw, raw.monotonic);
          loop.bump();
        }
        if (auto fresh = camera->preview_after(preview_serial)) {
          preview_serial = fresh->serial;
          preview.upload(fresh->image);
        }
      }
      app.tick(monotonic_now());
      if (app.state().sound_serial != sound_serial) {
        sound_serial = app.state().sound_serial;
        if (sound) sound->play(app.state().sound);
      }

      const std::string clock_text =
          format_local(app.options().wall_clock(), app.checkin().event().timezone, "%H:%M");
      IdleView view{app.state().revision, clock_text, ""};
      if (const auto session = app.door_session()) view.session = session->id;
      if (view != drawn) {
        // A change nobody typed (a timeout, the minute, a session starting): two frames, so
        // ImGui has laid the new content out before the loop goes back to waiting.
        if (drawn) loop.fast_frames = std::max(loop.fast_frames, 2);
        drawn = view;
      } else if (waited && loop.fast_frames == 0 && !camera && pending.empty()) {
        // Woken by the timeout alone (input callbacks bump fast_frames): the picture on the
        // screen is still right, so skip the frame.
        continue;
      }

      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      if (loop.click) {
        io.MousePos = loop.click->position;
        io.MouseDown[0] = loop.click->phase == 1;
        if (++loop.click->phase > 2) loop.click.reset();
      }
      ImGui::NewFrame();

      float background[4];
      background_colour(app.state(), background);
      ImGui::SetNextWindowPos(ImVec2{0.0F, 0.0F});
      ImGui::SetNextWindowSize(io.DisplaySize);
      ImGui::PushStyleColor(ImGuiCol_WindowBg,
                            ImVec4{background[0], background[1], background[2], background[3]});
      ImGui::Begin("kiosk", nullptr,
                   ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                       ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
      ViewContext context{app, fonts, preview.preview(), clock_text, options.desk};
      const auto intent = draw_screen(context, staff_view);
      ImGui::End();
      ImGui::PopStyleColor();
      ImGui::Render();

      glfwGetFramebufferSize(window.get(), &fb_width, &fb_height);
      glViewport(0, 0, fb_width, fb_height);
      glClearColor(background[0], background[1], background[2], background[3]);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

      if (screenshot_now && --screenshot_countdown <= 0) {
        if (auto error = save_framebuffer_png(*screenshot_now, fb_width, fb_height);
            !error.empty()) {
          std::cerr << "muster-kiosk: screenshot: " << error << '\n';
          status = 1;
        }
        state_log.note("{\"screenshot\":" + json_string(screenshot_now->string()) + "," +
                       resources_json() + "}");
        screenshot_now.reset();
      }
      if (final_shot && ++frames_after_script >= std::max(1, options.after_frames)) {
        if (auto error = save_framebuffer_png(options.screenshot, fb_width, fb_height);
            !error.empty()) {
          std::cerr << "muster-kiosk: screenshot: " << error << '\n';
          status = 1;
        }
        quit = true;
      }
      glfwSwapBuffers(window.get());
      if (first_frame) {
        first_frame = false;
        // Start to ready: the first frame is presented. Wall time, so a script that noted the
        // time before exec can measure exec-to-ready (bench/run does); logged after the first
        // state below, which stays the log's first line.
        ready_at = std::chrono::duration_cast<milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        // The backend has uploaded the font atlas: the CPU copies are no longer needed.
        io.Fonts->ClearTexData();
        start = monotonic_now();
      }

      for (const int key : loop.release_keys) io.KeysDown[key] = false;
      loop.release_keys.clear();
      if (intent) {
        app.handle(*intent, monotonic_now());
        loop.bump();
      }
      // Each visit to staff mode starts clean (timeouts leave it without an intent).
      if (app.state().screen == Screen::staff && last_screen != Screen::staff) {
        staff_view = StaffViewState{};
        staff_view.export_folder = options.export_folder.string();
      }
      if (app.state().screen != last_screen) script_hold = 3;
      last_screen = app.state().screen;
      state_log.record(app);
      if (ready_at) {
        state_log.note("{\"ready\":true,\"wall_ms\":" + std::to_string(ready_at->count()) + "," +
                       resources_json() + "}");
        ready_at.reset();
      }
      frame_errors = 0;
    } catch (const std::exception& error) {
      // A bug in one frame must not leave the door without a kiosk; a bug in every frame must
      // not spin forever.
      std::cerr << "muster-kiosk: internal error in a frame: " << error.what() << '\n';
      if (++frame_errors >= kMaxFrameErrors) return 70;
    }
  }
  return status;
}

}  // namespace muster::kiosk::ui
