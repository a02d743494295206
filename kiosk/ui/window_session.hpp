#pragma once
// The window's resources, opened in order and closed in reverse: GLFW, the OpenGL 3.3 window
// (fullscreen unless --windowed) with the input callbacks, Dear ImGui on it, the fonts.
#include <GLFW/glfw3.h>

#include <memory>
#include <optional>

#include "kiosk/ui/fonts.hpp"
#include "kiosk/ui/kiosk_window.hpp"
#include "kiosk/ui/window_input.hpp"

namespace muster::kiosk::ui {

struct GlfwSession {
  bool ok = glfwInit() == GLFW_TRUE;
  GlfwSession() = default;
  GlfwSession(const GlfwSession&) = delete;
  GlfwSession& operator=(const GlfwSession&) = delete;
  ~GlfwSession() {
    if (ok) glfwTerminate();
  }
};

inline void destroy_window(GLFWwindow* window) { glfwDestroyWindow(window); }
using WindowPtr = std::unique_ptr<GLFWwindow, decltype(&destroy_window)>;

struct ImGuiSession {
  bool glfw = false;
  bool gl = false;
  ImGuiSession();
  ImGuiSession(const ImGuiSession&) = delete;
  ImGuiSession& operator=(const ImGuiSession&) = delete;
  ~ImGuiSession();
};

// An OpenGL texture deleted with its owner (while the window's context is still current).
struct GlTexture {
  GLuint id = 0;
  GlTexture() = default;
  GlTexture(const GlTexture&) = delete;
  GlTexture& operator=(const GlTexture&) = delete;
  ~GlTexture() {
    if (id != 0) glDeleteTextures(1, &id);
  }
};

struct WindowSession {
  GlfwSession glfw; // first in, last out
  WindowPtr window{nullptr, &destroy_window};
  std::optional<ImGuiSession> imgui;
  Fonts fonts;
  GlTexture font_texture; // ours, not the backend's (see upload_font_atlas)
};

// Opens all of it; `loop` receives the window's input. Prints why and returns nullptr when the
// display, OpenGL or Dear ImGui cannot be had.
std::unique_ptr<WindowSession> open_window_session(const WindowOptions& options, Loop& loop);

} // namespace muster::kiosk::ui
