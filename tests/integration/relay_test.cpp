// The venue relay end to end, as a venue without internet runs it: a League server, a real
// `muster-server relay` process seeded from a package file with its upstream down for the whole
// event, two doors (`muster-kiosk headless --simulated-clock` + `sync --once`) provisioned and
// syncing against the relay, a kill -9 of the relay in the middle, then the upstream returns.
// Every scan must reach the League exactly once (same device ids, sequences and hashes), the
// doors must see each other's scans through the relay after one pass, and a revocation and a new
// registration made upstream must reach the doors through the relay.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "kiosk/app/desk.hpp"
#include "shared/scan_json.hpp"
#include "shared/scan_log.hpp"
#include "sync/client/http_client.hpp"
#include "sync/server/admin_commands.hpp"
#include "tests/fault/sync_world.hpp"
#include "tests/support/kiosk_doors.hpp"
#include "tests/support/process.hpp"

namespace muster::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The shared runner (tests/support/process.hpp), under the short names these tests use.
std::string quote(const std::string& text) { return quoted(text); }
Ran run(const std::string& command) { return run_shell(command); }

std::string kiosk_binary() { return std::string(MUSTER_BINARY_DIR) + "/kiosk/muster-kiosk"; }
std::string server_binary() {
  return std::string(MUSTER_BINARY_DIR) + "/sync/server/muster-server";
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string last;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) last = line;
  }
  return last;
}

// A loopback port nothing listens on right now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

using ScanKey = std::tuple<std::string, std::uint64_t, std::string>; // device, sequence, hash

