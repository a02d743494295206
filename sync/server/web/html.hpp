#pragma once
// Small helpers for the console's server-rendered pages (one file per page: page_*.cpp).
#include <string>
#include <string_view>

namespace muster::server::web {

// Escapes & < > " ' for text and attribute values.
std::string escape(std::string_view text);

struct PageFrame {
  std::string title;
  std::string user;       // signed-in user name; empty on the sign-in page
  std::string role;       // their role
  std::string csrf;       // for the sign-out form
  std::string body_attrs; // extra attributes on <body> (already escaped)
  bool live_script = false;
};

// The whole document: head (console.css), header with sign-out, <main> with `content`.
std::string page(const PageFrame& frame, std::string_view content);

// <input type="hidden" name="csrf_token" value="...">
std::string csrf_field(std::string_view token);

} // namespace muster::server::web
