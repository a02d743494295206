// The event JSON and its survey (docs/formats.md). The roster and municipalities CSV are in
// import_roster.cpp; the checks both share are in import_support.cpp.
#include "shared/import.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "shared/csv.hpp"
#include "shared/import_support.hpp"
#include "shared/time.hpp"

namespace muster {
namespace {

using namespace import_support; // NOLINT(google-build-using-namespace)

ImportResult<CreditPolicy> parse_policy(const JsonContext& ctx, const json& root) {
  CreditPolicy policy;
  const json* object = find_value(root, "credit_policy");
  if (object == nullptr) return policy; // every value has a default
  const std::string path = "credit_policy";
  if (!object->is_object()) {
    return ctx.fail_at(ImportErrc::field, path, "must be an object, not " + json_type(*object));
  }
  static constexpr std::array<std::string_view, 5> kKeys{
      "arrival_grace_min", "leave_grace_min", "increment_hours", "debounce_s", "lead_time_min"};
  if (auto keys = check_keys(ctx, *object, path, kKeys); !keys) return keys.error();

  const auto in_range = [&](std::string_view key, double fallback, double low, double high,
                            bool whole, bool low_open) -> ImportResult<double> {
    auto number = get_number(ctx, *object, key, path, fallback, whole);
    if (!number) return number;
    if (*number > high || *number < low || (low_open && *number == low)) {
      return ctx.fail_at(
          ImportErrc::field, child(path, key),
          format_number(*number) +
              (low_open ? " is out of range (must be more than " : " is out of range (") +
              format_number(low) + (low_open ? " and at most " : " to ") + format_number(high) +
              ")");
    }
    return number;
  };
  const auto arrival = in_range(
      "arrival_grace_min", static_cast<double>(policy.arrival_grace.count()), 0, 240, true, false);
  if (!arrival) return arrival.error();
  const auto leave = in_range("leave_grace_min", static_cast<double>(policy.leave_grace.count()), 0,
                              240, true, false);
  if (!leave) return leave.error();
  const auto increment = in_range("increment_hours", policy.increment_hours, 0, 8, false, true);
  if (!increment) return increment.error();
  const auto debounce =
      in_range("debounce_s", static_cast<double>(policy.debounce.count()), 0, 3600, true, false);
  if (!debounce) return debounce.error();
  const auto lead =
      in_range("lead_time_min", static_cast<double>(policy.lead_time.count()), 0, 240, true, false);
  if (!lead) return lead.error();

  policy.lead_time = std::chrono::minutes(static_cast<std::int64_t>(*lead));
  policy.arrival_grace = std::chrono::minutes(static_cast<std::int64_t>(*arrival));
  policy.leave_grace = std::chrono::minutes(static_cast<std::int64_t>(*leave));
  policy.increment_hours = *increment;
  policy.debounce = std::chrono::seconds(static_cast<std::int64_t>(*debounce));
  return policy;
}

ImportResult<Session> parse_session(const JsonContext& ctx, const json& object,
                                    const std::string& path, const std::string& zone) {
  if (!object.is_object()) {
    return ctx.fail_at(ImportErrc::field, path, "must be an object, not " + json_type(object));
  }
  static constexpr std::array<std::string_view, 9> kKeys{
      "id", "title", "room", "start", "end", "credit_hours", "course_code", "core", "topic"};
  if (auto keys = check_keys(ctx, object, path, kKeys); !keys) return keys.error();

  Session session;
  auto id = get_id(ctx, object, "id", path);
  if (!id) return id.error();
  session.id = std::move(*id);
  auto title = get_string(ctx, object, "title", path, Need::required);
  if (!title) return title.error();
  session.title = std::move(*title);
  auto room = get_string(ctx, object, "room", path, Need::optional);
  if (!room) return room.error();
  session.room = std::move(*room);

  const auto start = get_time(ctx, object, "start", path, zone);
  if (!start) return start.error();
  const auto end = get_time(ctx, object, "end", path, zone);
  if (!end) return end.error();
  if (*end <= *start) {
    return ctx.fail_at(ImportErrc::field, child(path, "end"),
                       "the session ends (" + format_local(*end, zone) +
                           ") no later than it starts (" + format_local(*start, zone) + ")");
  }
  if (*end - *start > std::chrono::hours(24)) {
    return ctx.fail_at(ImportErrc::field, child(path, "end"),
                       "the session lasts more than 24 hours; split it into one session a day");
  }
  session.start = *start;
  session.end = *end;

  const auto hours = get_number(ctx, object, "credit_hours", path, std::nullopt, false);
  if (!hours) return hours.error();
  if (*hours < 0 || *hours > 24) {
    return ctx.fail_at(ImportErrc::field, child(path, "credit_hours"),
                       format_number(*hours) + " is out of range (0 to 24)");
  }
  session.credit_hours = *hours;

  const auto core = get_bool(ctx, object, "core", path, false);
  if (!core) return core.error();
  session.core = *core;
  // Core courses earn credit once per official, recognised by their course code.
  if (session.core && find_value(object, "course_code") == nullptr) {
    return ctx.fail_at(ImportErrc::field, child(path, "course_code"),
                       "missing; a core session needs its course code (core courses earn credit "
                       "once)");
  }
  auto code =
      get_string(ctx, object, "course_code", path, session.core ? Need::required : Need::optional);
  if (!code) return code.error();
  session.course_code = std::move(*code);
  auto topic = get_string(ctx, object, "topic", path, Need::optional);
  if (!topic) return topic.error();
  session.topic = std::move(*topic);
  return session;
}

// Survey text is counted in characters (UTF-8 code points), not bytes: a question in French
// should fit as well as one in English.
std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

// A survey string: a non-empty single line of at most `max_chars` characters.
ImportResult<std::string> get_survey_text(const JsonContext& ctx, const json& value,
                                          const std::string& where, std::size_t max_chars) {
  if (!value.is_string()) {
    return ctx.fail_at(ImportErrc::field, where, "must be a string, not " + json_type(value));
  }
  const auto& text = value.get_ref<const std::string&>();
  if (trim(text).empty()) return ctx.fail_at(ImportErrc::field, where, "must not be empty");
  if (const auto control = find_control(text, false)) {
    return ctx.fail_at(ImportErrc::field, where, "contains " + describe_control(*control));
  }
  if (utf8_length(text) > max_chars) {
    return ctx.fail_at(ImportErrc::field, where,
                       "is longer than " + std::to_string(max_chars) + " characters");
  }
  return text;
}

ImportResult<SurveyQuestion> parse_question(const JsonContext& ctx, const json& object,
                                            const std::string& path) {
  if (!object.is_object()) {
    return ctx.fail_at(ImportErrc::field, path, "must be an object, not " + json_type(object));
  }
  static constexpr std::array<std::string_view, 3> kKeys{"id", "text", "choices"};
  if (auto keys = check_keys(ctx, object, path, kKeys); !keys) return keys.error();
  SurveyQuestion question;
  auto id = get_id(ctx, object, "id", path);
  if (!id) return id.error();
  question.id = std::move(*id);
  const json* text = find_value(object, "text");
  if (text == nullptr) {
    return ctx.fail_at(ImportErrc::field, child(path, "text"), "missing (required)");
  }
  auto checked = get_survey_text(ctx, *text, child(path, "text"), kMaxSurveyTextChars);
  if (!checked) return checked.error();
  question.text = std::move(*checked);

  const std::string where = child(path, "choices");
  const json* choices = find_value(object, "choices");
  if (choices == nullptr) return ctx.fail_at(ImportErrc::field, where, "missing (required)");
  if (!choices->is_array()) {
    return ctx.fail_at(ImportErrc::field, where,
                       "must be an array [...] of strings, not " + json_type(*choices));
  }
  if (choices->size() < kMinSurveyChoices || choices->size() > kMaxSurveyChoices) {
    return ctx.fail_at(ImportErrc::field, where,
                       "has " + std::to_string(choices->size()) + " choices; a question needs " +
                           std::to_string(kMinSurveyChoices) + " to " +
                           std::to_string(kMaxSurveyChoices));
  }
  for (std::size_t i = 0; i < choices->size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    auto choice = get_survey_text(ctx, (*choices)[i], at, kMaxSurveyChoiceChars);
    if (!choice) return choice.error();
    const auto same = std::find(question.choices.begin(), question.choices.end(), *choice);
    if (same != question.choices.end()) {
      return ctx.fail_at(ImportErrc::duplicate, at,
                         in_quotes(*choice) + " is already choice " +
                             std::to_string(same - question.choices.begin()) + " of this question");
    }
    question.choices.push_back(std::move(*choice));
  }
  return question;
}

// "survey" is optional: absent, null or [] all mean no survey after a leave.
ImportResult<std::vector<SurveyQuestion>> parse_survey(const JsonContext& ctx, const json& root,
                                                       const std::string& path) {
  std::vector<SurveyQuestion> survey;
  const json* list = find_value(root, path);
  if (list == nullptr) return survey;
  if (!list->is_array()) {
    return ctx.fail_at(ImportErrc::field, path,
                       "must be an array [...] of questions, not " + json_type(*list));
  }
  if (list->size() > kMaxSurveyQuestions) {
    return ctx.fail_at(ImportErrc::field, path,
                       "has " + std::to_string(list->size()) + " questions; at most " +
                           std::to_string(kMaxSurveyQuestions) +
                           " (officials answer them at the door)");
  }
  std::map<std::string, std::size_t> index_of_id; // lower-case id -> first index
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    auto question = parse_question(ctx, (*list)[i], at);
    if (!question) return question.error();
    const auto [it, inserted] = index_of_id.emplace(lower_ascii(question->id), i);
    if (!inserted) {
      return ctx.fail_at(ImportErrc::duplicate, at + ".id",
                         in_quotes(question->id) + " is already the id of " + path + "[" +
                             std::to_string(it->second) + "] (ids are compared ignoring case)");
    }
    survey.push_back(std::move(*question));
  }
  return survey;
}

// "programs": the ids of the credit programs the event grants credit under; absent means the
// League's ALM program (every event before events named programs).
ImportResult<std::vector<std::string>> parse_programs(const JsonContext& ctx, const json& root) {
  const json* list = find_value(root, "programs");
  if (list == nullptr) return Event::default_event_programs();
  if (!list->is_array() || list->empty()) {
    return ctx.fail_at(ImportErrc::field, "programs",
                       "must be a non-empty array of program ids, e.g. [\"alm-cmo\"]");
  }
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = "programs[" + std::to_string(i) + "]";
    const json& item = (*list)[i];
    if (!item.is_string() || !is_valid_badge_id(item.get_ref<const std::string&>())) {
      return ctx.fail_at(ImportErrc::field, path,
                         "must be a program id (letters, digits, '-' and '_'), e.g. \"amcto-pdu\"");
    }
    const auto& id = item.get_ref<const std::string&>();
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
      return ctx.fail_at(ImportErrc::duplicate, path, in_quotes(id) + " is listed twice");
    }
    ids.push_back(id);
  }
  return ids;
}

