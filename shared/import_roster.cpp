// The roster CSV and the municipalities CSV (docs/formats.md).
#include "shared/import.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include "shared/csv.hpp"
#include "shared/import_support.hpp"

namespace muster {
namespace {

using namespace import_support; // NOLINT(google-build-using-namespace)

// ---------------------------------------------------------------------------------------------
// Roster CSV

enum Column : std::size_t {
  kId,
  kFirstName,
  kLastName,
  kRole,
  kMunicipality,
  kEmail,
  kMunicipalityId, // optional: the League's municipality id
  kColumnCount
};
constexpr std::size_t kRequiredColumns = kMunicipalityId; // the columns before it

constexpr std::array<std::string_view, kColumnCount> kColumnNames{
    "attendee_id", "first_name", "last_name", "role", "municipality", "email", "municipality_id"};

std::string all_columns() {
  std::string text;
  for (std::size_t column = 0; column < kRequiredColumns; ++column) {
    if (!text.empty()) text += ',';
    text += kColumnNames[column];
  }
  return text + " (and optionally municipality_id)";
}

struct RosterContext {
  std::string_view source;

  Error<ImportError> fail_at(ImportErrc kind, std::size_t line, std::string_view column,
                             const std::string& what) const {
    std::string message = std::string(source) + " line " + std::to_string(line);
    if (!column.empty()) message += ", column " + std::string(column);
    return fail(ImportError{kind, line, std::string(column)}, message + ": " + what);
  }
};

// Maps each of the six columns to its position in the file; refuses missing, unknown or
// repeated columns so that a typo never silently drops a column.
ImportResult<std::array<std::size_t, kColumnCount>> map_header(const RosterContext& ctx,
                                                               const CsvRecord& header) {
  constexpr std::size_t kUnset = static_cast<std::size_t>(-1);
  std::array<std::size_t, kColumnCount> position{};
  position.fill(kUnset);
  std::string unknown;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string_view written = trim(header.fields[i]);
    const std::string name = lower_ascii(written);
    const auto known = std::find(kColumnNames.begin(), kColumnNames.end(), name);
    if (known == kColumnNames.end()) {
      unknown += (unknown.empty() ? "" : ", ") +
                 (name.empty() ? "an unnamed column " + std::to_string(i + 1) : in_quotes(written));
      continue;
    }
    const auto column = static_cast<std::size_t>(known - kColumnNames.begin());
    if (position[column] != kUnset) {
      return ctx.fail_at(ImportErrc::header, header.line, name,
                         "the column appears twice (columns " +
                             std::to_string(position[column] + 1) + " and " +
                             std::to_string(i + 1) + ")");
    }
    position[column] = i;
  }
  std::string missing;
  for (std::size_t column = 0; column < kRequiredColumns; ++column) {
    if (position[column] == kUnset) {
      missing += (missing.empty() ? "" : ", ") + std::string(kColumnNames[column]);
    }
  }
  if (!missing.empty() || !unknown.empty()) {
    std::string what;
    if (!missing.empty()) what += "missing column(s) " + missing;
    if (!unknown.empty()) what += (what.empty() ? "" : "; ") + ("unknown column(s) " + unknown);
    return ctx.fail_at(
        ImportErrc::header, header.line, {},
        what + ". The header must name exactly these columns, in any order: " + all_columns());
  }
  return position;
}

ImportResult<Attendee> parse_attendee(const RosterContext& ctx, const CsvRecord& record,
                                      std::span<const std::size_t, kColumnCount> position) {
  const std::size_t line = record.line;
  std::array<std::string_view, kColumnCount> value{};
  for (std::size_t column = 0; column < kColumnCount; ++column) {
    if (position[column] >= record.fields.size()) continue; // an optional column not given
    value[column] = trim(record.fields[position[column]]);
    if (const auto control = find_control(value[column], true)) {
      return ctx.fail_at(ImportErrc::field, line, kColumnNames[column],
                         "contains " + describe_control(*control));
    }
  }
  const auto require_text = [&](Column column) -> std::optional<Error<ImportError>> {
    if (value[column].empty()) {
      return ctx.fail_at(ImportErrc::field, line, kColumnNames[column], "is empty but required");
    }
    if (value[column].size() > kMaxTextBytes) {
      return ctx.fail_at(ImportErrc::field, line, kColumnNames[column],
                         "is longer than " + std::to_string(kMaxTextBytes) + " bytes");
    }
    return std::nullopt;
  };

  Attendee attendee;
  if (value[kId].empty()) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kId], "is empty but required");
  }
  if (!is_valid_badge_id(value[kId])) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kId],
                       in_quotes(value[kId]) +
                           " may only use letters A-Z, a-z, digits, '-' and '_' "
                           "(1 to 64 of them), because it goes into the badge");
  }
  attendee.id = std::string(value[kId]);
  for (const Column column : {kFirstName, kLastName}) {
    if (auto error = require_text(column)) return *error;
  }
  attendee.first_name = std::string(value[kFirstName]);
  attendee.last_name = std::string(value[kLastName]);

  if (value[kRole].empty()) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kRole],
                       "is empty but required (one of " + std::string(kRoleList) + ")");
  }
  const auto role = parse_role(lower_ascii(value[kRole]));
  if (!role) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kRole],
                       in_quotes(value[kRole]) + " is not one of " + std::string(kRoleList));
  }
  attendee.role = *role;

  if (!value[kMunicipalityId].empty() && !is_valid_badge_id(value[kMunicipalityId])) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kMunicipalityId],
                       in_quotes(value[kMunicipalityId]) +
                           " may only use letters A-Z, a-z, digits, '-' and '_' (1 to 64)");
  }
  attendee.municipality_id = std::string(value[kMunicipalityId]);
  if (is_elected(*role) && value[kMunicipality].empty() && value[kMunicipalityId].empty()) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kMunicipality],
                       "is required for a " + std::string(to_string(*role)) +
                           " (credit is reported per municipality; or give municipality_id)");
  }
  if (value[kMunicipality].size() > kMaxTextBytes) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kMunicipality],
                       "is longer than " + std::to_string(kMaxTextBytes) + " bytes");
  }
  attendee.municipality = std::string(value[kMunicipality]);

  if (!value[kEmail].empty() && !looks_like_email(value[kEmail])) {
    return ctx.fail_at(ImportErrc::field, line, kColumnNames[kEmail],
                       in_quotes(value[kEmail]) +
                           " does not look like an e-mail address (name@example.org); leave it "
                           "empty if unknown");
  }
  attendee.email = std::string(value[kEmail]);
  return attendee;
}

