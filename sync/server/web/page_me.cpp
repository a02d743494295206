// The officials' own pages (page_me.hpp).
#include "sync/server/web/page_me.hpp"

#include "shared/progress.hpp"
#include "sync/server/web/html.hpp"

namespace muster::server::web {

namespace {

std::string frame(std::string_view title, std::string_view content, std::string_view csrf) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>" +
                    escape(title) +
                    " - My credit hours</title>\n"
                    "<link rel=\"stylesheet\" href=\"/console/static/console.css\">\n"
                    "</head>\n<body>\n<header><a class=\"brand\" href=\"/me/\">My credit hours</a>";
  if (!csrf.empty()) {
    out += "<form class=\"inline\" method=\"post\" action=\"/me/logout\">" + csrf_field(csrf) +
           "<button type=\"submit\" data-testid=\"sign-out\">Sign out</button></form>";
  }
  out += "</header>\n<main>\n";
  out += content;
  out += "\n</main>\n</body>\n</html>\n";
  return out;
}

std::string message_html(std::string_view message, bool error) {
  if (message.empty()) return {};
  return std::string("<p class=\"") + (error ? "error\" role=\"alert\"" : "notice\"") +
         " data-testid=\"me-message\">" + escape(message) + "</p>\n";
}

} // namespace

std::string me_email_page(std::string_view csrf, std::string_view message) {
  std::string body = "<h1>Sign in to see your credit hours</h1>\n" + message_html(message, true) +
                     "<p>Enter the e-mail address the League has on record for you. We will "
                     "mail you a one-time code.</p>\n"
                     "<form method=\"post\" action=\"/me/login\" class=\"login\">\n" +
                     csrf_field(csrf) +
                     "\n<label for=\"email\">E-mail address</label>\n"
                     "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" "
                     "required autofocus>\n"
                     "<button type=\"submit\" data-testid=\"send-code\">Send me a code</button>\n"
                     "</form>\n";
  return frame("Sign in", body, "");
}

std::string me_code_page(std::string_view csrf, std::string_view message, bool error) {
  std::string body =
      "<h1>Enter your code</h1>\n" + message_html(message, error) +
      "<p>If the address belongs to an official on the League's roster, a code is on its way. "
      "It works for 15 minutes.</p>\n"
      "<form method=\"post\" action=\"/me/code\" class=\"login\">\n" +
      csrf_field(csrf) +
      "\n<label for=\"code\">Code</label>\n"
      "<input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" "
      "autocomplete=\"one-time-code\" required autofocus>\n"
      "<button type=\"submit\" data-testid=\"sign-in\">Sign in</button>\n</form>\n"
      "<p><a href=\"/me/\">Use another address or ask for a new code</a></p>\n";
  return frame("Enter your code", body, "");
}

std::string me_page(const MePage& d) {
  const std::string base = "/me/" + escape(d.official_id);
  std::string body = "<h1 data-testid=\"me-name\">" + escape(d.name) + "</h1>\n";
  if (!d.notice.empty()) body += message_html(d.notice, false);
  body += "<section data-testid=\"progress\">\n<h2>Progress: " + escape(d.program_name) + "</h2>\n";
  for (std::size_t i = 0; i < d.levels.size(); ++i) {
    const auto& level = d.levels[i];
    body += "<p data-testid=\"level-" + std::to_string(i) + "\">" + escape(level.words) +
            "</p>\n<progress data-testid=\"bar-" + std::to_string(i) + "\" max=\"" +
            format_hours(level.required) + "\" value=\"" +
            format_hours(std::min(level.counted, level.required)) + "\">" +
            format_hours(level.counted) + " of " + format_hours(level.required) +
            " hours</progress>\n";
  }
  for (const auto& line : d.other_lines) {
    body += "<p data-testid=\"status-line\">" + escape(line) + "</p>\n";
  }
  body += "<p><a href=\"" + base +
          "/transcript.pdf\" data-testid=\"transcript-pdf\">My "
          "transcript (PDF)</a></p>\n</section>\n";
  body += "<h2>Events</h2>\n";
  if (d.events.empty()) body += "<p>No events with attendance yet.</p>\n";
  for (const auto& e : d.events) {
    const std::string ev = base + "/events/" + escape(e.id);
    body += "<section data-testid=\"event-" + escape(e.id) + "\">\n<h3>" + escape(e.name) +
            " <small>" + escape(e.dates) + "</small></h3>\n";
    body += "<table>\n<thead><tr><th>Session</th><th>Arrived</th><th>Left</th><th>Hours</th>"
            "<th>Something wrong?</th></tr></thead>\n<tbody>\n";
    for (const auto& s : e.sessions) {
      body += "<tr data-testid=\"session-" + escape(s.id) + "\"><td>" + escape(s.title) +
              "</td><td>" + escape(s.arrived) + "</td><td>" + escape(s.left) + "</td><td>" +
              escape(s.hours) + "</td><td>";
      if (!s.dispute.empty()) {
        body += "<span data-testid=\"disputed-" + escape(s.id) +
                "\">Sent to staff: " + escape(s.dispute) + "</span>";
      } else {
        body += "<form method=\"post\" action=\"" + ev + "/dispute\" class=\"inline\">" +
                csrf_field(d.csrf) + "<input type=\"hidden\" name=\"session\" value=\"" +
                escape(s.id) +
                "\"><input name=\"note\" type=\"text\" maxlength=\"500\" required "
                "placeholder=\"What is wrong?\" data-testid=\"note-" +
                escape(s.id) + "\"><button type=\"submit\" data-testid=\"dispute-" + escape(s.id) +
                "\">Dispute</button></form>";
      }
      body += "</td></tr>\n";
    }
    body += "</tbody>\n</table>\n";
    if (e.credit) {
      body += "<p><a href=\"" + ev + "/credit-form.pdf\" data-testid=\"form-" + escape(e.id) +
              "\">Credit form (PDF)</a></p>\n";
      if (e.confirmed_on) {
        body += "<p data-testid=\"confirmed-" + escape(e.id) +
                "\">You confirmed this credit "
                "form on " +
                escape(*e.confirmed_on) + ".</p>\n";
      } else {
        body += "<form method=\"post\" action=\"" + ev + "/confirm\">" + csrf_field(d.csrf) +
                "<button type=\"submit\" data-testid=\"confirm-" + escape(e.id) +
                "\">I confirm this credit form is accurate</button></form>\n";
      }
    } else {
      body += "<p><a href=\"" + ev + "/verification-letter.pdf\" data-testid=\"letter-" +
              escape(e.id) + "\">Attendance verification letter (PDF)</a></p>\n";
    }
    body += "</section>\n";
  }
  return frame(d.name, body, d.csrf);
}

} // namespace muster::server::web