// "eligible_roles": written by the server into the event package from the programs' files, so
// a kiosk knows who earns credit; absent means the ALM program's mayors and councilmembers.
ImportResult<std::vector<Role>> parse_eligible_roles(const JsonContext& ctx, const json& root) {
  const json* list = find_value(root, "eligible_roles");
  if (list == nullptr) return Event::default_eligible_roles();
  if (!list->is_array()) {
    return ctx.fail_at(ImportErrc::field, "eligible_roles", "must be an array of role names");
  }
  std::vector<Role> roles;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const auto role =
        item.is_string() ? parse_role(item.get_ref<const std::string&>()) : std::nullopt;
    if (!role) {
      return ctx.fail_at(ImportErrc::field, "eligible_roles[" + std::to_string(i) + "]",
                         "must be one of " + std::string(kRoleList));
    }
    if (std::find(roles.begin(), roles.end(), *role) == roles.end()) roles.push_back(*role);
  }
  return roles;
}

ImportResult<Event> parse_event(const JsonContext& ctx, const json& root) {
  if (!root.is_object()) {
    return ctx.fail_at(ImportErrc::field, {},
                       "the top level must be a JSON object {...}, not " + json_type(root));
  }
  static constexpr std::array<std::string_view, 9> kKeys{
      "id",       "name",   "timezone", "location",      "credit_policy",
      "sessions", "survey", "programs", "eligible_roles"};
  if (auto keys = check_keys(ctx, root, {}, kKeys); !keys) return keys.error();

  Event event;
  auto id = get_id(ctx, root, "id", {});
  if (!id) return id.error();
  event.id = std::move(*id);
  auto name = get_string(ctx, root, "name", {}, Need::required);
  if (!name) return name.error();
  event.name = std::move(*name);
  auto zone = get_string(ctx, root, "timezone", {}, Need::required);
  if (!zone) return zone.error();
  if (!is_known_time_zone(*zone)) {
    return ctx.fail_at(ImportErrc::field, "timezone",
                       in_quotes(*zone) +
                           " is not a time zone this machine knows; use an IANA name "
                           "such as America/Chicago");
  }
  event.timezone = std::move(*zone);
  auto location = get_string(ctx, root, "location", {}, Need::optional);
  if (!location) return location.error();
  event.location = std::move(*location);
  auto policy = parse_policy(ctx, root);
  if (!policy) return policy.error();
  event.credit_policy = *policy;

  const json* sessions = find_value(root, "sessions");
  if (sessions == nullptr) return ctx.fail_at(ImportErrc::field, "sessions", "missing (required)");
  if (!sessions->is_array()) {
    return ctx.fail_at(ImportErrc::field, "sessions",
                       "must be an array [...], not " + json_type(*sessions));
  }
  if (sessions->empty()) {
    return ctx.fail_at(ImportErrc::empty, "sessions", "the event has no sessions");
  }
  std::map<std::string, std::size_t> index_of_id; // lower-case id -> first index
  for (std::size_t i = 0; i < sessions->size(); ++i) {
    const std::string path = "sessions[" + std::to_string(i) + "]";
    auto session = parse_session(ctx, (*sessions)[i], path, event.timezone);
    if (!session) return session.error();
    const auto [it, inserted] = index_of_id.emplace(lower_ascii(session->id), i);
    if (!inserted) {
      return ctx.fail_at(ImportErrc::duplicate, path + ".id",
                         in_quotes(session->id) + " is already the id of sessions[" +
                             std::to_string(it->second) + "] (ids are compared ignoring case)");
    }
    event.sessions.push_back(std::move(*session));
  }
  auto survey = parse_survey(ctx, root, "survey");
  if (!survey) return survey.error();
  event.survey = std::move(*survey);
  auto programs = parse_programs(ctx, root);
  if (!programs) return programs.error();
  event.programs = std::move(*programs);
  auto roles = parse_eligible_roles(ctx, root);
  if (!roles) return roles.error();
  event.eligible_roles = std::move(*roles);
  return event;
}

