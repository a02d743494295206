// A kiosk's own identity, end to end with the real programs: a kiosk set up from a USB package
// (`muster-server package`, `muster-kiosk import-package`) scans offline headless, then
// provisions against a real `muster-server serve` on 127.0.0.1 and syncs everything it recorded
// before; and the USB round trip both ways (`muster-kiosk export-scans`, `muster-server
// import-scans`, `register-device`), with re-imports, overlapping files, tampered lines and
// keys that are not the device's.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "shared/scan_log.hpp"
#include "tests/fault/sync_world.hpp"
#include "tests/support/process.hpp"

namespace muster::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The shared runner (tests/support/process.hpp), under the short names these tests use.
std::string quote(const std::string& text) { return quoted(text); }
Ran run(const std::string& command) { return run_shell(command); }

std::string kiosk_binary() { return std::string(MUSTER_BINARY_DIR) + "/kiosk/muster-kiosk"; }
std::string server_binary() {
  return std::string(MUSTER_BINARY_DIR) + "/sync/server/muster-server";
}

// `muster-server serve` as its own process on a free loopback port, stopped with SIGTERM.
class ServeProcess {
public:
  bool start(const std::string& database, const fs::path& league_key, const fs::path& log) {
    pid_ = fork();
    if (pid_ == 0) {
      std::FILE* out = std::freopen(log.c_str(), "w", stderr);
      (void)out;
      const std::string bin = server_binary();
      execl(bin.c_str(), bin.c_str(), "serve", "--db", database.c_str(), "--league-key",
            league_key.c_str(), "--listen", "127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
    const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 200; ++i) {
      std::smatch match;
      std::ifstream in(log);
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      if (std::regex_search(text, match, listening)) {
        url_ = "http://127.0.0.1:" + match[1].str();
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  [[nodiscard]] const std::string& url() const { return url_; }

private:
  pid_t pid_ = -1;
  std::string url_;
};

class KioskIdentity : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(world_.setup(6));
    package_ = world_.dir() / "EV1.package";
    const Ran packaged =
        server("package --event EV1 --league-key " + quote((world_.dir() / "league.key").string()) +
               " --out " + quote(package_.string()));
    ASSERT_EQ(packaged.exit_code, 0) << packaged.out;
  }

  fs::path data(const std::string& name) { return world_.dir() / ("kiosk-" + name); }

  Ran kiosk(const std::string& name, const std::string& args) {
    return run(kiosk_binary() + " --data " + quote(data(name).string()) + " " + args);
  }

  Ran server(const std::string& args) {
    return run(server_binary() + " " + args + " --db " + quote(world_.database()));
  }

  // A kiosk set up from the USB package only: no server ever seen.
  void set_up_from_package(const std::string& name, const std::string& extra = "") {
    const Ran imported =
        kiosk(name, extra + "--room Hall import-package " + quote(package_.string()));
    ASSERT_EQ(imported.exit_code, 0) << imported.out;
  }

  void scan(const std::string& name,
            const std::vector<std::pair<std::string, std::string>>& scans) {
    std::string input;
    for (const auto& [time, attendee] : scans)
      input += "@" + time + " " + world_.payload(attendee) + "\n";
    const auto file = world_.dir() / ("input-" + name + ".txt");
    write_file(file, input);
    const Ran ran = kiosk(name, "headless --simulated-clock < " + quote(file.string()));
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
    std::size_t answers = 0;
    std::istringstream lines(ran.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line.front() != '{') continue;
      ++answers;
      EXPECT_EQ(json::parse(line).value("ok", true), true) << line;
    }
    ASSERT_EQ(answers, scans.size()) << ran.out;
  }

  // "device id:   K-..." and "fingerprint: XXXX-..." from `muster-kiosk device-key`.
  std::pair<std::string, std::string> identity(const std::string& name,
                                               const std::string& args = "") {
    const Ran shown = kiosk(name, "device-key" + args);
    EXPECT_EQ(shown.exit_code, 0) << shown.out;
    std::smatch id;
    std::smatch fingerprint;
    EXPECT_TRUE(std::regex_search(shown.out, id, std::regex("device id: +(K-[0-9A-F]{12})")))
        << shown.out;
    EXPECT_TRUE(std::regex_search(shown.out, fingerprint,
                                  std::regex("fingerprint: ([0-9A-F]{4}(-[0-9A-F]{4}){4})")))
        << shown.out;
    return {id.empty() ? "" : id[1].str(), fingerprint.empty() ? "" : fingerprint[1].str()};
  }

  std::string add_code(const std::string& code) {
    auto added = world_.store().add_provisioning_code(
        server::hash_secret(code), SyncWorld::kEvent, "Hall door",
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
            std::chrono::hours{1});
    EXPECT_TRUE(added.ok()) << added.message();
    return code;
  }

  std::unique_ptr<server::ServerStore> fresh_store() {
    auto opened = server::open_server_store(world_.database());
    EXPECT_TRUE(opened.ok()) << opened.message();
    return opened ? std::move(opened.value()) : nullptr;
  }

  std::uint64_t server_scans() { return fresh_store()->scan_count().value(); }

  // The server holds exactly the kiosk's chain: same sequences, same hashes, intact.
  void expect_server_holds_kiosk_chain(const std::string& name, const std::string& device) {
    auto local_store = KioskStore::open(data(name) / "kiosk.db");
    ASSERT_TRUE(local_store.ok()) << local_store.message();
    auto local = local_store->scans_after(device, 0, 100000);
    ASSERT_TRUE(local.ok());
    auto remote = fresh_store()->scans_for_device(device);
    ASSERT_TRUE(remote.ok()) << remote.message();
    ASSERT_EQ(remote->size(), local->size());
    for (std::size_t i = 0; i < remote->size(); ++i) {
      EXPECT_EQ((*remote)[i].sequence, i + 1);
      EXPECT_EQ((*remote)[i].hash, (*local)[i].hash) << "sequence " << i + 1;
    }
    EXPECT_FALSE(verify_device_chain(device, *remote).has_value());
  }

  SyncWorld world_;
  fs::path package_;
};

TEST_F(KioskIdentity, AKioskThatScannedBeforeProvisioningSyncsEverythingInOrder) {
  ASSERT_NO_FATAL_FAILURE(set_up_from_package("door"));
  ASSERT_NO_FATAL_FAILURE(scan("door", {{"2026-03-02T15:00:00Z", "A1"},
                                        {"2026-03-02T15:01:00Z", "A2"},
                                        {"2026-03-02T15:02:00Z", "A3"}}));
  const auto [device, fingerprint] = identity("door");
  ASSERT_FALSE(device.empty());

  ServeProcess serve;
  ASSERT_TRUE(
      serve.start(world_.database(), world_.dir() / "league.key", world_.dir() / "serve.log"))
      << read_file(world_.dir() / "serve.log");
  const Ran provisioned = kiosk("door", "provision " + serve.url() + " " + add_code("DOOR-1"));
  ASSERT_EQ(provisioned.exit_code, 0) << provisioned.out;
  EXPECT_NE(provisioned.out.find("provisioned as device " + device), std::string::npos)
      << provisioned.out;
  ASSERT_NO_FATAL_FAILURE(scan("door", {{"2026-03-02T15:40:00Z", "A1"}}));
  const Ran synced = kiosk("door", "sync --once");
  ASSERT_EQ(synced.exit_code, 0) << synced.out;
  EXPECT_NE(synced.out.find("all scans acknowledged"), std::string::npos) << synced.out;
  ASSERT_NO_FATAL_FAILURE(expect_server_holds_kiosk_chain("door", device));
  EXPECT_EQ(server_scans(), 4U);
  auto record = fresh_store()->device(device);
  ASSERT_TRUE(record.ok()) << record.message();
  EXPECT_NE(record->public_key, "") << "the device key is registered with the device";
}

TEST_F(KioskIdentity, UsbRoundTripIsIdempotentAndOverlappingFilesChangeNothing) {
  ASSERT_NO_FATAL_FAILURE(set_up_from_package("usb"));
  ASSERT_NO_FATAL_FAILURE(scan("usb", {{"2026-03-02T15:00:00Z", "A1"},
                                       {"2026-03-02T15:01:00Z", "A2"},
                                       {"2026-03-02T15:02:00Z", "A3"}}));
  const auto [device, fingerprint] = identity("usb");
  const fs::path first = world_.dir() / "first.scans";
  const Ran exported = kiosk("usb", "export-scans --out " + quote(first.string()));
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_NE(exported.out.find("exported 3 scans"), std::string::npos) << exported.out;

  // Unknown device: refused, and the fingerprint to compare is printed.
  const Ran unknown = server("import-scans " + quote(first.string()));
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out;
  EXPECT_NE(unknown.out.find("not registered"), std::string::npos) << unknown.out;
  EXPECT_NE(unknown.out.find(fingerprint), std::string::npos) << unknown.out;
  const Ran wrong =
      server("import-scans --accept-key 0000-0000-0000-0000-0000 " + quote(first.string()));
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_EQ(server_scans(), 0U);

  const Ran accepted =
      server("import-scans --accept-key " + fingerprint + " " + quote(first.string()));
  ASSERT_EQ(accepted.exit_code, 0) << accepted.out;
  EXPECT_NE(accepted.out.find("3 new scans"), std::string::npos) << accepted.out;
  EXPECT_EQ(server_scans(), 3U);
  const Ran again = server("import-scans " + quote(first.string()));
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("Nothing new"), std::string::npos) << again.out;
  EXPECT_EQ(server_scans(), 3U);

