#pragma once
// Importing the roster (CSV) and the event (JSON) that staff prepare in a spreadsheet or editor.
// All or nothing: any bad row or field fails the whole import, with a message that names the
// file, the line and the column (CSV) or the JSON path. The formats are in docs/formats.md.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"
#include "shared/result.hpp"

namespace muster {

enum class ImportErrc : std::uint8_t {
  io,        // the file is missing, unreadable or too large
  encoding,  // not UTF-8 (e.g. a Latin-1 or UTF-16 export)
  syntax,    // not CSV (unterminated quote) or not JSON (parser error)
  header,    // roster header missing, with an unknown or a repeated column
  field,     // a value is missing, of the wrong type or out of range
  duplicate, // an attendee id or session id appears twice
  empty,     // nothing to import (no attendee rows, no sessions)
};

// Where and why an import failed. The Result's message is the full sentence for a person, e.g.
// "roster.csv line 14, column role: 'Mayr' is not one of mayor, councilmember, clerk, staff,
// guest".
struct ImportError {
  ImportErrc kind;
  std::size_t line = 0; // 1-based physical line where the bad record starts; 0 when unknown
  std::string field;    // CSV column name ("role") or JSON path ("sessions[2].end"); may be empty
};

template <class T> using ImportResult = Result<T, ImportError>;

// Largest file the importers read; a bigger "roster" is the wrong file, not a roster.
inline constexpr std::uintmax_t kMaxImportBytes = 64u * 1024u * 1024u;

// The roster CSV (header attendee_id,first_name,last_name,role,municipality,email in any order).
// `source_name` only labels messages.
ImportResult<std::vector<Attendee>> parse_roster_csv(std::string_view bytes,
                                                     std::string_view source_name = "roster.csv");
ImportResult<std::vector<Attendee>> read_roster_csv(const std::filesystem::path& path);

// The League's municipalities CSV (header id,name,council_seats in any order; docs/formats.md):
// ids as in the roster's municipality_id, seats 0..1000 besides the mayor.
ImportResult<std::vector<Municipality>>
parse_municipalities_csv(std::string_view bytes,
                         std::string_view source_name = "municipalities.csv");
ImportResult<std::vector<Municipality>> read_municipalities_csv(const std::filesystem::path& path);

// The event JSON: id, name, timezone, location, credit_policy, sessions, survey. Session times are
// stored as UTC instants.
ImportResult<Event> parse_event_json(std::string_view bytes,
                                     std::string_view source_name = "event.json");
ImportResult<Event> read_event_json(const std::filesystem::path& path);

// The event's optional "survey" (docs/formats.md): at most 10 questions, each with a unique id
// (badge-id characters), a 1..200-character text and 2..6 distinct non-empty choices of at most
// 60 characters.
inline constexpr std::size_t kMaxSurveyQuestions = 10;
inline constexpr std::size_t kMaxSurveyTextChars = 200;
inline constexpr std::size_t kMinSurveyChoices = 2;
inline constexpr std::size_t kMaxSurveyChoices = 6;
inline constexpr std::size_t kMaxSurveyChoiceChars = 60;

// The survey as compact JSON text, [{"id","text","choices"}...]: the form the event JSON, the
// event package and both stores (survey_json columns) keep it in.
std::string survey_to_json(const std::vector<SurveyQuestion>& survey);
// Reads survey_to_json's text back with the event JSON's rules; "" reads as no survey.
ImportResult<std::vector<SurveyQuestion>>
parse_survey_json(std::string_view bytes, std::string_view source_name = "survey");

} // namespace muster