bool is_blank_row(const CsvRecord& record) {
  return std::all_of(record.fields.begin(), record.fields.end(),
                     [](const std::string& field) { return trim(field).empty(); });
}
} // namespace

ImportResult<std::vector<Attendee>> parse_roster_csv(std::string_view bytes,
                                                     std::string_view source_name) {
  const RosterContext ctx{source_name};
  if (auto error = check_utf8(bytes, source_name)) return *error;
  const std::string_view text = strip_utf8_bom(bytes);

  auto records = parse_csv(text);
  if (!records) {
    // The CSV reader's message already starts with "line N: ".
    return fail(ImportError{ImportErrc::syntax, records.code().line, {}},
                std::string(source_name) + " " + records.message());
  }
  if (records->empty()) {
    return fail(ImportError{ImportErrc::empty, 1, {}},
                std::string(source_name) + " is empty; the first line must be the header " +
                    all_columns());
  }
  const auto position = map_header(ctx, records->front());
  if (!position) return position.error();

  std::vector<Attendee> attendees;
  std::map<std::string, std::size_t> line_of_id; // lower-case id -> line of its first row
  const auto header_columns = records->front().fields.size();
  for (std::size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& record = (*records)[r];
    if (is_blank_row(record)) continue; // spreadsheets export empty rows as ",,,,,"
    if (record.fields.size() != header_columns) {
      return ctx.fail_at(ImportErrc::field, record.line, {},
                         "the row has " + std::to_string(record.fields.size()) +
                             " values but the header has " + std::to_string(header_columns) +
                             " columns (a value containing a comma must be in double quotes)");
    }
    auto attendee = parse_attendee(ctx, record, *position);
    if (!attendee) return attendee.error();
    // Ids differing only in case would look the same to a person: refuse them as duplicates.
    const auto [it, inserted] = line_of_id.emplace(lower_ascii(attendee->id), record.line);
    if (!inserted) {
      return ctx.fail_at(ImportErrc::duplicate, record.line, kColumnNames[kId],
                         in_quotes(attendee->id) + " is already used on line " +
                             std::to_string(it->second) + " (ids are compared ignoring case)");
    }
    attendees.push_back(std::move(*attendee));
  }
  if (attendees.empty()) {
    return fail(ImportError{ImportErrc::empty, records->front().line, {}},
                std::string(source_name) + " has a header but no attendee rows");
  }
  return attendees;
}