  // An overlapping export (everything again, plus two) adds only the two.
  ASSERT_NO_FATAL_FAILURE(
      scan("usb", {{"2026-03-02T15:30:00Z", "A1"}, {"2026-03-02T15:31:00Z", "A2"}}));
  const fs::path second = world_.dir() / "second.scans";
  ASSERT_EQ(kiosk("usb", "export-scans --out " + quote(second.string())).exit_code, 0);
  const Ran overlapping = server("import-scans " + quote(second.string()));
  ASSERT_EQ(overlapping.exit_code, 0) << overlapping.out;
  EXPECT_NE(overlapping.out.find("2 new scans"), std::string::npos) << overlapping.out;
  EXPECT_NE(overlapping.out.find("3 already stored"), std::string::npos) << overlapping.out;
  // --since-last-export: only what came after the previous file.
  ASSERT_NO_FATAL_FAILURE(scan("usb", {{"2026-03-02T16:00:00Z", "A3"}}));
  const fs::path third = world_.dir() / "third.scans";
  const Ran since = kiosk("usb", "export-scans --since-last-export --out " + quote(third.string()));
  ASSERT_EQ(since.exit_code, 0) << since.out;
  EXPECT_NE(since.out.find("exported 1 scans"), std::string::npos) << since.out;
  ASSERT_EQ(server("import-scans " + quote(third.string())).exit_code, 0);
  for (const auto& file : {first, second, third}) {
    const Ran repeat = server("import-scans " + quote(file.string()));
    EXPECT_EQ(repeat.exit_code, 0) << repeat.out;
    EXPECT_NE(repeat.out.find("Nothing new"), std::string::npos) << repeat.out;
  }
  EXPECT_EQ(server_scans(), 6U);
  ASSERT_NO_FATAL_FAILURE(expect_server_holds_kiosk_chain("usb", device));
}

