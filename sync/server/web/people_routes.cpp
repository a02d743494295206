// The People routes of the console: search, the official's page, their PDFs and the staff
// correction. Authentication, CSRF and the audit entry come from console_http.hpp, the data
// from people.hpp and staff_correction.hpp (the store and credit functions the CLI uses).
#include "sync/server/web/people_routes.hpp"

#include <httplib.h>

#include <charconv>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <system_error>

#include "shared/time.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/console_http.hpp"
#include "sync/server/web/people.hpp"
#include "sync/server/web/people_pages.hpp"
#include "sync/server/web/staff_correction.hpp"

namespace muster::server::web {

namespace {

constexpr std::size_t kMatchLimit = 200;
constexpr std::size_t kMaxQueryBytes = 200;

void send_pdf(httplib::Response& res, const std::string& bytes, const std::string& filename) {
  secure_headers(res);
  res.status = 200;
  res.set_header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  res.set_content(bytes, "application/pdf");
}

// Officials' and events' ids in URLs: the console's id characters (console_http.hpp).
bool valid_id(std::string_view id) { return valid_event_id(id); }

class PeopleRoutes {
public:
  explicit PeopleRoutes(ConsoleOptions options) : options_(std::move(options)) {}

  void search(const httplib::Request& req, httplib::Response& res, bool per_event) {
    auto accounts = open_accounts(options_.database, res);
    if (!accounts) return;
    auto who = signed_in(req, *accounts);
    if (!who) return redirect(res, "/console/login");
    std::string query = form_value(req, "q");
    if (query.size() > kMaxQueryBytes) query.resize(kMaxQueryBytes);
    auto store = open_server_store(options_.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    if (!per_event) {
      auto found = search_people(**store, query, kMatchLimit);
      if (!found) return unavailable(res, found.message());
      return send_html(res, 200, people_page(who->viewer(), query, *found, nullptr, kMatchLimit));
    }
    const std::string event_id = req.matches[1];
    if (!valid_id(event_id)) return send_text(res, 404, "no such event");
    auto event = (*store)->event(event_id);
    if (!event) {
      if (event.code() == DbError::not_found) return send_text(res, 404, "no such event");
      return unavailable(res, event.message());
    }
    auto found = event_people(**store, *event, query, kMatchLimit);
    if (!found) return unavailable(res, found.message());
    send_html(res, 200, people_page(who->viewer(), query, *found, &*event, kMatchLimit));
  }

  void person(const httplib::Request& req, httplib::Response& res) {
    auto accounts = open_accounts(options_.database, res);
    if (!accounts) return;
    auto who = signed_in(req, *accounts);
    if (!who) return redirect(res, "/console/login");
    CorrectionForm form;
    form.session = form_value(req, "event");
    render_person(res, *who, req.matches[1], form, 200, req.has_param("corrected"));
  }

  void transcript(const httplib::Request& req, httplib::Response& res) {
    auto accounts = open_accounts(options_.database, res);
    if (!accounts) return;
    if (!signed_in(req, *accounts)) return redirect(res, "/console/login");
    const std::string id = req.matches[1];
    if (!valid_id(id)) return send_text(res, 404, "no such official");
    auto program = load_program(options_.program_file);
    if (!program) return unavailable(res, program.message());
    auto store = open_server_store(options_.database);
    auto ledger = open_ledger_store(options_.database);
    if (!store || !ledger) return send_text(res, 503, "the database is unavailable");
    // The same function as `muster-server transcript --format pdf`.
    auto built = build_transcript(**store, **ledger, *program, id, today_utc());
    if (!built) {
      if (built.code() == CreditError::not_found) return send_text(res, 404, built.message());
      return unavailable(res, built.message());
    }
    auto bytes = pdf_bytes(transcript_document(*built));
    if (!bytes) return send_text(res, 500, "the PDF could not be written");
    send_pdf(res, *bytes, "transcript-" + id + ".pdf");
  }

  void credit_form(const httplib::Request& req, httplib::Response& res) {
    auto accounts = open_accounts(options_.database, res);
    if (!accounts) return;
    if (!signed_in(req, *accounts)) return redirect(res, "/console/login");
    const std::string id = req.matches[1];
    const std::string event_id = req.matches[2];
    if (!valid_id(id) || !valid_id(event_id)) return send_text(res, 404, "no such credit form");
    auto store = open_server_store(options_.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    // The same function as `muster-server credit-form --format pdf`.
    auto form = build_credit_form(**store, event_id, id);
    if (!form) {
      if (form.code() == CreditError::not_found) return send_text(res, 404, form.message());
      return unavailable(res, form.message());
    }
    auto bytes = pdf_bytes(credit_form_document(*form));
    if (!bytes) return send_text(res, 500, "the PDF could not be written");
    send_pdf(res, *bytes, "credit-form-" + event_id + "-" + id + ".pdf");
  }

  void correct(const httplib::Request& req, httplib::Response& res) {
    auto accounts = open_accounts(options_.database, res);
    if (!accounts) return;
    const std::string id = req.matches[1];
    // A viewer's POST: 403 and the audit entry "correction-refused".
    auto who = require_post(req, res, *accounts, ConsoleRole::staff, "correction", id);
    if (!who) return;
    if (!valid_id(id)) return send_text(res, 404, "no such official");
    CorrectionForm form{form_value(req, "session"), form_value(req, "arrival"),
                        form_value(req, "leave"), form_value(req, "reason"), ""};
    const auto bar = form.session.find('|');
    const std::string event_id = bar == std::string::npos ? "" : form.session.substr(0, bar);
    const std::string session_id = bar == std::string::npos ? "" : form.session.substr(bar + 1);
    auto store = open_server_store(options_.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    const auto refuse = [&](int status, const std::string& message) {
      form.error = message;
      render_person(res, *who, id, form, status, false);
    };
    if (!valid_id(event_id) || session_id.empty()) return refuse(422, "choose a session");
    auto event = (*store)->event(event_id);
    if (!event) {
      if (event.code() == DbError::not_found) return refuse(422, "no such event: " + event_id);
      return unavailable(res, event.message());
    }
    const Session* session = nullptr;
    for (const auto& s : event->sessions) {
      if (s.id == session_id) session = &s;
    }
    if (!session) return refuse(422, "no session '" + session_id + "' in event " + event_id);
    StaffCorrectionRequest request{event_id, id, session_id, {}, {}, who->user.name, form.reason};
    for (const auto& [text, target, what] : {std::tuple{&form.arrival, &request.arrival, "arrival"},
                                             std::tuple{&form.leave, &request.leave, "leave"}}) {
      if (text->empty()) continue;
      *target = local_time_on_day(*text, session->start, event->timezone);
      if (!*target) return refuse(422, std::string("the ") + what + " time must be HH:MM");
    }
    auto stored = record_staff_correction(**store, request, now_ms());
    if (!stored) {
      if (stored.code() == CorrectionError::store) return unavailable(res, stored.message());
      return refuse(422, stored.message());
    }
    std::string what;
    if (request.arrival) what += "arrival " + form.arrival;
    if (request.leave) what += (what.empty() ? "" : ", ") + std::string("leave ") + form.leave;
    audit(*accounts, who->user.name, "correction", id + " " + event_id + "/" + session_id,
          what + " (" + event->timezone + "; " + stored->device_id + " #" +
              std::to_string(stored->sequences.front()) + "); reason: " + request.reason);
    notify_live(options_, event_id); // the event's open pages recount
    redirect(res, "/console/people/" + id + "?corrected=1");
  }

  // Voids a console correction made by mistake (void_console_correction).
  void void_correction(const httplib::Request& req, httplib::Response& res) {
    auto accounts = open_accounts(options_.database, res);
    if (!accounts) return;
    const std::string id = req.matches[1];
    // A viewer's POST: 403 and the audit entry "correction-void-refused".
    auto who = require_post(req, res, *accounts, ConsoleRole::staff, "correction-void", id);
    if (!who) return;
    if (!valid_id(id)) return send_text(res, 404, "no such official");
    const std::string event_id = form_value(req, "event");
    const std::string sequence_text = form_value(req, "sequence");
    std::uint64_t sequence = 0;
    const auto parsed = std::from_chars(sequence_text.data(),
                                        sequence_text.data() + sequence_text.size(), sequence);
    CorrectionForm form;
    const auto refuse = [&](int status, const std::string& message) {
      form.error = message;
      render_person(res, *who, id, form, status, false);
    };
    if (!valid_id(event_id) || parsed.ec != std::errc{} ||
        parsed.ptr != sequence_text.data() + sequence_text.size() || sequence == 0) {
      return refuse(422, "the void names no console correction");
    }
    auto store = open_server_store(options_.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    ConsoleVoidRequest request{event_id, id, sequence, who->user.name, form_value(req, "reason")};
    auto stored = void_console_correction(**store, request, now_ms());
    if (!stored) {
      if (stored.code() == CorrectionError::store) return unavailable(res, stored.message());
      return refuse(422, stored.message());
    }
    audit(*accounts, who->user.name, "correction-void", id + " " + event_id,
          "voided " + console_device_id(event_id) + " #" + std::to_string(sequence) + " (" +
              stored->device_id + " #" + std::to_string(stored->sequences.front()) +
              "); reason: " + request.reason);
    notify_live(options_, event_id);
    redirect(res, "/console/people/" + id + "?corrected=1");
  }

private:
  void unavailable(httplib::Response& res, const std::string& message) {
    std::cerr << "muster-server: console: " << message << '\n';
    send_text(res, 503, "the data are unavailable (the server's log says why)");
  }

  void render_person(httplib::Response& res, const SignedIn& who, const std::string& id,
                     const CorrectionForm& form, int status, bool corrected) {
    if (!valid_id(id)) return send_text(res, 404, "no such official");
    auto store = open_server_store(options_.database);
    if (!store) return send_text(res, 503, "the database is unavailable");
    auto person = load_person(**store, id);
    if (!person) {
      if (person.code() == AdminError::not_found) return send_text(res, 404, "no such official");
      return unavailable(res, person.message());
    }
    // The correction form offers the sessions of the events the official has scans at, and of
    // the event the page was opened from (?event=, or the refused form's); without any, every
    // event (someone who never scanned).
    std::set<std::string, std::less<>> wanted;
    for (const auto& pe : person->events)
      wanted.insert(pe.event.id);
    if (const auto bar = form.session.find('|'); !form.session.empty())
      wanted.insert(form.session.substr(0, bar));
    auto events = (*store)->events();
    if (!events) return unavailable(res, events.message());
    std::vector<Event> correctable;
    for (auto& e : *events) {
      if (wanted.empty() || wanted.contains(e.id)) correctable.push_back(std::move(e));
    }
    send_html(res, status, person_page(who.viewer(), *person, correctable, form, corrected));
  }

  ConsoleOptions options_;
};

} // namespace

void install_people_routes(httplib::Server& server, const ConsoleOptions& options) {
  auto self = std::make_shared<PeopleRoutes>(options); // the handlers own it
  server.Get("/console/people", [self](const httplib::Request& req, httplib::Response& res) {
    self->search(req, res, false);
  });
  server.Get(R"(/console/events/([^/]+)/people)",
             [self](const httplib::Request& req, httplib::Response& res) {
               self->search(req, res, true);
             });
  server.Get(
      R"(/console/people/([^/]+))",
      [self](const httplib::Request& req, httplib::Response& res) { self->person(req, res); });
  server.Get(
      R"(/console/people/([^/]+)/transcript\.pdf)",
      [self](const httplib::Request& req, httplib::Response& res) { self->transcript(req, res); });
  server.Get(
      R"(/console/people/([^/]+)/events/([^/]+)/credit-form\.pdf)",
      [self](const httplib::Request& req, httplib::Response& res) { self->credit_form(req, res); });
  server.Post(
      R"(/console/people/([^/]+)/corrections)",
      [self](const httplib::Request& req, httplib::Response& res) { self->correct(req, res); });
  server.Post(R"(/console/people/([^/]+)/corrections/void)",
              [self](const httplib::Request& req, httplib::Response& res) {
                self->void_correction(req, res);
              });
  server.Get("/console/static/people.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_content(std::string(people_css()), "text/css; charset=utf-8");
  });
}

} // namespace muster::server::web
