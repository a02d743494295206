#include "sync/server/web/html.hpp"

namespace muster::server::web {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string csrf_field(std::string_view token) {
  return "<input type=\"hidden\" name=\"csrf_token\" value=\"" + escape(token) + "\">";
}

std::string page(const PageFrame& frame, std::string_view content) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>" +
                    escape(frame.title) +
                    " - Muster console</title>\n"
                    "<link rel=\"stylesheet\" href=\"/console/static/console.css\">\n";
  if (frame.live_script) out += "<script src=\"/console/static/console.js\" defer></script>\n";
  out += "</head>\n<body";
  if (!frame.body_attrs.empty()) out += " " + frame.body_attrs;
  out += ">\n<header><a class=\"brand\" href=\"/console/\">Muster console</a>";
  if (!frame.user.empty()) {
    out += "<span class=\"who\" data-testid=\"signed-in-as\">" + escape(frame.user) + " (" +
           escape(frame.role) +
           ")</span><form class=\"inline\" method=\"post\" action=\"/console/logout\">" +
           csrf_field(frame.csrf) +
           "<button type=\"submit\" data-testid=\"sign-out\">Sign out</button></form>";
  }
  out += "</header>\n<main>\n";
  out += content;
  out += "\n</main>\n</body>\n</html>\n";
  return out;
}

} // namespace muster::server::web
