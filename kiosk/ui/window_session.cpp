#include "kiosk/ui/window_session.hpp"

#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <iostream>

namespace muster::kiosk::ui {

namespace {

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

WindowPtr create_window(const WindowOptions& options) {
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
  return WindowPtr(glfwCreateWindow(width, height, "Muster kiosk", monitor, nullptr),
                   &destroy_window);
}

void set_callbacks(GLFWwindow* window, Loop& loop) {
  glfwSetWindowUserPointer(window, &loop);
  // Ours first: the ImGui backend keeps them and calls them after its own.
  glfwSetCharCallback(window, char_callback);
  glfwSetKeyCallback(window, key_callback);
  glfwSetMouseButtonCallback(window, mouse_button_callback);
  glfwSetCursorPosCallback(window, cursor_callback);
  glfwSetWindowRefreshCallback(window, refresh_callback);
  glfwSetFramebufferSizeCallback(window, size_callback);
}

void set_style() {
  auto& io = ImGui::GetIO();
  io.IniFilename = nullptr; // a kiosk writes no imgui.ini
  io.LogFilename = nullptr;
  ImGui::StyleColorsDark();
  auto& style = ImGui::GetStyle();
  style.FrameRounding = 10.0F;
  style.WindowBorderSize = 0.0F;
  style.FramePadding = ImVec2{16.0F, 12.0F};
  style.ItemSpacing = ImVec2{14.0F, 12.0F};
  style.ScrollbarSize = 28.0F; // touch
}

} // namespace

ImGuiSession::ImGuiSession() { ImGui::CreateContext(); }

ImGuiSession::~ImGuiSession() {
  if (gl) ImGui_ImplOpenGL3_Shutdown();
  if (glfw) ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
}

std::unique_ptr<WindowSession> open_window_session(const WindowOptions& options, Loop& loop) {
  glfwSetErrorCallback([](int code, const char* text) {
    std::cerr << "muster-kiosk: GLFW error " << code << ": " << text << '\n';
  });
  auto session = std::make_unique<WindowSession>();
  if (!session->glfw.ok) {
    std::cerr << "muster-kiosk: cannot open the display (is DISPLAY set? use 'headless' "
                 "without a screen)\n";
    return nullptr;
  }
  session->window = create_window(options);
  if (!session->window) {
    std::cerr << "muster-kiosk: cannot create an OpenGL 3.3 window\n";
    return nullptr;
  }
  GLFWwindow* window = session->window.get();
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);
  set_callbacks(window, loop);

  ImGuiSession& imgui = session->imgui.emplace();
  set_style();
  imgui.glfw = ImGui_ImplGlfw_InitForOpenGL(window, true);
  imgui.gl = ImGui_ImplOpenGL3_Init("#version 330");
  if (!imgui.glfw || !imgui.gl) {
    std::cerr << "muster-kiosk: cannot start Dear ImGui on this OpenGL\n";
    return nullptr;
  }
  int fb_width = 0;
  int fb_height = 0;
  glfwGetFramebufferSize(window, &fb_width, &fb_height);
  session->fonts = load_fonts(static_cast<float>(fb_height));
  if (session->fonts.regular_file.empty()) {
    std::cerr << "muster-kiosk: no TTF font found with fontconfig (install fonts-dejavu-core); "
                 "using ImGui's small built-in font\n";
  }
  // The backend's shaders and buffers, then our one-channel font texture in place of its RGBA one.
  if (!ImGui_ImplOpenGL3_CreateDeviceObjects()) {
    std::cerr << "muster-kiosk: cannot compile Dear ImGui's shaders on this OpenGL\n";
    return nullptr;
  }
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  session->font_texture.id = upload_font_atlas(session->fonts);
  if (session->font_texture.id == 0) {
    std::cerr << "muster-kiosk: cannot build the font atlas\n";
    return nullptr;
  }
  return session;
}

} // namespace muster::kiosk::ui