ImportResult<std::vector<Attendee>> read_roster_csv(const std::filesystem::path& path) {
  auto bytes = read_import_file(path);
  if (!bytes) return bytes.error();
  return parse_roster_csv(*bytes, path.filename().string());
}

ImportResult<std::vector<Municipality>> parse_municipalities_csv(std::string_view bytes,
                                                                 std::string_view source_name) {
  const RosterContext ctx{source_name};
  if (auto error = check_utf8(bytes, source_name)) return *error;
  auto records = parse_csv(strip_utf8_bom(bytes));
  if (!records) {
    return fail(ImportError{ImportErrc::syntax, records.code().line, {}},
                std::string(source_name) + " " + records.message());
  }
  constexpr std::array<std::string_view, 3> kNames{"id", "name", "council_seats"};
  if (records->empty()) {
    return fail(ImportError{ImportErrc::empty, 1, {}},
                std::string(source_name) + " is empty; the first line must be the header " +
                    "id,name,council_seats");
  }
  const CsvRecord& header = records->front();
  std::array<std::size_t, 3> position{};
  for (std::size_t column = 0; column < kNames.size(); ++column) {
    std::size_t found = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
      if (lower_ascii(trim(header.fields[i])) == kNames[column]) {
        found = i;
        ++count;
      }
    }
    if (count != 1 || header.fields.size() != kNames.size()) {
      return ctx.fail_at(ImportErrc::header, header.line, {},
                         "the header must name exactly these columns, in any order: "
                         "id,name,council_seats");
    }
    position[column] = found;
  }
  std::vector<Municipality> list;
  std::map<std::string, std::size_t> line_of_id;
  for (std::size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& record = (*records)[r];
    if (is_blank_row(record)) continue;
    if (record.fields.size() != kNames.size()) {
      return ctx.fail_at(ImportErrc::field, record.line, {},
                         "the row has " + std::to_string(record.fields.size()) +
                             " values but the header has 3 columns");
    }
    const std::string_view id = trim(record.fields[position[0]]);
    const std::string_view name = trim(record.fields[position[1]]);
    const std::string_view seats = trim(record.fields[position[2]]);
    if (!is_valid_badge_id(id)) {
      return ctx.fail_at(ImportErrc::field, record.line, "id",
                         in_quotes(id) + " must be 1 to 64 of A-Z, a-z, 0-9, '-' and '_'");
    }
    if (name.empty() || name.size() > kMaxTextBytes || find_control(name, false)) {
      return ctx.fail_at(ImportErrc::field, record.line, "name",
                         "must be the municipality's name (one line, not empty)");
    }
    int count = -1;
    const auto [end, ec] = std::from_chars(seats.data(), seats.data() + seats.size(), count);
    if (ec != std::errc{} || end != seats.data() + seats.size() || count < 0 || count > 1000) {
      return ctx.fail_at(ImportErrc::field, record.line, "council_seats",
                         in_quotes(seats) + " must be a whole number of seats besides the "
                                            "mayor, 0 to 1000");
    }
    const auto [it, inserted] = line_of_id.emplace(lower_ascii(id), record.line);
    if (!inserted) {
      return ctx.fail_at(ImportErrc::duplicate, record.line, "id",
                         in_quotes(id) + " is already used on line " + std::to_string(it->second));
    }
    list.push_back({std::string(id), std::string(name), count});
  }
  if (list.empty()) {
    return fail(ImportError{ImportErrc::empty, header.line, {}},
                std::string(source_name) + " has a header but no municipalities");
  }
  return list;
}

ImportResult<std::vector<Municipality>> read_municipalities_csv(const std::filesystem::path& path) {
  auto bytes = read_import_file(path);
  if (!bytes) return bytes.error();
  return parse_municipalities_csv(*bytes, path.filename().string());
}
} // namespace muster
