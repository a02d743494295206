#include "tests/support/postgres.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "shared/text.hpp"

namespace muster::test {

namespace {

struct PgConnDeleter {
  void operator()(PGconn* connection) const noexcept { PQfinish(connection); }
};

// libpq's messages end with a line end.
std::string message_of(const char* text) {
  return std::string(trim_end(text != nullptr ? text : "", kWhitespace));
}

std::string pg_script() { return std::string(MUSTER_SOURCE_DIR) + "/tests/pg/pg.sh"; }

} // namespace

std::optional<std::string> postgres_fixture_url() {
  const char* file = std::getenv("MUSTER_TEST_PG_URL_FILE");
  if (file == nullptr || *file == '\0') return std::nullopt;
  return std::string(trim_end(read_file(file), kWhitespace));
}

PostgresServer& PostgresServer::instance() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer() {
  std::filesystem::path url_file;
  if (const char* from_ctest = std::getenv("MUSTER_TEST_PG_URL_FILE")) {
    url_file = from_ctest;
  } else {
    own_dir_.emplace();
    const std::string command = pg_script() + " start " + own_dir_->path().string();
    if (std::system(command.c_str()) != 0) {
      problem_ = "tests/pg/pg.sh could not start PostgreSQL (is the postgresql package "
                 "installed? apt-get install postgresql)";
      return;
    }
    url_file = own_dir_->path() / "url";
  }
  std::ifstream in(url_file);
  std::getline(in, url_);
  url_ = std::string(trim_end(url_, "\n "));
  if (url_.empty()) {
    problem_ = "no PostgreSQL URL in " + url_file.string() +
               ": the CTest fixture postgres.start (tests/pg/pg.sh) failed; see its output";
  }
}

PostgresServer::~PostgresServer() {
  if (own_dir_) {
    const std::string command =
        pg_script() + " stop " + own_dir_->path().string() + " >/dev/null 2>&1";
    [[maybe_unused]] const int rc = std::system(command.c_str());
  }
}

std::string postgres_exec(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, PgConnDeleter> connection(PQconnectdb(url.c_str()));
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    return message_of(PQerrorMessage(connection.get()));
  }
  PGresult* result = PQexec(connection.get(), sql.c_str());
  const auto status = PQresultStatus(result);
  std::string error = (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
                          ? ""
                          : message_of(PQresultErrorMessage(result));
  PQclear(result);
  return error;
}

std::string with_database(const std::string& url, const std::string& database) {
  const auto slash = url.rfind('/');
  const auto scheme_end = url.find("://");
  if (slash == std::string::npos || scheme_end == std::string::npos || slash < scheme_end + 3) {
    return url + "/" + database;
  }
  return url.substr(0, slash + 1) + database;
}

PostgresDatabase create_postgres_database(const std::string& server_url, std::string_view prefix) {
  // Random, not the pid: the fixture's server outlives every test process of the run.
  std::random_device random;
  std::string name(prefix);
  for (int i = 0; i < 12; ++i)
    name += "0123456789abcdef"[random() % 16];
  PostgresDatabase database{name, with_database(server_url, name), ""};
  database.error = postgres_exec(server_url, "CREATE DATABASE " + name);
  return database;
}

void drop_postgres_database(const std::string& server_url, const std::string& name) {
  (void)postgres_exec(server_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

BackendDatabase::~BackendDatabase() {
  if (!pg_name_.empty()) drop_postgres_database(server_url_, pg_name_);
}

std::string BackendDatabase::create(std::string_view backend, const std::filesystem::path& dir,
                                    std::string_view prefix) {
  if (backend == "sqlite") {
    url_ = (dir / "league.db").string();
    return "";
  }
  if (backend != "postgresql") return "unknown backend " + std::string(backend);
  const auto& server = PostgresServer::instance();
  if (!server.problem().empty()) return server.problem();
  const auto database = create_postgres_database(server.url(), prefix);
  if (!database.error.empty()) return database.error + " (on " + server.url() + ")";
  server_url_ = server.url();
  pg_name_ = database.name;
  url_ = database.url;
  return "";
}

} // namespace muster::test
