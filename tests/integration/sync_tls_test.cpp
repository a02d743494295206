// The sync client over real HTTPS on 127.0.0.1: certificate verification is on by default, a CA
// file makes a private certificate trusted, and a public-key pin must match the server's key.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "shared/badge.hpp"
#include "sync/client/http_client.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"
#include "tests/support/test_support.hpp"

namespace muster::sync {
namespace {

std::string run_capture(const std::string& command) {
  std::string output;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return output;
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) != nullptr) {
    output += buffer.data();
  }
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r'))
    output.pop_back();
  return output;
}

class SyncTls : public ::testing::Test {
protected:
  void SetUp() override {
    const auto cert = (dir_ / "cert.pem").string();
    const auto key = (dir_ / "key.pem").string();
    const std::string make_cert =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
        key + "' -out '" + cert + "' > /dev/null 2>&1";
    ASSERT_EQ(std::system(make_cert.c_str()), 0) << "openssl could not make a certificate";
    // The pin curl expects: sha256// + base64 of the SHA-256 of the DER public key.
    pin_ = "sha256//" + run_capture("openssl x509 -in '" + cert +
                                    "' -pubkey -noout | openssl pkey -pubin -outform der | "
                                    "openssl dgst -sha256 -binary | base64");
    ASSERT_GT(pin_.size(), 20U);

    const auto database = (dir_ / "server.db").string();
    auto store = server::open_server_store(database);
    ASSERT_TRUE(store.ok()) << store.message();
    ASSERT_TRUE((*store)->initialise({"L1", "Test League"}).ok());
    // A League key, an event live now and a provisioning code, so a kiosk can provision.
    auto league_key = SigningKey::generate("K1");
    ASSERT_TRUE(league_key.ok());
    const Instant now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    ASSERT_TRUE(
        (*store)->add_league_key({"K1", to_text(league_key->public_key()), now, true}).ok());
    test::write_file(dir_ / "league.key", league_key->to_secret_text() + "\n");
    std::filesystem::permissions(dir_ / "league.key", std::filesystem::perms::owner_read |
                                                          std::filesystem::perms::owner_write);
    Event event;
    event.id = "E1";
    event.name = "Conference";
    event.timezone = "America/Chicago";
    Session session;
    session.id = "S1";
    session.title = "Ethics";
    session.room = "Ballroom";
    session.start = now - std::chrono::hours(1);
    session.end = now + std::chrono::hours(1);
    session.credit_hours = 2.0;
    event.sessions = {session};
    ASSERT_TRUE((*store)->upsert_event(event).ok());
    ASSERT_TRUE((*store)
                    ->add_provisioning_code(server::hash_secret("CODE-TLS"), "E1", "Door",
                                            now + std::chrono::hours(1))
                    .ok());
    server::HttpOptions options;
    options.database = database;
    options.port = 0;
    options.log_requests = false;
    options.tls_cert = dir_ / "cert.pem";
    options.tls_key = dir_ / "key.pem";
    options.league_key_file = dir_ / "league.key";
    auto started = server::HttpServer::start(options);
    ASSERT_TRUE(started.ok()) << started.message();
    server_ = std::move(started.value());
    base_ = "https://127.0.0.1:" + std::to_string(server_->port());
    url_ = base_ + "/api/v1/time";
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  Result<HttpResponse, TransportError> get_time(HttpClientOptions options) {
    options.connect_timeout = std::chrono::seconds(5);
    options.total_timeout = std::chrono::seconds(10);
    HttpClient client(std::move(options));
    return client.get(url_, "");
  }

  test::TempDir dir_;
  std::string pin_;
  std::string base_;
  std::string url_;
  std::unique_ptr<server::HttpServer> server_;
};

TEST_F(SyncTls, VerificationIsOnByDefaultSoAnUnknownCertificateIsRefused) {
  const auto answer = get_time({});
  ASSERT_FALSE(answer.ok()) << "a self-signed certificate must not be trusted by default";
  EXPECT_EQ(answer.code(), TransportError::tls) << answer.message();
}

TEST_F(SyncTls, ACaFileMakesThePrivateCertificateTrusted) {
  HttpClientOptions options;
  options.ca_file = (dir_ / "cert.pem").string();
  const auto answer = get_time(options);
  ASSERT_TRUE(answer.ok()) << answer.message();
  EXPECT_EQ(answer->status, 200);
  EXPECT_NE(answer->body.find("server_time_ms"), std::string::npos) << answer->body;
}

TEST_F(SyncTls, AMatchingPublicKeyPinIsAccepted) {
  HttpClientOptions options;
  options.ca_file = (dir_ / "cert.pem").string();
  options.pinned_public_key = pin_;
  const auto answer = get_time(options);
  ASSERT_TRUE(answer.ok()) << answer.message();
  EXPECT_EQ(answer->status, 200);
}

TEST_F(SyncTls, AWrongPublicKeyPinIsRefusedEvenWithATrustedCertificate) {
  HttpClientOptions options;
  options.ca_file = (dir_ / "cert.pem").string();
  options.pinned_public_key = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  const auto answer = get_time(options);
  ASSERT_FALSE(answer.ok()) << "a pin that does not match the server's key must be refused";
  EXPECT_EQ(answer.code(), TransportError::tls) << answer.message();
}

// The CA file given at provisioning is kept, so a later `sync --once` (and the window's
// background engine) verifies the server the same way without repeating the option.
TEST_F(SyncTls, TheCaFileGivenAtProvisioningIsUsedByLaterSyncs) {
  const std::string kiosk = std::string(MUSTER_BINARY_DIR) + "/kiosk/muster-kiosk";
  const std::string data = (dir_ / "kiosk").string();
  const std::string log = (dir_ / "kiosk.log").string();
  const std::string provision = "'" + kiosk + "' --data '" + data + "' provision " + base_ +
                                " CODE-TLS --ca-file '" + (dir_ / "cert.pem").string() + "' > '" +
                                log + "' 2>&1";
  ASSERT_EQ(std::system(provision.c_str()), 0) << test::read_file(log);
  const std::string sync = "'" + kiosk + "' --data '" + data + "' sync --once > '" + log + "' 2>&1";
  ASSERT_EQ(std::system(sync.c_str()), 0) << test::read_file(log);
  EXPECT_NE(test::read_file(log).find("all scans acknowledged"), std::string::npos)
      << test::read_file(log);
}

} // namespace
} // namespace muster::sync
