#pragma once
#include <string_view>

namespace muster::server::web {
std::string_view console_css(); // /console/static/console.css
std::string_view console_js();  // /console/static/console.js
} // namespace muster::server::web
