// The web console's rules without a browser: password policy and hashing, the CSRF
// check, the sign-in throttle, account and session storage with expiry on both backends (schema
// migration 9), and the inside-now count. The browser test is tests/web/console_test.py.
#include <gtest/gtest.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "sync/server/admin_commands.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/event_counts.hpp"
#include "sync/server/web/user_commands.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/test_support.hpp"

namespace muster::server {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Instant kNow = Instant{std::chrono::milliseconds{1'780'000'000'000}};

TEST(ConsolePasswords, ShortAndCommonPasswordsAreRefused) {
  EXPECT_TRUE(password_problem("short").has_value());
  EXPECT_TRUE(password_problem("123456789").has_value());    // 9 characters
  EXPECT_TRUE(password_problem("1234567890").has_value());   // common
  EXPECT_TRUE(password_problem("Password123").has_value());  // common, any case
  EXPECT_TRUE(password_problem("aaaaaaaaaaaa").has_value()); // one character repeated
  EXPECT_FALSE(password_problem("correct horse battery").has_value());
}

TEST(ConsolePasswords, Argon2idHashVerifiesOnlyTheSamePassword) {
  const std::string hash = hash_password("correct horse battery");
  ASSERT_FALSE(hash.empty());
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_TRUE(verify_password(hash, "correct horse battery"));
  EXPECT_FALSE(verify_password(hash, "correct horse batterY"));
  EXPECT_FALSE(verify_password("", "correct horse battery"));
  EXPECT_NE(hash_password("correct horse battery"), hash); // salted
}

TEST(ConsoleCsrf, OnlyTheSessionsTokenMatches) {
  const std::string token = random_token();
  ASSERT_EQ(token.size(), 64u);
  EXPECT_NE(random_token(), token);
  EXPECT_TRUE(csrf_matches(token, token));
  EXPECT_FALSE(csrf_matches(token, ""));
  EXPECT_FALSE(csrf_matches(token, token.substr(1)));
  EXPECT_FALSE(csrf_matches(token, std::string(64, '0')));
  EXPECT_FALSE(csrf_matches("", "")); // a session without a token accepts nothing
}

TEST(ConsoleThrottle, FailuresLockTheKeyUntilTheWindowPasses) {
  SignInThrottle throttle(3, std::chrono::seconds(60));
  const auto t0 = SignInThrottle::Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(throttle.retry_after("account:ada", t0), 0);
    throttle.failed("account:ada", t0);
  }
  EXPECT_GT(throttle.retry_after("account:ada", t0 + std::chrono::seconds(10)), 0);
  EXPECT_EQ(throttle.retry_after("account:bob", t0), 0); // per key
  EXPECT_EQ(throttle.retry_after("account:ada", t0 + std::chrono::seconds(61)), 0);
  throttle.failed("account:bob", t0);
  throttle.succeeded("account:bob");
  EXPECT_EQ(throttle.retry_after("account:bob", t0), 0);
}

TEST(ConsoleUsers, NamesAreRestricted) {
  EXPECT_TRUE(valid_user_name("ada.admin@league"));
  EXPECT_FALSE(valid_user_name(""));
  EXPECT_FALSE(valid_user_name("ada admin"));
  EXPECT_FALSE(valid_user_name("<script>"));
  EXPECT_FALSE(valid_user_name(std::string(65, 'a')));
}

TEST(ConsoleCounts, InsideNowFollowsTheAttendedIntervals) {
  Session session;
  session.id = "S1";
  session.start = kNow;
  session.end = kNow + hours{2};
  CreditRow row;
  row.session = session;
  EXPECT_FALSE(inside_now(row, kNow + minutes{10})); // never arrived
  row.attendance.first_arrival = kNow - minutes{5};
  row.attendance.intervals = {{kNow, kNow + hours{2}}};
  EXPECT_TRUE(inside_now(row, kNow - minutes{1})); // lead time
  EXPECT_TRUE(inside_now(row, kNow + minutes{10}));
  EXPECT_FALSE(inside_now(row, kNow + hours{2})); // the session is over
  row.attendance.intervals = {{kNow, kNow + minutes{30}}, {kNow + minutes{50}, kNow + hours{2}}};
  EXPECT_FALSE(inside_now(row, kNow + minutes{40})); // out between the stretches
  EXPECT_TRUE(inside_now(row, kNow + minutes{55}));
  Event event;
  event.sessions = {session};
  CreditRow left = row;
  left.attendance.intervals = {{kNow, kNow + minutes{30}}};
  left.attendance.early_leave = true;
  const std::vector<CreditRow> rows = {row, left};
  const auto counts = count_sessions(event, rows, kNow + minutes{55});
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].arrived, 2u);
  EXPECT_EQ(counts[0].inside, 1u);
  EXPECT_EQ(counts[0].left_early, 1u);
}

