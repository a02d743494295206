// Helpers the credit_*.cpp files share (credit_support.hpp), and finding and loading the program.
#include "sync/server/credit_support.hpp"

#include <chrono>

#include "shared/time.hpp"

namespace muster::server {

namespace fs = std::filesystem;

namespace {
constexpr int kMaxParentLevels = 8;
} // namespace

namespace credit_support {

Error<CreditError> store_error(const Error<DbError>& error) {
  return fail(error.code == DbError::not_found ? CreditError::not_found : CreditError::store,
              error.message);
}

CreditResult<std::unique_ptr<OfficialsRead>> read_officials(ServerStore& store,
                                                            LedgerStore& ledger) {
  auto records = ledger.officials();
  if (!records) return store_error(records.error());
  auto histories = store.role_histories();
  if (!histories) return store_error(histories.error());
  // On the heap: record_of points into records, so the object never moves.
  auto read = std::make_unique<OfficialsRead>();
  read->records = std::move(*records);
  read->histories = std::move(*histories);
  for (const OfficialRecord& record : read->records)
    read->record_of.emplace(record.id, &record);
  return read;
}

const OfficialRecord* OfficialsRead::record(std::string_view id) const {
  const auto found = record_of.find(id);
  return found == record_of.end() ? nullptr : found->second;
}

std::vector<RoleChange> OfficialsRead::history(std::string_view id) const {
  const auto found = histories.find(id);
  return found == histories.end() ? std::vector<RoleChange>{} : found->second;
}

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) text += separator;
    text += parts[i];
  }
  return text;
}

std::string level_name(const Program& program, std::string_view id) {
  const int index = program.level_index(id);
  return index >= 0 ? program.levels[static_cast<std::size_t>(index)].name : std::string(id);
}

std::string placements_text(const EntryOutcome& outcome, const Program* program) {
  std::vector<std::string> parts;
  for (const Placement& p : outcome.placements) {
    std::string part = program != nullptr
                           ? level_name(*program, p.level_id) + " " + format_hours(p.hours)
                           : p.level_id + ":" + format_hours(p.hours);
    if (p.points > 0) part += (program != nullptr ? " + " : "+") + std::to_string(p.points) + " pt";
    parts.push_back(std::move(part));
  }
  return join(parts, program != nullptr ? "; " : ";");
}

std::string refusals_text(const EntryOutcome& outcome) {
  std::vector<std::string> parts;
  for (const RefusedPart& r : outcome.refused)
    parts.push_back(r.message);
  return join(parts, "; ");
}

std::optional<std::string> optional_local(const std::optional<Instant>& instant,
                                          std::string_view zone) {
  if (!instant) return std::nullopt;
  return format_local(*instant, zone, "%H:%M %Z");
}

CreditResult<Ok> write_text(const std::optional<fs::path>& file, const std::string& text,
                            std::ostream& out) {
  if (!file) {
    out << text;
    return Ok{};
  }
  if (auto written = write_file_atomically(*file, text); !written) {
    return fail(CreditError::io, written.message());
  }
  return Ok{};
}

CreditResult<Ok> write_document(const PdfDocument& document, const fs::path& file) {
  if (auto written = write_pdf(document, file); !written) {
    return fail(CreditError::io, written.message());
  }
  return Ok{};
}

CreditResult<std::string> league_name(ServerStore& store) {
  auto league = store.league();
  if (!league) return store_error(league.error());
  return league->name;
}

CreditResult<Stores> open_stores(std::string_view database) {
  auto server = open_existing_store(database); // refuses a missing SQLite file
  if (!server) return fail(CreditError::store, server.message());
  auto ledger = open_ledger_store(database);
  if (!ledger) return store_error(ledger.error());
  return Stores{std::move(*server), std::move(*ledger)};
}

int failed(std::ostream& err, const std::string& message) {
  err << "error: " << message << '\n';
  return 1;
}

bool in_office(const Official& official, Date as_of) {
  return !official.left_office ||
         std::chrono::sys_days{*official.left_office} > std::chrono::sys_days{as_of};
}

} // namespace credit_support

// ---- program ----

std::optional<fs::path> find_default_program() {
  std::error_code error;
  fs::path dir = fs::read_symlink("/proc/self/exe", error).parent_path();
  for (int level = 0; !error && level < kMaxParentLevels && !dir.empty(); ++level) {
    const fs::path candidate = dir / "assets" / "programs" / kDefaultProgramFile;
    std::error_code missing;
    if (fs::is_regular_file(candidate, missing)) return candidate;
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  const fs::path installed = fs::path("/usr/share/muster/assets/programs") / kDefaultProgramFile;
  if (fs::is_regular_file(installed, error)) return installed;
  return std::nullopt;
}

CreditResult<Program> load_program(const std::optional<fs::path>& file) {
  const auto path = file ? file : find_default_program();
  if (!path) {
    return fail(
        CreditError::program,
        "no program file: assets/programs/alm-cmo.jsonc was not found; pass --program FILE");
  }
  auto program = read_program(*path);
  if (!program) return fail(CreditError::program, program.message());
  return std::move(*program);
}

Date today_utc() {
  return Date{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
}
} // namespace muster::server
