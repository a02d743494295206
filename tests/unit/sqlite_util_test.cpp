// shared/sqlite_util.hpp on real SQLite files: errors come back as values with SQLite's code,
// statements bind and read every type, and a transaction not committed leaves the file as it was.
#include "shared/sqlite_util.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace muster::sqlite {
namespace {

class SqliteUtil : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened =
        open_connection((dir_ / "test.db").string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(opened) << opened.message();
    db_ = std::move(*opened);
    ASSERT_TRUE(exec(db_.get(), "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, "
                                "score REAL, data BLOB)"));
  }

  std::int64_t count() {
    auto statement = Statement::prepare(db_.get(), "SELECT count(*) FROM t");
    EXPECT_TRUE(statement) << statement.message();
    auto row = statement->step();
    EXPECT_TRUE(row && *row);
    return statement->column_int64(0);
  }

  test::TempDir dir_;
  Connection db_;
};

TEST_F(SqliteUtil, OpeningAMissingFileWithoutCreateFailsWithSqlitesCode) {
  auto opened = open_connection((dir_ / "missing.db").string(), SQLITE_OPEN_READWRITE);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.code(), SQLITE_CANTOPEN);
  EXPECT_FALSE(opened.message().empty());
}

TEST_F(SqliteUtil, ExecReportsTheErrorAndItsMessage) {
  auto bad = exec(db_.get(), "INSERT INTO nowhere VALUES (1)");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.code(), SQLITE_ERROR);
  EXPECT_NE(bad.message().find("nowhere"), std::string::npos) << bad.message();
  auto syntax = Statement::prepare(db_.get(), "SELEC 1");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.code(), SQLITE_ERROR);
}

TEST_F(SqliteUtil, StatementsBindAndReadEveryType) {
  auto insert = Statement::prepare(db_.get(), "INSERT INTO t (id, name, score, data) "
                                              "VALUES (?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert) << insert.message();
  const std::vector<std::uint8_t> bytes{0x00, 0xFF, 0x10};
  ASSERT_TRUE(
      insert->bind(1, std::int64_t{7}).bind(2, "Loretta").bind(3, 1.25).bind_blob(4, bytes).run());
  EXPECT_EQ(changes(db_.get()), 1);
  insert->reset();
  ASSERT_TRUE(insert->bind(1, std::int64_t{8}).bind_null(2).bind(3, 0.0).bind_null(4).run());

  auto select = Statement::prepare(db_.get(), "SELECT id, name, score, data FROM t ORDER BY id");
  ASSERT_TRUE(select) << select.message();
  auto row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->column_int64(0), 7);
  EXPECT_EQ(select->column_text(1), "Loretta");
  EXPECT_DOUBLE_EQ(select->column_double(2), 1.25);
  EXPECT_EQ(select->column_blob(3), bytes);
  row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_TRUE(select->column_is_null(1));
  EXPECT_EQ(select->column_text(1), "");
  EXPECT_TRUE(select->column_blob(3).empty());
  row = select->step();
  ASSERT_TRUE(row);
  EXPECT_FALSE(*row); // done
}

TEST_F(SqliteUtil, AConstraintFailureComesBackFromStep) {
  ASSERT_TRUE(exec(db_.get(), "INSERT INTO t (id) VALUES (1)"));
  auto again = Statement::prepare(db_.get(), "INSERT INTO t (id) VALUES (1)");
  ASSERT_TRUE(again);
  auto ran = again->run();
  ASSERT_FALSE(ran);
  EXPECT_EQ(ran.code(), SQLITE_CONSTRAINT);
}

TEST_F(SqliteUtil, ATransactionNotCommittedRollsBack) {
  {
    auto tx = Transaction::begin(db_.get(), Transaction::Kind::immediate);
    ASSERT_TRUE(tx) << tx.message();
    ASSERT_TRUE(exec(db_.get(), "INSERT INTO t (id) VALUES (1)"));
    EXPECT_EQ(count(), 1);
  } // an early return: no commit
  EXPECT_EQ(count(), 0);
  {
    auto tx = Transaction::begin(db_.get());
    ASSERT_TRUE(tx);
    ASSERT_TRUE(exec(db_.get(), "INSERT INTO t (id) VALUES (2)"));
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(count(), 1);
  // The commit survives closing the connection: another one reads it from the file.
  auto other = open_connection((dir_ / "test.db").string(), SQLITE_OPEN_READONLY);
  ASSERT_TRUE(other) << other.message();
  auto select = Statement::prepare(other->get(), "SELECT id FROM t");
  ASSERT_TRUE(select);
  auto row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->column_int64(0), 2);
}