TEST(ConsoleDoors, ScansPushedLatestOffsetAndStaleFlag) {
  std::vector<DeviceRecord> devices = {{"d-2", "B door", "E", "", kNow, kNow - minutes{30}, ""},
                                       {"d-1", "A door", "E", "", kNow, kNow - minutes{1}, ""},
                                       {"d-3", "C door", "E", "", kNow, std::nullopt, ""},
                                       {"d-9", "Other", "F", "", kNow, kNow, ""}};
  std::vector<Scan> scans(3);
  scans[0].device_id = "d-1";
  scans[0].sequence = 2;
  scans[0].clock_offset_ms = 5000;
  scans[1].device_id = "d-1";
  scans[1].sequence = 1;
  scans[1].clock_offset_ms = 9000;
  scans[2].device_id = "d-2";
  scans[2].sequence = 1;
  const auto rows = door_rows("E", devices, scans, kNow);
  ASSERT_EQ(rows.size(), 3u); // d-9 serves another event
  EXPECT_EQ(rows[0].device.id, "d-1");
  EXPECT_EQ(rows[0].scans, 2u);
  EXPECT_EQ(rows[0].clock_offset_ms, 5000); // the latest scan's
  EXPECT_FALSE(rows[0].stale);
  EXPECT_TRUE(rows[1].stale); // 30 minutes since the last sync
  EXPECT_TRUE(rows[2].stale); // never synced
  EXPECT_FALSE(rows[2].clock_offset_ms.has_value());
}

// ---- the account store on both backends ----

class ConsoleStore : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    ASSERT_EQ(backend_.create(GetParam(), dir_.path(), "muster_console_"), "");
    database_ = backend_.url();
    auto store = open_server_store(database_);
    ASSERT_TRUE(store.ok()) << store.message();
    ASSERT_TRUE((*store)->initialise({"L-1", "League"}).ok());
  }

  test::TempDir dir_;
  test::BackendDatabase backend_;
  std::string database_;
};

TEST_P(ConsoleStore, UsersSessionsExpiryAndAudit) {
  auto opened = open_account_store(database_);
  ASSERT_TRUE(opened.ok()) << opened.message();
  AccountStore& accounts = **opened;
  ASSERT_TRUE(accounts.add_user({"ada", ConsoleRole::admin, "$argon2id$x", kNow}).ok());
  EXPECT_EQ(accounts.add_user({"ada", ConsoleRole::viewer, "$argon2id$y", kNow}).code(),
            DbError::conflict);
  ASSERT_TRUE(accounts.add_user({"vic", ConsoleRole::viewer, "$argon2id$z", kNow}).ok());
  auto users = accounts.users();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].role, ConsoleRole::admin);
  EXPECT_EQ((*users)[1].name, "vic");

  const std::string token_hash = hash_secret("cookie");
  ASSERT_TRUE(accounts.add_session({token_hash, "ada", "csrf-1", kNow, kNow + hours{8}}).ok());
  auto live = accounts.session(token_hash, kNow + hours{7});
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->csrf_token, "csrf-1");
  EXPECT_EQ(accounts.session(token_hash, kNow + hours{8}).code(), DbError::not_found); // expired
  EXPECT_EQ(accounts.session(token_hash, kNow).code(), DbError::not_found); // and deleted

  // A new password and a removal end the account's sessions.
  ASSERT_TRUE(accounts.add_session({token_hash, "ada", "csrf-2", kNow, kNow + hours{8}}).ok());
  ASSERT_TRUE(accounts.set_password("ada", "$argon2id$new", kNow).ok());
  EXPECT_EQ(accounts.session(token_hash, kNow).code(), DbError::not_found);
  EXPECT_EQ(accounts.user("ada")->password_hash, "$argon2id$new");
  ASSERT_TRUE(accounts.add_session({token_hash, "vic", "csrf-3", kNow, kNow + hours{8}}).ok());
  ASSERT_TRUE(accounts.remove_user("vic").ok());
  EXPECT_EQ(accounts.session(token_hash, kNow).code(), DbError::not_found);
  EXPECT_EQ(accounts.remove_user("vic").code(), DbError::not_found);

  ASSERT_TRUE(accounts.append_audit({kNow, "cli", "user-add", "ada", "admin"}).ok());
  ASSERT_TRUE(accounts.append_audit({kNow + minutes{1}, "ada", "close-event", "E", "ok"}).ok());
  auto trail = accounts.audit(10);
  ASSERT_TRUE(trail.ok());
  ASSERT_EQ(trail->size(), 2u);
  EXPECT_EQ((*trail)[0].action, "close-event"); // newest first
}

