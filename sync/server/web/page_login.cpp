#include "sync/server/web/html.hpp"
#include "sync/server/web/pages.hpp"

namespace muster::server::web {

std::string login_page(std::string_view login_csrf, std::string_view message) {
  std::string body = "<h1>Sign in</h1>\n";
  if (!message.empty()) {
    body += "<p class=\"error\" role=\"alert\" data-testid=\"login-error\">" + escape(message) +
            "</p>\n";
  }
  body += "<form method=\"post\" action=\"/console/login\" class=\"login\">\n" +
          csrf_field(login_csrf) +
          "\n<label for=\"username\">User name</label>\n"
          "<input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" "
          "required autofocus>\n"
          "<label for=\"password\">Password</label>\n"
          "<input id=\"password\" name=\"password\" type=\"password\" "
          "autocomplete=\"current-password\" required>\n"
          "<button type=\"submit\" data-testid=\"sign-in\">Sign in</button>\n</form>\n";
  return page(PageFrame{"Sign in", "", "", "", "", false}, body);
}

} // namespace muster::server::web