TEST_F(KioskIdentity, ATamperedFileIsRefusedWithItsLineAndStoresNothing) {
  ASSERT_NO_FATAL_FAILURE(set_up_from_package("t"));
  ASSERT_NO_FATAL_FAILURE(scan("t", {{"2026-03-02T15:00:00Z", "A1"},
                                     {"2026-03-02T15:01:00Z", "A2"},
                                     {"2026-03-02T15:02:00Z", "A3"}}));
  const auto [device, fingerprint] = identity("t");
  const fs::path file = world_.dir() / "t.scans";
  ASSERT_EQ(kiosk("t", "export-scans --out " + quote(file.string())).exit_code, 0);
  const std::string original = read_file(file);
  std::vector<std::string> lines;
  std::istringstream in(original);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 5U) << original; // header, 3 scans, signature
  const auto write_lines = [&](const fs::path& path, const std::vector<std::string>& content) {
    std::string text;
    for (const auto& line : content)
      text += line + "\n";
    write_file(path, text);
  };

  // Line 3 (scan 2) says another attendee: its hash no longer matches.
  auto edited = lines;
  const auto at = edited[2].find("\"A2\"");
  ASSERT_NE(at, std::string::npos) << edited[2];
  edited[2].replace(at, 4, "\"A4\"");
  const fs::path tampered = world_.dir() / "tampered.scans";
  write_lines(tampered, edited);
  const Ran refused =
      server("import-scans --accept-key " + fingerprint + " " + quote(tampered.string()));
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("line 3:"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("hash does not match"), std::string::npos) << refused.out;

  // The header names another event: only the signature (line 5) can tell.
  auto header = lines;
  const auto exported_at = header[0].find("\"exported_at_ms\":");
  ASSERT_NE(exported_at, std::string::npos);
  header[0].insert(exported_at + 17, "1");
  const fs::path resigned = world_.dir() / "header.scans";
  write_lines(resigned, header);
  const Ran unsigned_header =
      server("import-scans --accept-key " + fingerprint + " " + quote(resigned.string()));
  EXPECT_EQ(unsigned_header.exit_code, 1) << unsigned_header.out;
  EXPECT_NE(unsigned_header.out.find("line 5:"), std::string::npos) << unsigned_header.out;
  EXPECT_NE(unsigned_header.out.find("signature does not verify"), std::string::npos)
      << unsigned_header.out;

  // A scan line dropped: the next one does not follow.
  auto dropped = lines;
  dropped.erase(dropped.begin() + 2);
  const fs::path gap = world_.dir() / "gap.scans";
  write_lines(gap, dropped);
  const Ran gapped = server("import-scans --accept-key " + fingerprint + " " + quote(gap.string()));
  EXPECT_EQ(gapped.exit_code, 1) << gapped.out;
  EXPECT_NE(gapped.out.find("line 3:"), std::string::npos) << gapped.out;

  EXPECT_EQ(server_scans(), 0U) << "nothing of a refused file is stored";
  EXPECT_FALSE(fresh_store()->device(device).ok()) << "nor is its device registered";
  const Ran good = server("import-scans --accept-key " + fingerprint + " " + quote(file.string()));
  EXPECT_EQ(good.exit_code, 0) << good.out;
  EXPECT_EQ(server_scans(), 3U);
}