INSTANTIATE_TEST_SUITE_P(Backends, ConsoleStore, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

TEST(ConsoleUserCommands, AddListPasswdRemoveReadThePasswordFromStdin) {
  test::TempDir dir;
  const std::string db = (dir / "league.db").string();
  {
    auto store = open_server_store(db);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->initialise({"L1", "League"}).ok());
  }
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream short_pw("short\n");
  EXPECT_EQ(run_user_add(db, "ada", "admin", short_pw, out, err), 1);
  EXPECT_NE(err.str().find("too short"), std::string::npos) << err.str();
  std::istringstream common("1234567890\n");
  EXPECT_EQ(run_user_add(db, "ada", "admin", common, out, err), 1);
  std::istringstream none("");
  EXPECT_EQ(run_user_add(db, "ada", "admin", none, out, err), 1);
  std::istringstream good("correct horse battery\r\n");
  EXPECT_EQ(run_user_add(db, "ada", "admin", good, out, err), 0) << err.str();
  std::istringstream again("correct horse battery\n");
  EXPECT_EQ(run_user_add(db, "ada", "viewer", again, out, err), 1); // exists
  std::istringstream bad_role("correct horse battery\n");
  EXPECT_EQ(run_user_add(db, "bob", "root", bad_role, out, err), 1);
  out.str("");
  EXPECT_EQ(run_user_list(db, out, err), 0);
  EXPECT_NE(out.str().find("ada\tadmin\t"), std::string::npos) << out.str();
  auto accounts = open_account_store(db);
  ASSERT_TRUE(accounts.ok());
  EXPECT_TRUE(verify_password((*accounts)->user("ada")->password_hash, "correct horse battery"));
  std::istringstream changed("another long passphrase\n");
  EXPECT_EQ(run_user_passwd(db, "ada", changed, out, err), 0) << err.str();
  EXPECT_TRUE(verify_password((*accounts)->user("ada")->password_hash, "another long passphrase"));
  EXPECT_EQ(run_user_remove(db, "ada", out, err), 0);
  EXPECT_EQ(run_user_remove(db, "ada", out, err), 1);
  auto trail = (*accounts)->audit(10);
  ASSERT_TRUE(trail.ok());
  EXPECT_EQ(trail->size(), 3u); // add, passwd, remove
}

// ---- cookie flags over HTTP and HTTPS ----

class ConsoleCookies : public ::testing::TestWithParam<bool> {
protected:
  void SetUp() override {
    auto store = open_server_store((dir_ / "server.db").string());
    ASSERT_TRUE(store.ok()) << store.message();
    ASSERT_TRUE((*store)->initialise({"L1", "Cookie League"}).ok());
    auto accounts = open_account_store((dir_ / "server.db").string());
    ASSERT_TRUE(accounts.ok());
    ASSERT_TRUE(
        (*accounts)
            ->add_user({"ada", ConsoleRole::admin, hash_password("correct horse battery"), kNow})
            .ok());
    options_.database = (dir_ / "server.db").string();
    options_.port = 0;
    options_.log_requests = false;
    if (GetParam()) {
      const std::string command =
          "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
          "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
          (dir_ / "key.pem").string() + "' -out '" + (dir_ / "cert.pem").string() + "' > '" +
          (dir_ / "openssl.log").string() + "' 2>&1";
      ASSERT_EQ(std::system(command.c_str()), 0) << test::read_file(dir_ / "openssl.log");
      options_.tls_cert = dir_ / "cert.pem";
      options_.tls_key = dir_ / "key.pem";
    }
  }
  test::TempDir dir_;
  HttpOptions options_;
};

TEST_P(ConsoleCookies, SessionCookieIsHttpOnlyStrictAndSecureUnderTls) {
  auto started = HttpServer::start(options_);
  ASSERT_TRUE(started.ok()) << started.message();
  const int port = (*started)->port();
  std::unique_ptr<httplib::Client> client;
  if (GetParam()) {
    client = std::make_unique<httplib::Client>("https://127.0.0.1:" + std::to_string(port));
    client->set_ca_cert_path((dir_ / "cert.pem").c_str());
    client->enable_server_certificate_verification(true);
  } else {
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  client->set_connection_timeout(5);
  auto form = client->Get("/console/login");
  ASSERT_TRUE(form) << httplib::to_string(form.error());
  ASSERT_EQ(form->status, 200);
  const std::string login_cookie = form->get_header_value("Set-Cookie");
  EXPECT_NE(login_cookie.find("HttpOnly"), std::string::npos);
  const std::string token = login_cookie.substr(login_cookie.find('=') + 1, 64);
  httplib::Headers headers = {{"Cookie", "muster_login_csrf=" + token}};
  httplib::Params fields = {
      {"csrf_token", token}, {"username", "ada"}, {"password", "correct horse battery"}};
  auto signed_in = client->Post("/console/login", headers, fields);
  ASSERT_TRUE(signed_in);
  ASSERT_EQ(signed_in->status, 303) << signed_in->body;
  const std::string cookie = signed_in->get_header_value("Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("muster_console=")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("; Secure") != std::string::npos, GetParam()) << cookie;

  // With the session but without the CSRF token, a POST is refused.
  const std::string session = cookie.substr(0, cookie.find(';'));
  auto logout =
      client->Post("/console/logout", httplib::Headers{{"Cookie", session}}, httplib::Params{});
  ASSERT_TRUE(logout);
  EXPECT_EQ(logout->status, 403);
  auto page = client->Get("/console/", httplib::Headers{{"Cookie", session}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200); // still signed in
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Transport, ConsoleCookies, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return std::string(param_info.param ? "https" : "http");
                         });

} // namespace
} // namespace muster::server
