// The credit form of one attendee at one event (CSV, PDF), and the verification letter.
#include "sync/server/credit_commands.hpp"
#include "sync/server/credit_support.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "shared/csv.hpp"
#include "shared/hours.hpp"
#include "shared/time.hpp"
#include "sync/server/scan_clock.hpp"

namespace muster::server {

using namespace credit_support; // NOLINT(google-build-using-namespace)

// ---- credit forms ----

namespace {

// "useful: Yes; pace: Right": the answers in the event's question order, then any answer to a
// question the event no longer has (an edited survey), by id.
std::string survey_text(const Event& event, const std::string& details) {
  const auto parsed = nlohmann::json::parse(details, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return {};
  const auto answers = parsed.find("answers");
  if (answers == parsed.end() || !answers->is_object()) return {};
  std::string text;
  const auto add = [&](const std::string& id, const nlohmann::json& value) {
    if (!value.is_string()) return;
    text += (text.empty() ? "" : "; ") + id + ": " + value.get<std::string>();
  };
  std::set<std::string> known;
  for (const SurveyQuestion& question : event.survey) {
    known.insert(question.id);
    if (const auto it = answers->find(question.id); it != answers->end()) add(question.id, *it);
  }
  for (const auto& [id, value] : answers->items()) {
    if (!known.contains(id)) add(id, value);
  }
  return text;
}

bool confirmed_at_kiosk(const std::string& details) {
  if (details.empty()) return false;
  const auto parsed = nlohmann::json::parse(details, nullptr, false);
  return !parsed.is_discarded() && parsed.is_object() && parsed.value("confirmed", "") == "kiosk";
}

// The scans are the whole event's; the row's attendee's (and merged walk-ins') are used.
CreditFormNotes form_notes(const Event& event, const CreditRow& row,
                           const std::vector<Scan>& scans) {
  const auto theirs = [&](const Scan& scan) {
    return scan.attendee_id == row.attendee.id ||
           std::find(row.walk_in_ids.begin(), row.walk_in_ids.end(), scan.attendee_id) !=
               row.walk_in_ids.end();
  };
  CreditFormNotes notes;
  std::optional<Instant> survey_at;
  std::optional<std::string> how;
  for (const Scan& scan : scans) {
    if (!theirs(scan)) continue;
    if (scan.kind == ScanKind::survey) {
      if (scan.session_id != row.session.id) continue;
      const Instant when = corrected_time(scan);
      const std::string text = survey_text(event, scan.details);
      if (!text.empty() && (!survey_at || when >= *survey_at)) {
        survey_at = when;
        notes.survey = text;
      }
      continue;
    }
    // The leave that counts is the one at the attendance's final leave time, at whichever door
    // and in whichever session the door guessed (the presence rule placed it); a confirmed
    // kiosk leave wins over another scan at the same instant.
    if (!row.attendance.final_leave || counted_time(scan) != *row.attendance.final_leave) {
      continue;
    }
    const std::string zone = event.timezone;
    if (scan.kind == ScanKind::leave && confirmed_at_kiosk(scan.details)) {
      how = "confirmed at kiosk " + format_local(counted_time(scan), zone, "%H:%M");
    } else if (scan.kind == ScanKind::leave && !how) {
      how = "not confirmed by the official";
    } else if (scan.kind == ScanKind::correction && scan.correction == Correction::leave && !how) {
      how = "staff correction";
    }
  }
  if (how) {
    notes.confirmation = *how;
  } else {
    notes.confirmation =
        row.attendance.final_leave ? "not confirmed by the official" : "no leave recorded";
  }
  // A door that did not know of the official's scan at another door labelled it otherwise:
  // the credit follows the presence rule, and the form says so.
  for (const std::string& item : row.review)
    notes.confirmation += "; note: " + item + " (credit follows the scans of every door)";
  for (const std::string& item : row.clock)
    notes.confirmation += "; " + item;
  return notes;
}

} // namespace

CreditResult<CreditForm> build_credit_form(ServerStore& store, std::string_view event_id,
                                           std::string_view attendee_id) {
  auto event = store.event(event_id);
  if (!event) return store_error(event.error());
  auto attendee = store.attendee(attendee_id);
  if (!attendee) {
    if (attendee.code() == DbError::not_found) {
      return fail(CreditError::not_found,
                  "no attendee '" + std::string(attendee_id) + "' on the roster");
    }
    return store_error(attendee.error());
  }
  auto rows = compute_credits(store, *event);
  if (!rows) return fail(CreditError::store, rows.message());
  auto name = league_name(store);
  if (!name) return name.error();
  CreditForm form;
  form.league_name = std::move(*name);
  form.event = std::move(*event);
  form.attendee = std::move(*attendee);
  form.attendee.email.clear();
  for (CreditRow& row : *rows) {
    if (row.attendee.id == attendee_id) form.rows.push_back(std::move(row));
  }
  if (!form.rows.empty()) {
    form.checked_in_at = form.rows.front().checked_in_at;
    form.attendee.role = form.rows.front().attendee.role; // the role at the event, not today's
  }
  if (form.rows.empty()) {
    return fail(CreditError::not_found, "no attendance of '" + std::string(attendee_id) +
                                            "' recorded at event '" + form.event.id + "'");
  }
  // The same clock-corrected times the credit was computed from (sync/server/scan_clock.hpp).
  auto clocked = clocked_scans_for_event(store, form.event.id);
  if (!clocked) return store_error(clocked.error());
  for (const CreditRow& row : form.rows) {
    form.notes.push_back(form_notes(form.event, row, clocked->scans));
  }
  return form;
}

namespace {

// The attendee earns credit at the event: a session row the event's programs credit (by the
// role held on the session's date).
bool earns_credit(const CreditForm& form) {
  return std::any_of(form.rows.begin(), form.rows.end(),
                     [](const CreditRow& row) { return row.attendance.eligible; });
}

// A session without survey answers says so instead of leaving the reader to guess.
constexpr std::string_view kNoSurvey = "none";

const CreditFormNotes& notes_of(const CreditForm& form, std::size_t row) {
  static const CreditFormNotes kNone{std::string(kNoSurvey), "no leave recorded"};
  return row < form.notes.size() ? form.notes[row] : kNone;
}

std::string survey_or_none(const CreditFormNotes& notes) {
  return notes.survey.empty() ? std::string(kNoSurvey) : notes.survey;
}

std::string local_or_dash(const std::optional<Instant>& instant, std::string_view zone) {
  return optional_local(instant, zone).value_or("-");
}

double total_hours(const CreditForm& form) {
  double total = 0;
  for (const CreditRow& row : form.rows)
    total += row.attendance.credit_hours;
  return total;
}

} // namespace

std::string credit_form_csv(const CreditForm& form) {
  std::string text =
      csv_row({"event_id", "official_id", "name", "session_id", "session_title", "date", "arrived",
               "left", "early_leave", "early_leave_time", "credit_hours", "eligible", "survey",
               "kiosk_confirmation", "checked_in_at"});
  for (std::size_t r = 0; r < form.rows.size(); ++r) {
    const CreditRow& row = form.rows[r];
    const Attendance& a = row.attendance;
    const std::string zone = form.event.timezone;
    text += csv_row(
        {form.event.id, form.attendee.id, full_name(form.attendee), row.session.id,
         row.session.title, local_date(row.session.start, zone),
         optional_local(a.first_arrival, zone).value_or(""),
         optional_local(a.final_leave, zone).value_or(""), a.early_leave ? "true" : "false",
         optional_local(a.early_leave_time, zone).value_or(""),
         format_hours(a.credit_hours, HoursStyle::two_decimals), a.eligible ? "true" : "false",
         survey_or_none(notes_of(form, r)), notes_of(form, r).confirmation,
         optional_local(form.checked_in_at, zone).value_or("")});
  }
  return text;
}

PdfDocument credit_form_document(const CreditForm& form) {
  PdfDocument doc;
  doc.title = "Credit form";
  doc.subtitle = form.league_name + "  ·  " + form.event.name;
  doc.footer = "Credit form of " + form.attendee.id + " for " + form.event.id;
  PdfBlock head;
  head.lines.push_back(full_name(form.attendee) + ", " +
                       std::string(to_string(form.attendee.role)) + ", " +
                       form.attendee.municipality + "  (id " + form.attendee.id + ")");
  head.lines.push_back(form.event.location + ", " +
                       local_date(form.rows.front().session.start, form.event.timezone) +
                       "  ·  times in " + form.event.timezone);
  head.lines.push_back("Arrival and leave times were recorded by the kiosks at the doors.");
  head.lines.push_back(form.checked_in_at
                           ? "Checked in at " +
                                 format_local(*form.checked_in_at, form.event.timezone) +
                                 " (registration desk)"
                           : std::string("Checked in at: - (no registration desk check-in)"));
  if (form.rows.front().provisional) {
    head.lines.push_back("Provisional: walk-in, to be confirmed by the League "
                         "(muster-server confirm-walk-in).");
  }
  doc.blocks.push_back(std::move(head));

  PdfBlock sessions;
  PdfTable table;
  table.caption = "Sessions";
  table.columns = {"Session", "Arrived", "Left", "Early leave", "Hours"};
  table.widths = {4.0, 1.1, 1.1, 1.3, 0.8};
  for (const CreditRow& row : form.rows) {
    const Attendance& a = row.attendance;
    table.rows.push_back(
        {row.session.title, local_or_dash(a.first_arrival, form.event.timezone),
         local_or_dash(a.final_leave, form.event.timezone),
         a.early_leave ? "yes, " + local_or_dash(a.early_leave_time, form.event.timezone) : "no",
         format_hours(a.credit_hours, HoursStyle::two_decimals)});
  }
  sessions.table = std::move(table);
  doc.blocks.push_back(std::move(sessions));

  // Per session: how the leave was confirmed and the survey answers.
  PdfBlock kiosk;
  PdfTable confirmations;
  confirmations.caption = "At the kiosk";
  confirmations.columns = {"Session", "Leave"};
  confirmations.widths = {4.0, 3.3};
  for (std::size_t r = 0; r < form.rows.size(); ++r) {
    confirmations.rows.push_back({form.rows[r].session.title, notes_of(form, r).confirmation});
  }
  kiosk.table = std::move(confirmations);
  doc.blocks.push_back(std::move(kiosk));
  // Answers can be long: lines wrap where table cells would be shortened.
  PdfBlock survey;
  survey.lines.push_back("Survey answers after leaving:");
  for (std::size_t r = 0; r < form.rows.size(); ++r) {
    survey.lines.push_back("  " + form.rows[r].session.title + ": " +
                           survey_or_none(notes_of(form, r)));
  }
  doc.blocks.push_back(std::move(survey));

  PdfBlock end;
  const bool eligible = earns_credit(form);
  end.lines.push_back(
      "Total credit hours: " + format_hours(total_hours(form), HoursStyle::two_decimals) +
      (eligible ? "" : " (this role earns no CMO credit)"));
  end.lines.push_back("Claiming credit for time not attended could be an ethics violation.");
  doc.blocks.push_back(std::move(end));
  return doc;
}

CreditResult<PdfDocument> verification_letter_document(const CreditForm& form, Instant now) {
  const Role role = form.rows.empty() ? form.attendee.role : form.rows.front().attendee.role;
  if (earns_credit(form)) {
    return fail(CreditError::not_eligible,
                "'" + form.attendee.id + "' is a " + std::string(to_string(role)) +
                    " and earns CMO credit (under the event's programs: " +
                    join(form.event.programs, ", ") +
                    "): use credit-form or transcript instead of a verification letter");
  }
  PdfDocument doc;
  doc.title = "Attendance verification";
  doc.subtitle = form.league_name;
  doc.footer = "Verification of attendance of " + form.attendee.id + " at " + form.event.id;
  PdfBlock body;
  body.lines.push_back(format_local(now, form.event.timezone, "%Y-%m-%d"));
  body.lines.push_back("");
  body.lines.push_back("To whom it may concern,");
  body.lines.push_back("");
  body.lines.push_back(
      "This letter verifies that " + full_name(form.attendee) + " (" +
      std::string(to_string(role)) +
      (form.attendee.municipality.empty() ? "" : ", " + form.attendee.municipality) + ")");
  body.lines.push_back("attended " + form.event.name + " (" + form.event.location + ") on " +
                       local_date(form.rows.front().session.start, form.event.timezone) +
                       " as recorded by the check-in kiosks:");
  PdfTable table;
  table.columns = {"Session", "Arrived", "Left"};
  table.widths = {4.5, 1.2, 1.2};
  for (const CreditRow& row : form.rows) {
    table.rows.push_back({row.session.title,
                          local_or_dash(row.attendance.first_arrival, form.event.timezone),
                          local_or_dash(row.attendance.final_leave, form.event.timezone)});
  }
  body.table = std::move(table);
  doc.blocks.push_back(std::move(body));
  PdfBlock end;
  end.lines.push_back("This attendance does not carry Certified Municipal Official (CMO) credit,");
  end.lines.push_back("which the program grants to elected officials only.");
  end.lines.push_back("");
  end.lines.push_back(form.league_name);
  doc.blocks.push_back(std::move(end));
  return doc;
}
} // namespace muster::server