// nlohmann keeps the last of two equal keys silently; a repeated "credit_hours" is a mistake
// worth refusing, so the parse callback remembers the first repeated key.
json parse_json_refusing_duplicate_keys(std::string_view bytes,
                                        std::optional<std::string>& repeated) {
  std::vector<std::set<std::string>> open_objects;
  const json::parser_callback_t callback = [&](int /*depth*/, json::parse_event_t event,
                                               json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end && !open_objects.empty()) {
      open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second && !repeated) repeated = key;
    }
    return true;
  };
  return json::parse(bytes, callback);
}

// nlohmann's what() starts "[json.exception.parse_error.101] "; people need only the rest.
std::string without_exception_id(std::string what) {
  if (const auto bracket = what.find("] "); bracket != std::string::npos)
    what.erase(0, bracket + 2);
  return what;
}

} // namespace
ImportResult<Event> parse_event_json(std::string_view bytes, std::string_view source_name) {
  const JsonContext ctx{source_name};
  if (auto error = check_utf8(bytes, source_name)) return *error;
  std::optional<std::string> repeated;
  json root;
  try {
    root = parse_json_refusing_duplicate_keys(bytes, repeated);
  } catch (const json::parse_error& error) {
    const std::string what = without_exception_id(error.what());
    const std::size_t line = line_of_offset(bytes, error.byte == 0 ? 0 : error.byte - 1);
    return fail(ImportError{ImportErrc::syntax, line, {}}, std::string(source_name) + " line " +
                                                               std::to_string(line) +
                                                               ": not valid JSON (" + what + ")");
  } catch (const json::exception& error) { // e.g. a number too large to store
    return fail(ImportError{ImportErrc::syntax, 0, {}},
                std::string(source_name) + ": not valid JSON (" +
                    without_exception_id(error.what()) + ")");
  }
  if (repeated) {
    return fail(ImportError{ImportErrc::syntax, 0, *repeated},
                std::string(source_name) + ": the key " + in_quotes(*repeated) +
                    " appears twice in one object; each key may appear only once");
  }
  return parse_event(ctx, root);
}

std::string survey_to_json(const std::vector<SurveyQuestion>& survey) {
  json list = json::array();
  for (const SurveyQuestion& question : survey) {
    list.push_back({{"id", question.id}, {"text", question.text}, {"choices", question.choices}});
  }
  return list.dump();
}

ImportResult<std::vector<SurveyQuestion>> parse_survey_json(std::string_view bytes,
                                                            std::string_view source_name) {
  const JsonContext ctx{source_name};
  if (auto error = check_utf8(bytes, source_name)) return *error;
  json root;
  try {
    root = {{"survey", json::parse(bytes.empty() ? std::string_view("[]") : bytes)}};
  } catch (const json::exception& error) {
    return fail(ImportError{ImportErrc::syntax, 0, {}},
                std::string(source_name) + ": not valid JSON (" +
                    without_exception_id(error.what()) + ")");
  }
  return parse_survey(ctx, root, "survey");
}

ImportResult<Event> read_event_json(const std::filesystem::path& path) {
  auto bytes = read_import_file(path);
  if (!bytes) return bytes.error();
  return parse_event_json(*bytes, path.filename().string());
}

} // namespace muster