class VenueRelay : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(world_.setup(6));
    upstream_port_ = free_port();
    relay_port_ = free_port();
    ASSERT_GT(upstream_port_, 0);
    ASSERT_GT(relay_port_, 0);
    relay_db_ = (world_.dir() / "relay.db").string();
  }

  void TearDown() override {
    stop_relay(SIGTERM);
    if (upstream_) upstream_->stop();
  }

  [[nodiscard]] std::string relay_url() const {
    return "http://127.0.0.1:" + std::to_string(relay_port_);
  }
  [[nodiscard]] std::string upstream_url() const {
    return "http://127.0.0.1:" + std::to_string(upstream_port_);
  }

  Ran server(const std::string& args) { return run(server_binary() + " " + args); }

  // The relay as its own process (so that kill -9 is a real crash), ready when it answers.
  void start_relay(const std::vector<std::string>& extra) {
    // The token from a file, as docs/deployment.md runs it (not on the process list).
    const auto token_file = world_.dir() / "relay.token";
    write_file(token_file, token_ + "\n");
    std::vector<std::string> args = {server_binary(), "relay",
                                     "--db",          relay_db_,
                                     "--upstream",    upstream_url(),
                                     "--token-file",  token_file.string(),
                                     "--listen",      "127.0.0.1:" + std::to_string(relay_port_),
                                     "--interval",    "1",
                                     "--max-backoff", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string log = (world_.dir() / "relay.log").string();
    relay_pid_ = ::fork();
    ASSERT_GE(relay_pid_, 0);
    if (relay_pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& arg : args)
        argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    sync::HttpClient http;
    for (int attempt = 0; attempt < 200; ++attempt) {
      auto health = http.get(relay_url() + "/healthz", "");
      if (health && health->status == 200) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "the relay did not start:\n" << read_file(log);
  }

  void stop_relay(int signal) {
    if (relay_pid_ <= 0) return;
    ::kill(relay_pid_, signal);
    int status = 0;
    ::waitpid(relay_pid_, &status, 0);
    relay_pid_ = -1;
  }

  void start_upstream() {
    server::HttpOptions options;
    options.database = world_.database();
    options.port = upstream_port_;
    options.threads = 4;
    options.league_key_file = world_.dir() / "league.key";
    options.log_requests = false;
    auto started = server::HttpServer::start(options);
    ASSERT_TRUE(started.ok()) << started.message();
    upstream_ = std::move(started.value());
  }

  // The League's preparation for a venue: a relay token for the event (kept in token_) ...
  void issue_token(const std::string& label = "") {
    const Ran token = server("relay-token --db " + quote(world_.database()) + " --event EV1" +
                             (label.empty() ? "" : " --label " + label));
    ASSERT_EQ(token.exit_code, 0) << token.out;
    token_ = last_line(token.out);
  }

  // ... and the event's package file, for a relay to start from (kept in package_).
  void write_package() {
    package_ = world_.dir() / "EV1.package.json";
    const Ran packaged = server("package --db " + quote(world_.database()) + " --league-key " +
                                quote((world_.dir() / "league.key").string()) +
                                " --event EV1 --out " + quote(package_.string()));
    ASSERT_EQ(packaged.exit_code, 0) << packaged.out;
  }

  // Both, and the relay started from that package.
  void start_relay_from_package() {
    ASSERT_NO_FATAL_FAILURE(issue_token());
    ASSERT_NO_FATAL_FAILURE(write_package());
    ASSERT_NO_FATAL_FAILURE(start_relay({"--package", package_.string()}));
  }

  std::filesystem::path door(const std::string& name) { return doors_.door(name); }

  // Provisioned at the relay, exactly as at the League server: a code from the relay's database.
  void provision(const std::string& name) {
    const Ran code = server("provision --db " + quote(relay_db_) + " --event EV1 --name " +
                            quote("Hall door " + name));
    ASSERT_EQ(code.exit_code, 0) << code.out;
    const Ran ran = doors_.provision(name, relay_url(), last_line(code.out));
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
  }

  std::vector<json> scan(const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& scans) {
    return doors_.scan(name, scans);
  }

  void sync(const std::string& name) {
    const Ran ran = doors_.sync(name);
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
  }

  // Every scan a door recorded, and how many it has acknowledged (the relay's answers).
  std::set<ScanKey> door_scans(const std::string& name, std::uint64_t* acked = nullptr,
                               std::string device = "") {
    auto store = KioskStore::open(door(name) / "kiosk.db");
    EXPECT_TRUE(store.ok()) << store.message();
    if (!store) return {};
    if (device.empty()) {
      const auto id = store->setting(sync::kSettingSyncDeviceId);
      EXPECT_TRUE(id && id->has_value());
      device = id && id->has_value() ? **id : "";
    }
    std::set<ScanKey> out;
    auto scans = store->scans_after(device, 0, 100000);
    EXPECT_TRUE(scans.ok());
    for (const auto& s : *scans)
      out.insert({s.device_id, s.sequence, to_hex(s.hash)});
    if (acked != nullptr) {
      auto through = store->acked_through(device);
      *acked = through ? *through : 0;
    }
    return out;
  }

  // The scans a server database holds for the given devices.
  static std::set<ScanKey> stored_scans(const std::string& database,
                                        const std::set<std::string>& devices) {
    auto store = server::open_server_store(database);
    EXPECT_TRUE(store.ok()) << store.message();
    std::set<ScanKey> out;
    if (!store) return out;
    for (const auto& device : devices) {
      auto scans = (*store)->scans_for_device(device);
      if (!scans) continue;
      for (const auto& s : *scans)
        out.insert({s.device_id, s.sequence, to_hex(s.hash)});
    }
    return out;
  }

  SyncWorld world_;
  KioskDoors doors_{world_.dir(), [this](const std::string& a) { return world_.payload(a); }};
  std::unique_ptr<server::HttpServer> upstream_;
  int upstream_port_ = 0;
  int relay_port_ = 0;
  std::string relay_db_;
  std::string token_;
  std::filesystem::path package_;
  pid_t relay_pid_ = -1;
};

TEST_F(VenueRelay, DoorsAgreeThroughTheRelayAndEveryScanReachesTheLeagueOnce) {
  // The League's preparation: a relay token for the event and the package file for the venue.
  ASSERT_NO_FATAL_FAILURE(issue_token("Venue"));
  ASSERT_EQ(token_.rfind("muster-relay.", 0), 0U) << token_;
  ASSERT_NO_FATAL_FAILURE(write_package());

  // The venue: no upstream at all (nothing listens at its address) for the whole event.
  ASSERT_NO_FATAL_FAILURE(start_relay({"--package", package_.string()}));
  ASSERT_NO_FATAL_FAILURE(provision("A"));
  ASSERT_NO_FATAL_FAILURE(provision("B"));

  // Door A: A1 and A2 arrive. Door B hears of it through the relay in one pass.
  const auto first = scan("A", {{"2026-03-02T15:00:00Z", "A1"}, {"2026-03-02T15:05:00Z", "A2"}});
  for (const auto& answer : first)
    EXPECT_EQ(answer.at("result"), "arrived") << answer.dump();
  ASSERT_NO_FATAL_FAILURE(sync("A"));
  ASSERT_NO_FATAL_FAILURE(sync("B"));
  const auto second = scan("B", {{"2026-03-02T15:40:00Z", "A1"}, {"2026-03-02T15:10:00Z", "A3"}});
  ASSERT_EQ(second.size(), 2U);
  EXPECT_EQ(second[0].at("result"), "left") << "door B knows door A's arrival through the relay";
  EXPECT_EQ(second[0].at("early"), true);
  EXPECT_EQ(second[1].at("result"), "arrived");
  ASSERT_NO_FATAL_FAILURE(sync("B"));
  // And the other way: door A learns door B's arrival of A3.
  ASSERT_NO_FATAL_FAILURE(sync("A"));
  const auto third = scan("A", {{"2026-03-02T16:00:00Z", "A3"}});
  ASSERT_EQ(third.size(), 1U);
  EXPECT_EQ(third[0].at("result"), "left");

  // What the relay acknowledged survives a kill -9.
  std::uint64_t acked_a = 0;
  std::uint64_t acked_b = 0;
  const auto before_a = door_scans("A", &acked_a);
  const auto before_b = door_scans("B", &acked_b);
  EXPECT_EQ(acked_b, 2U);
  stop_relay(SIGKILL);
  ASSERT_NO_FATAL_FAILURE(start_relay({})); // restarted from its database alone
  ASSERT_NO_FATAL_FAILURE(sync("A"));       // door A's third scan goes now
  scan("B", {{"2026-03-02T16:30:00Z", "A2"}});
  ASSERT_NO_FATAL_FAILURE(sync("B"));

  auto all_a = door_scans("A", &acked_a);
  auto all_b = door_scans("B", &acked_b);
  EXPECT_EQ(acked_a, 3U);
  EXPECT_EQ(acked_b, 3U);
  std::set<ScanKey> every;
  every.insert(all_a.begin(), all_a.end());
  every.insert(all_b.begin(), all_b.end());
  std::set<std::string> devices;
  for (const auto& key : every)
    devices.insert(std::get<0>(key));
  ASSERT_EQ(devices.size(), 2U);
  EXPECT_EQ(stored_scans(relay_db_, devices), every);
  EXPECT_EQ(*world_.store().scan_count(), 0U) << "the upstream was down all along";
  const Ran waiting = server("relay-status --db " + quote(relay_db_));
  ASSERT_EQ(waiting.exit_code, 0) << waiting.out;
  EXPECT_NE(waiting.out.find("6 scan(s) not on the League server yet"), std::string::npos)
      << waiting.out;

  // The upstream returns: the relay catches up on its own (probing every 5 s), exactly once.
  ASSERT_NO_FATAL_FAILURE(start_upstream());
  std::set<ScanKey> upstream;
  for (int attempt = 0; attempt < 300 && upstream != every; ++attempt) {
    std::this_thread::sleep_for(100ms);
    upstream = stored_scans(world_.database(), devices);
  }
  EXPECT_EQ(upstream, every) << read_file(world_.dir() / "relay.log");
  EXPECT_EQ(*world_.store().scan_count(), every.size());
  std::string status;
  for (int attempt = 0; attempt < 50; ++attempt) { // the relay saves its progress after the 200
    status = server("relay-status --db " + quote(relay_db_)).out;
    if (status.find("Every scan of 2 device(s) is on the League server.") != std::string::npos)
      break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(status.find("Every scan of 2 device(s) is on the League server."), std::string::npos)
      << status;
  EXPECT_NE(status.find("up to date"), std::string::npos) << status;
  auto relay_store = server::open_server_store(relay_db_);
  ASSERT_TRUE(relay_store.ok());
  for (const auto& device : devices) {
    auto record = world_.store().device(device);
    ASSERT_TRUE(record.ok()) << record.message();
    EXPECT_EQ(record->event_id, "EV1");
    EXPECT_TRUE(record->name.starts_with("Hall door ")) << record->name;
    // The kiosk's own key came along: the League knows the door as that kiosk.
    auto at_relay = (*relay_store)->device(device);
    ASSERT_TRUE(at_relay.ok());
    EXPECT_FALSE(at_relay->public_key.empty());
    EXPECT_EQ(record->public_key, at_relay->public_key);
  }

  // Upstream changes flow down: a revoked badge and a new registration reach door B.
  ASSERT_TRUE(world_.store()
                  .add_badge({"SER4", "A4", "EV1", "K1", world_.payload("A4"),
                              at("2026-03-01T00:00:00Z"), std::nullopt})
                  .ok());
  ASSERT_TRUE(world_.store().revoke_badge("SER4", at("2026-03-02T12:00:00Z")).ok());
  std::vector<Attendee> newcomer = {
      Attendee{"A99", "New", "Comer", Role::councilmember, "Springfield", ""}};
  ASSERT_TRUE(world_.store().upsert_roster(newcomer).ok());
  bool arrived = false;
  for (int attempt = 0; attempt < 40 && !arrived; ++attempt) {
    std::this_thread::sleep_for(250ms);
    ASSERT_NO_FATAL_FAILURE(sync("B"));
    auto store = KioskStore::open(door("B") / "kiosk.db");
    ASSERT_TRUE(store.ok());
    auto revoked = store->is_revoked("SER4");
    arrived = revoked && *revoked && store->attendee("A99").ok();
  }
  EXPECT_TRUE(arrived) << "the revocation and the new attendee did not reach the door\n"
                       << read_file(world_.dir() / "relay.log");
  const auto refused = scan("B", {{"2026-03-02T16:40:00Z", "A4"}});
  ASSERT_EQ(refused.size(), 1U);
  EXPECT_NE(refused[0].at("result"), "arrived") << refused[0].dump();

  // Nothing is sent twice: later rounds leave the League's count as it is.
  ASSERT_NO_FATAL_FAILURE(sync("B"));
  std::this_thread::sleep_for(2500ms);
  all_b = door_scans("B");
  EXPECT_EQ(*world_.store().scan_count(), all_a.size() + all_b.size());
}

TEST_F(VenueRelay, WithTheUpstreamReachableTheRelayStartsFromItsPackageAndForwardsAtOnce) {
  ASSERT_NO_FATAL_FAILURE(issue_token());
  ASSERT_NO_FATAL_FAILURE(start_upstream());
  ASSERT_NO_FATAL_FAILURE(start_relay({})); // no package file: a fresh database from upstream
  ASSERT_NO_FATAL_FAILURE(provision("A"));
  const auto answers = scan("A", {{"2026-03-02T15:00:00Z", "A1"}});
  ASSERT_EQ(answers.size(), 1U);
  EXPECT_EQ(answers[0].at("result"), "arrived");
  ASSERT_NO_FATAL_FAILURE(sync("A"));
  const auto scans = door_scans("A");
  ASSERT_EQ(scans.size(), 1U);
  const std::set<std::string> devices = {std::get<0>(*scans.begin())};
  std::set<ScanKey> upstream;
  // The push wakes the forwarder: well within one interval (1 s here).
  for (int attempt = 0; attempt < 100 && upstream != scans; ++attempt) {
    std::this_thread::sleep_for(50ms);
    upstream = stored_scans(world_.database(), devices);
  }
  EXPECT_EQ(upstream, scans) << read_file(world_.dir() / "relay.log");
}

TEST_F(VenueRelay, AKiosksUsbExportImportedAtTheRelayReachesTheLeagueWithItsKey) {
  ASSERT_NO_FATAL_FAILURE(start_upstream());
  ASSERT_NO_FATAL_FAILURE(start_relay_from_package());
  // A kiosk that never reached any server: set up from the package, scans, exports to USB.
  const std::string data = quote(door("usb").string());
  const Ran imported = run(kiosk_binary() + " --data " + data + " --room Hall import-package " +
                           quote(package_.string()));
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  scan("usb", {{"2026-03-02T15:00:00Z", "A1"}, {"2026-03-02T15:02:00Z", "A2"}});
  const Ran key = run(kiosk_binary() + " --data " + data + " device-key");
  ASSERT_EQ(key.exit_code, 0) << key.out;
  std::smatch fingerprint;
  ASSERT_TRUE(std::regex_search(key.out, fingerprint,
                                std::regex("fingerprint: ([0-9A-F]{4}(-[0-9A-F]{4}){4})")))
      << key.out;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(key.out, id, std::regex("device id: +(K-[0-9A-F]{12})")))
      << key.out;
  const std::string device = id[1].str();
  const auto file = world_.dir() / "usb.scans";
  const Ran exported =
      run(kiosk_binary() + " --data " + data + " export-scans --out " + quote(file.string()));
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  // At the relay, as at the League server; the relay forwards it with the kiosk's key.
  const Ran accepted = server("import-scans --db " + quote(relay_db_) + " --accept-key " +
                              fingerprint[1].str() + " " + quote(file.string()));
  ASSERT_EQ(accepted.exit_code, 0) << accepted.out;
  const auto scans = door_scans("usb", nullptr, device);
  ASSERT_EQ(scans.size(), 2U);
  std::set<ScanKey> upstream;
  for (int attempt = 0; attempt < 100 && upstream != scans; ++attempt) {
    std::this_thread::sleep_for(100ms);
    upstream = stored_scans(world_.database(), {device});
  }
  EXPECT_EQ(upstream, scans) << read_file(world_.dir() / "relay.log");
  auto at_league = world_.store().device(device);
  ASSERT_TRUE(at_league.ok()) << at_league.message();
  auto relay_store = server::open_server_store(relay_db_);
  ASSERT_TRUE(relay_store.ok());
  EXPECT_FALSE(at_league->public_key.empty());
  EXPECT_EQ(at_league->public_key, (*relay_store)->device(device)->public_key);
}

// A kiosk store in this process, provisioned at the relay like any kiosk (a desk needs the
// desk API, which the headless mode does not drive).
std::optional<KioskStore> provision_here(const std::filesystem::path& dir, const std::string& url,
                                         const std::string& code, const std::string& name) {
  std::filesystem::create_directories(dir);
  auto store = KioskStore::open(dir / "kiosk.db");
  EXPECT_TRUE(store.ok()) << store.message();
  if (!store) return std::nullopt;
  sync::HttpClient http;
  auto provisioned = sync::provision_device(http, url, code, name);
  EXPECT_TRUE(provisioned.ok()) << provisioned.message();
  if (!provisioned) return std::nullopt;
  EXPECT_TRUE(kiosk::set_device_id(*store, provisioned->device_id).ok());
  EXPECT_TRUE(sync::save_provisioning(*store, *provisioned, 0).ok());
  return std::move(store.value());
}

sync::SyncReport sync_here(KioskStore& kiosk) {
  sync::HttpClient http;
  sync::SyncPassOptions pass;
  pass.measure_clock = false;
  return sync::run_sync_pass(kiosk, http, pass, kiosk::package_applier());
}

TEST_F(VenueRelay, AReprintAtTheVenueDeskRevokesTheOldBadgeOnceTheLeagueHasIt) {
  auto key = parse_signing_key(read_file(world_.dir() / "league.key")
                                   .substr(0, read_file(world_.dir() / "league.key").find('\n')));
  ASSERT_TRUE(key.ok()) << key.message();
  auto old_payload = sign_badge({SyncWorld::kLeague, "A1", "SER1"}, *key);
  ASSERT_TRUE(old_payload.ok());
  ASSERT_TRUE(world_.store()
                  .add_badge({"SER1", "A1", SyncWorld::kEvent, "K1", *old_payload,
                              at("2026-02-01T00:00:00Z"), std::nullopt})
                  .ok());
  // The desk's key is certified in the League office, before the package goes to the venue.
  {
    std::filesystem::create_directories(world_.dir() / "desk");
    auto desk_store = KioskStore::open(world_.dir() / "desk" / "kiosk.db");
    ASSERT_TRUE(desk_store.ok()) << desk_store.message();
    auto desk_key = kiosk::ensure_desk_key(*desk_store);
    ASSERT_TRUE(desk_key.ok()) << desk_key.message();
    server::CertifyDeskOptions certify;
    certify.database = world_.database();
    certify.league_key = world_.dir() / "league.key";
    certify.public_key = to_text(desk_key->public_key());
    certify.device_name = "Registration desk";
    std::ostringstream out;
    std::ostringstream err;
    ASSERT_EQ(server::run_certify_desk(certify, out, err), 0) << err.str();
  }
  ASSERT_NO_FATAL_FAILURE(start_relay_from_package());

  const auto code = [&](const std::string& name) {
    return last_line(
        server("provision --db " + quote(relay_db_) + " --event EV1 --name " + quote(name)).out);
  };
  auto desk = provision_here(world_.dir() / "desk", relay_url(), code("Desk"), "Desk");
  ASSERT_TRUE(desk);
  ASSERT_TRUE(sync_here(*desk).ok);
  ASSERT_NO_FATAL_FAILURE(provision("B"));
  std::string new_payload;
  {
    kiosk::DeskOptions options;
    options.print_dir = world_.dir() / "reprints";
    options.printer = "";
    auto opened = kiosk::Desk::open(*desk, options);
    ASSERT_TRUE(opened.ok()) << opened.message();
    const Instant instant = at("2026-03-02T14:40:00Z");
    const auto checked = opened->scan(kiosk::RawScan{*old_payload, kiosk::ScanSource::wedge,
                                                     instant, instant.time_since_epoch()});
    ASSERT_EQ(checked.result, kiosk::DeskResult::checked_in) << checked.detail;
    const auto reprint = opened->reprint("A1", "STAFF-1", "lost badge", at("2026-03-02T14:50:00Z"),
                                         std::chrono::milliseconds{10});
    ASSERT_TRUE(reprint.ok) << reprint.message;
    EXPECT_EQ(reprint.old_serial, "SER1");
    new_payload = reprint.payload;
  }
  // The relay takes the reprint although it never saw SER1 issued: the League decides.
  const auto pushed = sync_here(*desk);
  ASSERT_TRUE(pushed.ok) << (pushed.error ? pushed.error->message : "");
  EXPECT_EQ(pushed.queued, 0U);

  ASSERT_NO_FATAL_FAILURE(start_upstream());
  bool revoked_upstream = false;
  for (int attempt = 0; attempt < 300 && !revoked_upstream; ++attempt) {
    std::this_thread::sleep_for(100ms);
    auto badge = world_.store().badge("SER1");
    revoked_upstream = badge.ok() && badge->revoked_at.has_value();
  }
  ASSERT_TRUE(revoked_upstream) << read_file(world_.dir() / "relay.log");
  auto reprinted = world_.store().badge("SER1-R1");
  ASSERT_TRUE(reprinted.ok()) << reprinted.message();
  EXPECT_EQ(reprinted->payload, new_payload);
  // Door B learns the revocation from the League's package, through the relay.
  bool at_door = false;
  for (int attempt = 0; attempt < 40 && !at_door; ++attempt) {
    std::this_thread::sleep_for(250ms);
    ASSERT_NO_FATAL_FAILURE(sync("B"));
    auto store = KioskStore::open(door("B") / "kiosk.db");
    ASSERT_TRUE(store.ok());
    auto revoked = store->is_revoked("SER1");
    at_door = revoked && *revoked;
  }
  EXPECT_TRUE(at_door) << read_file(world_.dir() / "relay.log");
}

TEST_F(VenueRelay, AKioskRestoredBehindTheRelayReachesTheLeagueAsALinkedBranch) {
  ASSERT_NO_FATAL_FAILURE(start_relay_from_package());
  ASSERT_NO_FATAL_FAILURE(provision("A"));
  scan("A", {{"2026-03-02T15:00:00Z", "A1"}, {"2026-03-02T15:01:00Z", "A2"}});
  // The SD card's backup, taken before the door's next sync.
  std::filesystem::copy(door("A"), door("backup"), std::filesystem::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(sync("A"));
  scan("A", {{"2026-03-02T15:02:00Z", "A3"}});
  ASSERT_NO_FATAL_FAILURE(sync("A"));
  const std::string parent = std::get<0>(*door_scans("A").begin());
  const auto parent_scans = door_scans("A");
  ASSERT_EQ(parent_scans.size(), 3U);

  // Restored: sequence 3 is now another scan; the relay branches the kiosk.
  std::filesystem::remove_all(door("A"));
  std::filesystem::rename(door("backup"), door("A"));
  scan("A", {{"2026-03-02T15:05:00Z", "A4"}});
  ASSERT_NO_FATAL_FAILURE(sync("A"));
  std::uint64_t acked = 0;
  const auto branch_scans = door_scans("A", &acked);
  ASSERT_EQ(branch_scans.size(), 1U);
  EXPECT_EQ(acked, 1U);
  const std::string branch = std::get<0>(*branch_scans.begin());
  EXPECT_EQ(branch, parent + "-B1");

  ASSERT_NO_FATAL_FAILURE(start_upstream());
  std::set<ScanKey> every = parent_scans;
  every.insert(branch_scans.begin(), branch_scans.end());
  std::set<ScanKey> upstream;
  for (int attempt = 0; attempt < 200 && upstream != every; ++attempt) {
    std::this_thread::sleep_for(50ms);
    upstream = stored_scans(world_.database(), {parent, branch});
  }
  EXPECT_EQ(upstream, every) << read_file(world_.dir() / "relay.log");
  // The League knows what the relay knows: the branch is linked, the parent was rolled back.
  auto lineage = world_.store().lineage(branch);
  ASSERT_TRUE(lineage.ok()) << lineage.message();
  ASSERT_EQ(lineage->size(), 1U);
  EXPECT_EQ(lineage->front().device_id, parent);
  EXPECT_EQ(lineage->front().before_sequence, 3U);
  auto rolled_back = world_.store().device(parent);
  ASSERT_TRUE(rolled_back.ok()) << rolled_back.message();
  EXPECT_EQ(rolled_back->rollbacks, 1U);
  const Ran devices = server("devices --db " + quote(world_.database()));
  EXPECT_NE(devices.out.find("branch of " + parent), std::string::npos) << devices.out;
}

TEST_F(VenueRelay, TokensAreForOneEventAndRevocable) {
  ASSERT_NO_FATAL_FAILURE(issue_token());
  const Ran unknown = server("relay-token --db " + quote(world_.database()) + " --event NOPE");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.out.find("NOPE"), std::string::npos) << unknown.out;

  sync::HttpClient http;
  // The relay's endpoints against the League server itself.
  auto pulled = http.get(world_.url() + "/api/v1/relay/package", token_);
  ASSERT_TRUE(pulled.ok());
  EXPECT_EQ(pulled->status, 200) << pulled->body;
  auto registered = http.post_json(world_.url() + "/api/v1/relay/devices",
                                   R"({"device_id":"dev-venue1","device_name":"Door 1"})", token_);
  ASSERT_TRUE(registered.ok());
  EXPECT_EQ(registered->status, 201) << registered->body;
  auto again = http.post_json(world_.url() + "/api/v1/relay/devices",
                              R"({"device_id":"dev-venue1","device_name":"Door 1"})", token_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200) << again->body;
  // A device provisioned directly cannot be taken over by a relay, nor pushed for.
  auto direct = world_.provision_kiosk("direct");
  ASSERT_TRUE(direct.has_value());
  const std::string direct_id = **direct->setting(sync::kSettingSyncDeviceId);
  auto taken = http.post_json(world_.url() + "/api/v1/relay/devices",
                              R"({"device_id":")" + direct_id + R"("})", token_);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->status, 409) << taken->body;
  auto pushed = http.post_json(world_.url() + "/api/v1/devices/" + direct_id + "/scans",
                               R"({"scans":[]})", token_);
  ASSERT_TRUE(pushed.ok());
  EXPECT_EQ(pushed->status, 403) << pushed->body;
  auto relayed =
      http.post_json(world_.url() + "/api/v1/devices/dev-venue1/scans", R"({"scans":[]})", token_);
  ASSERT_TRUE(relayed.ok());
  EXPECT_EQ(relayed->status, 200) << relayed->body;

  // A forwarded batch takes the checks of the device's own push, and is stored exactly once.
  Scan scan;
  scan.device_id = "dev-venue1";
  scan.sequence = 1;
  scan.attendee_id = "A2"; // the badge is A1's
  scan.badge_serial = "SER1";
  scan.badge_payload = world_.payload("A1");
  scan.session_id = "S1";
  scan.kind = ScanKind::arrive;
  scan.wall_time = at("2026-03-02T15:00:00Z");
  scan.monotonic_ms = 1000;
  seal(scan, kZeroDigest);
  const std::string url = world_.url() + "/api/v1/devices/dev-venue1/scans";
  auto forged = http.post_json(url, scan_batch_to_json(std::vector<Scan>{scan}, "EV1"), token_);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(forged->status, 422) << forged->body;
  EXPECT_NE(forged->body.find("badge_mismatch"), std::string::npos) << forged->body;
  scan.attendee_id = "A1";
  seal(scan, kZeroDigest);
  const std::string body = scan_batch_to_json(std::vector<Scan>{scan}, "EV1");
  auto stored = http.post_json(url, body, token_);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->status, 200) << stored->body;
  EXPECT_EQ(json::parse(stored->body).at("stored"), 1);
  auto resent = http.post_json(url, body, token_);
  ASSERT_TRUE(resent.ok());
  EXPECT_EQ(json::parse(resent->body).at("duplicates"), 1) << resent->body;
  EXPECT_EQ(*world_.store().scan_count(), 1U);

  // Revoked: refused from the next request.
  const Ran revoked =
      server("revoke-token --db " + quote(world_.database()) + " --token " + token_);
  ASSERT_EQ(revoked.exit_code, 0) << revoked.out;
  EXPECT_NE(revoked.out.find("relay token"), std::string::npos) << revoked.out;
  auto refused = http.get(world_.url() + "/api/v1/relay/package", token_);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 401) << refused->body;
}

} // namespace
} // namespace muster::test
