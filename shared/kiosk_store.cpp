// Opening the kiosk store: only reads until the file is known to be ours, healthy and not newer,
// then WAL, synchronous=FULL and the migrations; its info and size limit. The other parts are
// listed in kiosk_store_support.hpp.
#include "shared/kiosk_store.hpp"

#include <sqlite3.h>

#include <array>
#include <utility>

#include "shared/kiosk_store_support.hpp"

namespace muster {

using namespace kiosk_store_support; // NOLINT(google-build-using-namespace)

std::string_view to_string(StoreError error) {
  switch (error) {
  case StoreError::cannot_open:
    return "cannot_open";
  case StoreError::corrupt:
    return "corrupt";
  case StoreError::newer_schema:
    return "newer_schema";
  case StoreError::read_only:
    return "read_only";
  case StoreError::disk_full:
    return "disk_full";
  case StoreError::io:
    return "io";
  case StoreError::busy:
    return "busy";
  case StoreError::constraint:
    return "constraint";
  case StoreError::not_found:
    return "not_found";
  case StoreError::invalid:
    return "invalid";
  }
  return "unknown";
}

namespace {

Result<Ok, StoreError> check_integrity(const KioskStore::State& state) {
  constexpr std::string_view kAction = "checking the kiosk data";
  auto statement = state.prepare("PRAGMA integrity_check(10)", kAction);
  if (!statement) return statement.error();
  std::string problems;
  auto note = [&problems](std::string line) {
    constexpr std::string_view kPrefix = "*** in database main ***\n";
    if (line.starts_with(kPrefix)) line.erase(0, kPrefix.size());
    if (line == "ok") return;
    if (!problems.empty()) problems += "; ";
    problems += line;
  };
  for (;;) {
    auto row = statement->step();
    if (!row) {
      // A badly damaged page stops the check itself; keep what it found so far.
      const bool damaged = row.code() == SQLITE_CORRUPT || row.code() == SQLITE_NOTADB;
      if (!damaged) return state.error(row.error(), kAction);
      note(row.message());
      break;
    }
    if (!*row) break;
    note(statement->column_text(0));
  }
  if (problems.empty()) return Ok{};
  return fail(StoreError::corrupt, "the kiosk data file " + state.path.string() +
                                       " is damaged (integrity_check: " + problems +
                                       "); restore it from the backup or re-provision the kiosk");
}

// Refuses files this code must not touch: another program's database, or a newer schema.
Result<int, StoreError> read_schema_version(const KioskStore::State& state) {
  constexpr std::string_view kAction = "opening the kiosk data";
  auto version = state.query_int("PRAGMA user_version", kAction);
  if (!version) return version.error();
  auto application = state.query_int("PRAGMA application_id", kAction);
  if (!application) return application.error();
  auto tables = state.query_int("SELECT count(*) FROM sqlite_schema", kAction);
  if (!tables) return tables.error();
  const bool ours = *application == kApplicationId || (*version == 0 && *tables == 0);
  if (!ours) {
    return fail(StoreError::corrupt, "the file " + state.path.string() +
                                         " belongs to another program, not a Muster kiosk; "
                                         "it was left untouched. Point the kiosk at its own "
                                         "data file");
  }
  if (*version > kKioskSchemaVersion) {
    return fail(StoreError::newer_schema,
                "the kiosk data file " + state.path.string() + " was written by a newer Muster " +
                    "(schema " + std::to_string(*version) + ", this program knows up to " +
                    std::to_string(kKioskSchemaVersion) +
                    "); it was left untouched. Install the current muster-kiosk");
  }
  return static_cast<int>(*version);
}

// WAL lets a sync thread read while the UI writes; FULL makes every commit survive power loss.
Result<Ok, StoreError> configure_durability(const KioskStore::State& state) {
  constexpr std::string_view kAction = "setting up the kiosk data";
  auto statement = state.prepare("PRAGMA journal_mode = WAL", kAction);
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return state.error(row.error(), kAction);
  if (!*row || statement->column_text(0) != "wal") {
    return fail(StoreError::io, "the kiosk data file " + state.path.string() +
                                    " cannot use write-ahead logging (is it on a network "
                                    "share?); move it to the kiosk's own disk");
  }
  auto pragmas = sqlite::exec(state.db(), "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
  if (!pragmas) return state.error(pragmas.error(), kAction);
  return Ok{};
}

} // namespace

KioskStore::KioskStore(std::unique_ptr<State> state) : state_(std::move(state)) {}
KioskStore::KioskStore(KioskStore&&) noexcept = default;
KioskStore& KioskStore::operator=(KioskStore&&) noexcept = default;
KioskStore::~KioskStore() = default;

Result<KioskStore, StoreError> KioskStore::open(const std::filesystem::path& path,
                                                const StoreOptions& options) {
  if (options.schema_version < 0 || options.schema_version > kKioskSchemaVersion) {
    return fail(StoreError::invalid,
                "schema version " + std::to_string(options.schema_version) + " does not exist");
  }
  auto state = std::make_unique<State>();
  state->path = path;
  std::error_code ignored;
  if (options.read_only && !std::filesystem::exists(path, ignored)) {
    return fail(StoreError::cannot_open, "the kiosk data file " + path.string() +
                                             " does not exist; provision the kiosk first");
  }
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  auto connection = sqlite::open_connection(path.string(), flags);
  if (!connection) return state->error(connection.error(), "opening the kiosk data");
  state->connection = std::move(connection).value();
  sqlite3* db = state->db();
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  register_fold_function(db);
  // Only reads until the file is known to be ours, healthy and not newer: a damaged file is
  // reported and left exactly as it was, for the backup/restore procedure.
  auto version = read_schema_version(*state);
  if (!version) return version.error();
  if (auto healthy = check_integrity(*state); !healthy) return healthy.error();

  // A file the process may not write opens read-only by itself; say so instead of failing later.
  state->read_only = options.read_only || sqlite3_db_readonly(db, "main") == 1;
  if (state->read_only) {
    if (*version < options.schema_version) {
      return fail(StoreError::read_only,
                  "the kiosk data file " + path.string() + " needs an upgrade (schema " +
                      std::to_string(*version) + " to " + std::to_string(options.schema_version) +
                      ") but can only be read; open it once with write access");
    }
    if (auto guarded = sqlite::exec(db, "PRAGMA query_only = ON"); !guarded) {
      return state->error(guarded.error(), "opening the kiosk data");
    }
    return KioskStore(std::move(state));
  }
  if (auto durable = configure_durability(*state); !durable) return durable.error();
  if (auto migrated = migrate(*state, *version, options.schema_version); !migrated) {
    return migrated.error();
  }
  state->checkpointer = std::make_unique<WalCheckpointer>(path, db, options.background_checkpoints);
  return KioskStore(std::move(state));
}

const std::filesystem::path& KioskStore::path() const { return state_->path; }
bool KioskStore::read_only() const { return state_->read_only; }

Result<StoreInfo, StoreError> KioskStore::info() const {
  constexpr std::string_view kAction = "reading the kiosk data's settings";
  StoreInfo info;
  info.read_only = state_->read_only;
  auto statement = state_->prepare("PRAGMA journal_mode", kAction);
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  info.journal_mode = *row ? statement->column_text(0) : "";
  std::int64_t version = 0, synchronous = 0, foreign_keys = 0, pages = 0, page_size = 0,
               max_pages = 0;
  const std::array<std::pair<std::string_view, std::int64_t*>, 6> pragmas{{
      {"PRAGMA user_version", &version},
      {"PRAGMA synchronous", &synchronous},
      {"PRAGMA foreign_keys", &foreign_keys},
      {"PRAGMA page_count", &pages},
      {"PRAGMA page_size", &page_size},
      {"PRAGMA max_page_count", &max_pages},
  }};
  for (const auto& [sql, target] : pragmas) {
    auto value = state_->query_int(sql, kAction);
    if (!value) return value.error();
    *target = *value;
  }
  info.schema_version = static_cast<int>(version);
  info.synchronous = static_cast<int>(synchronous);
  info.foreign_keys = foreign_keys != 0;
  info.page_count = to_u64(pages);
  info.page_size_bytes = to_u64(page_size);
  info.max_page_count = to_u64(max_pages);
  return info;
}

Result<std::uint64_t, StoreError> KioskStore::set_max_size_bytes(std::uint64_t max_bytes) {
  constexpr std::string_view kAction = "limiting the kiosk data's size";
  auto page_size = state_->query_int("PRAGMA page_size", kAction);
  if (!page_size) return page_size.error();
  const std::uint64_t pages = std::max<std::uint64_t>(1, max_bytes / to_u64(*page_size));
  // PRAGMA arguments cannot be bound; the number is formatted by us, never user text.
  auto limit =
      state_->query_int("PRAGMA max_page_count = " + std::to_string(to_sql(pages)), kAction);
  if (!limit) return limit.error();
  return to_u64(*limit) * to_u64(*page_size);
}

} // namespace muster
