#pragma once
// The throwaway PostgreSQL server of a test run (tests/pg/pg.sh) and fresh databases on it.
// Under ctest the fixture `postgres` starts the server once, and every test whose name contains
// "postgresql" gets MUSTER_TEST_PG_URL_FILE, the file holding its URL (tests/CMakeLists.txt,
// muster_requires_postgres). Each test makes its own database, so tests never see each other.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/test_support.hpp"

namespace muster::test {

// For GTEST_SKIP() and ASSERT messages when the fixture's URL is missing.
inline constexpr std::string_view kNoPostgres =
    "MUSTER_TEST_PG_URL_FILE is not set: run through ctest (fixture postgres)";

// The fixture's server URL (trailing whitespace removed), or nothing outside ctest.
std::optional<std::string> postgres_fixture_url();

// The fixture's server or, when the binary runs alone (outside ctest), one started here with
// tests/pg/pg.sh for the whole process and stopped at its exit. For tests that must not skip.
class PostgresServer {
public:
  static PostgresServer& instance();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  [[nodiscard]] const std::string& url() const { return url_; }
  // Why there is no server ("" when there is one).
  [[nodiscard]] const std::string& problem() const { return problem_; }

private:
  PostgresServer();

  std::optional<TempDir> own_dir_;
  std::string url_;
  std::string problem_;
};

// Runs one SQL statement on the database at `url`: "" when it worked, else libpq's words.
std::string postgres_exec(const std::string& url, const std::string& sql);

// `url` naming `database` instead of the database it names.
std::string with_database(const std::string& url, const std::string& database);

// A new, empty database on the server at `server_url`, named `prefix` and 12 random hex digits.
struct PostgresDatabase {
  std::string name;
  std::string url;   // `server_url` naming it
  std::string error; // "" when it was created
};
PostgresDatabase create_postgres_database(const std::string& server_url, std::string_view prefix);

// Drops a database made above, even with connections still open (for TearDown).
void drop_postgres_database(const std::string& server_url, const std::string& name);

// The database of a test parameterised over backends: "sqlite" is DIR/league.db, "postgresql"
// a fresh database on PostgresServer::instance() (so it never skips), dropped when this goes.
class BackendDatabase {
public:
  BackendDatabase() = default;
  ~BackendDatabase();
  BackendDatabase(const BackendDatabase&) = delete;
  BackendDatabase& operator=(const BackendDatabase&) = delete;

  // "" when the database is ready, else why not (for ASSERT_EQ(create(...), "")).
  std::string create(std::string_view backend, const std::filesystem::path& dir,
                     std::string_view prefix);
  // The path or URL to open it with.
  [[nodiscard]] const std::string& url() const { return url_; }

private:
  std::string url_;
  std::string server_url_;
  std::string pg_name_;
};

} // namespace muster::test