TEST_F(KioskIdentity, RegisteredKeyIsAcceptedAndAnotherKeyForItsIdIsRefusedEverywhere) {
  ASSERT_NO_FATAL_FAILURE(set_up_from_package("a"));
  const fs::path key_file = world_.dir() / "a.key";
  const auto [device, fingerprint] = identity("a", " --out " + quote(key_file.string()));
  const Ran registered =
      server("register-device --event EV1 --name 'Hall A' --key " + quote(key_file.string()));
  ASSERT_EQ(registered.exit_code, 0) << registered.out;
  EXPECT_NE(registered.out.find(fingerprint), std::string::npos) << registered.out;
  // Registering the same key again changes nothing.
  EXPECT_EQ(server("register-device --event EV1 --key " + quote(key_file.string())).exit_code, 0);

  ASSERT_NO_FATAL_FAILURE(
      scan("a", {{"2026-03-02T15:00:00Z", "A1"}, {"2026-03-02T15:05:00Z", "A2"}}));
  const fs::path file_a = world_.dir() / "a.scans";
  ASSERT_EQ(kiosk("a", "export-scans --out " + quote(file_a.string())).exit_code, 0);
  const Ran imported = server("import-scans " + quote(file_a.string()));
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  EXPECT_EQ(server_scans(), 2U);

  // Another store claiming the same device id has another key.
  ASSERT_NO_FATAL_FAILURE(set_up_from_package("b", "--device-id " + device + " "));
  ASSERT_NO_FATAL_FAILURE(scan("b", {{"2026-03-02T15:00:00Z", "A3"}}));
  const auto [device_b, fingerprint_b] = identity("b");
  ASSERT_EQ(device_b, device);
  ASSERT_NE(fingerprint_b, fingerprint);
  const fs::path file_b = world_.dir() / "b.scans";
  ASSERT_EQ(kiosk("b", "export-scans --out " + quote(file_b.string())).exit_code, 0);
  const Ran foreign =
      server("import-scans --accept-key " + fingerprint_b + " " + quote(file_b.string()));
  EXPECT_EQ(foreign.exit_code, 1) << foreign.out;
  EXPECT_NE(foreign.out.find("registered with another key"), std::string::npos) << foreign.out;
  const fs::path key_b = world_.dir() / "b.key";
  ASSERT_EQ(kiosk("b", "device-key --out " + quote(key_b.string())).exit_code, 0);
  EXPECT_EQ(server("register-device --event EV1 --key " + quote(key_b.string())).exit_code, 1);
  EXPECT_EQ(server_scans(), 2U);

  ServeProcess serve;
  ASSERT_TRUE(
      serve.start(world_.database(), world_.dir() / "league.key", world_.dir() / "serve.log"))
      << read_file(world_.dir() / "serve.log");
  const std::string code = add_code("HALL-DOOR");
  const Ran taken = kiosk("b", "provision " + serve.url() + " " + code);
  EXPECT_EQ(taken.exit_code, 1) << taken.out;
  EXPECT_NE(taken.out.find("device_id_taken"), std::string::npos) << taken.out;
  // The code was not used up: the real kiosk provisions with it and syncs (its scans are on
  // the server already, from the USB stick: acknowledged as duplicates).
  const Ran provisioned = kiosk("a", "provision " + serve.url() + " " + code);
  ASSERT_EQ(provisioned.exit_code, 0) << provisioned.out;
  const Ran synced = kiosk("a", "sync --once");
  ASSERT_EQ(synced.exit_code, 0) << synced.out;
  EXPECT_NE(synced.out.find("all scans acknowledged"), std::string::npos) << synced.out;
  {
    auto local = KioskStore::open(data("a") / "kiosk.db");
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(local->acked_through(device).value(), 2U);
  }
  EXPECT_EQ(server_scans(), 2U);
  ASSERT_NO_FATAL_FAILURE(expect_server_holds_kiosk_chain("a", device));
}