TEST_F(SqliteUtil, AMovedTransactionRollsBackOnce) {
  std::optional<Transaction> kept;
  {
    auto tx = Transaction::begin(db_.get());
    ASSERT_TRUE(tx);
    kept.emplace(std::move(*tx));
  } // the moved-from one does nothing
  ASSERT_TRUE(exec(db_.get(), "INSERT INTO t (id) VALUES (3)"));
  EXPECT_EQ(count(), 1);
  kept.reset();
  EXPECT_EQ(count(), 0);
}

} // namespace
} // namespace muster::sqlite

namespace muster::sqlite {
namespace {

// Issue 19: the kiosk store keeps its statements. A kept statement comes back reset and unbound
// (no value of the last caller leaks into the next, no read stays open), is the same compiled
// statement, and two uses at once of one SQL text get two statements.
TEST_F(SqliteUtil, CachedStatementsComeBackResetAndUnbound) {
  StatementCache cache;
  const std::string insert = "INSERT INTO t (id, name) VALUES (?1, ?2)";
  const std::string select = "SELECT name FROM t WHERE id = ?1";
  {
    auto statement = Statement::prepare(db_.get(), insert, cache);
    ASSERT_TRUE(statement) << statement.message();
    statement->bind(1, std::int64_t{1}).bind(2, "Ada");
    ASSERT_TRUE(statement->run());
  }
  EXPECT_EQ(cache.idle(), 1U);
  {
    // Unbound: ?2 is NULL now, not the previous caller's "Ada".
    auto statement = Statement::prepare(db_.get(), insert, cache);
    ASSERT_TRUE(statement) << statement.message();
    EXPECT_EQ(cache.idle(), 0U);
    statement->bind(1, std::int64_t{2});
    ASSERT_TRUE(statement->run());
  }
  {
    // Left on a row when dropped: reset on the way back, so the file is not held.
    auto outer = Statement::prepare(db_.get(), select, cache);
    ASSERT_TRUE(outer);
    outer->bind(1, std::int64_t{1});
    auto first = outer->step();
    ASSERT_TRUE(first && *first);
    EXPECT_EQ(outer->column_text(0), "Ada");
    // The same text while the first is in use: a second statement.
    auto inner = Statement::prepare(db_.get(), select, cache);
    ASSERT_TRUE(inner);
    inner->bind(1, std::int64_t{2});
    auto row = inner->step();
    ASSERT_TRUE(row && *row);
    EXPECT_TRUE(inner->column_is_null(0));
  }
  EXPECT_EQ(cache.idle(), 3U); // one insert, two selects
  EXPECT_NE(sqlite3_next_stmt(db_.get(), nullptr), nullptr);
  for (sqlite3_stmt* s = sqlite3_next_stmt(db_.get(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db_.get(), s)) {
    EXPECT_EQ(sqlite3_stmt_busy(s), 0) << sqlite3_sql(s);
  }
  // Everything kept is finalized by clear() (and by the destructor), before the connection closes.
  cache.clear();
  EXPECT_EQ(cache.idle(), 0U);
  EXPECT_EQ(sqlite3_next_stmt(db_.get(), nullptr), nullptr);
  EXPECT_EQ(count(), 2);
}

// Bounded: beyond kMaxTexts distinct texts a statement is finalized when dropped.
TEST_F(SqliteUtil, StatementCacheIsBounded) {
  StatementCache cache;
  for (std::size_t i = 0; i < StatementCache::kMaxTexts + 10; ++i) {
    auto statement =
        Statement::prepare(db_.get(), "SELECT " + std::to_string(i) + " FROM t", cache);
    ASSERT_TRUE(statement) << statement.message();
  }
  EXPECT_EQ(cache.idle(), StatementCache::kMaxTexts);
  // A text SQLite stores differently (a trailing second statement) is never kept.
  {
    auto statement = Statement::prepare(db_.get(), "SELECT 1; SELECT 2", cache);
    ASSERT_TRUE(statement);
  }
  EXPECT_EQ(cache.idle(), StatementCache::kMaxTexts);
}

} // namespace
} // namespace muster::sqlite