// A server from before kiosks had their own ids answers with an id of its own: a kiosk that
// already recorded scans keeps them under its id and stays unprovisioned.
TEST_F(KioskIdentity, AnOlderServersOwnIdIsRefusedByAKioskWithScans) {
  ASSERT_NO_FATAL_FAILURE(set_up_from_package("old"));
  ASSERT_NO_FATAL_FAILURE(scan("old", {{"2026-03-02T15:00:00Z", "A1"}}));
  httplib::Server old;
  old.Post("/api/v1/devices", [](const httplib::Request&, httplib::Response& res) {
    const std::string id = "dev-0123456789abcdef";
    res.status = 201;
    res.set_content(json{{"device_id", id},
                         {"device_name", "x"},
                         {"token", id + "." + std::string(64, 'a')},
                         {"event_id", "EV1"},
                         {"league_id", "TL"},
                         {"server_time_ms", 0}}
                        .dump(),
                    "application/json");
  });
  const int port = old.bind_to_any_port("127.0.0.1");
  std::thread listener([&old] { old.listen_after_bind(); });
  const Ran refused = kiosk("old", "provision http://127.0.0.1:" + std::to_string(port) + " C");
  old.stop();
  listener.join();
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("split that scan chain"), std::string::npos) << refused.out;
  const auto [device, fingerprint] = identity("old");
  EXPECT_EQ(device.rfind("K-", 0), 0U) << "the kiosk keeps its own id";
}

} // namespace
} // namespace muster::test
