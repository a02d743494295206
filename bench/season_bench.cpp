// The League's side at the scale of a season (issue 19, part 3): a generated season of officials,
// events, sessions and scans, the scans pushed through the real ingest (ingest_scans, what the
// HTTP handler runs: badges verified, chains checked, committed per batch), then what the League
// does after its events: close-event of the largest event, a transcript for every official
// (JSON, and PDF for a sample), the three reports and `credits --format json` of the largest
// event, each timed, with the process's peak RSS over those steps.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench.hpp"
#include "shared/badge.hpp"
#include "shared/scan_log.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/credit_pdf.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/scan_ingest.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/sql_connection.hpp"

namespace muster::bench {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The full season (scale 1.0); events and sessions are the calendar and do not scale.
constexpr std::size_t kFullOfficials = 50'000;
constexpr std::size_t kFullScans = 2'000'000;
constexpr std::size_t kEvents = 40;
constexpr std::size_t kSessionsPerEvent = 10;
constexpr std::size_t kSessionsAttended = 5; // of an event's sessions, per participant
constexpr std::size_t kDoorsPerEvent = 5;
constexpr std::size_t kBatch = 1000;
constexpr std::size_t kLargestWeight = 4; // the first event has 4x the scans of each other one
// 2026-01-06 14:00 UTC, 08:00 in Chicago: the first event's first session.
constexpr std::int64_t kSeasonStartMs = 1'767'708'000'000;

// Peak RSS since the last reset (VmHWM), in MB.
double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}
// Resets VmHWM to the current RSS (Linux >= 4.0), so the peak covers only the League's steps,
// not the generator's.
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

Instant at_ms(std::int64_t ms) { return Instant{std::chrono::milliseconds{ms}}; }

struct Figures {
  std::size_t officials = 0;
  std::size_t scans = 0;
  double ingest_s = 0;
  double close_all_s = 0; // the other events, to fill the ledger (setup, reported apart)
  double close_largest_s = 0;
  std::size_t largest_scans = 0;
  double transcripts_per_s = 0;
  double pdf_per_s = 0;
  double report_s[3] = {0, 0, 0};
  double credits_s = 0;
  double peak_mb = 0;
};

class Season {
public:
  Season(std::string database, double scale) : database_(std::move(database)), scale_(scale) {
    officials_ = std::max<std::size_t>(10, std::llround(kFullOfficials * scale_));
    scans_ = std::max<std::size_t>(kEvents * 20, std::llround(kFullScans * scale_));
  }

  std::string run(Figures& figures) {
    figures.officials = officials_;
    if (auto error = setup(); !error.empty()) return error;
    auto start = std::chrono::steady_clock::now();
    if (auto error = push_scans(figures); !error.empty()) return error;
    figures.ingest_s = ms_since(start) / 1000.0;
    return league_steps(figures);
  }

private:
  std::string setup() {
    auto opened = server::open_server_store(database_);
    if (!opened) return opened.message();
    store_ = std::move(*opened);
    auto key = SigningKey::generate("SK1");
    if (!key) return "generating the League key failed";
    key_ = std::make_unique<SigningKey>(std::move(key.value()));
    if (auto ok = store_->initialise({"SEASON", "Season League"}); !ok) return ok.message();
    if (auto ok = store_->add_league_key({"SK1", to_text(key_->public_key()), at_ms(0), true});
        !ok) {
      return ok.message();
    }
    std::vector<Attendee> roster;
    roster.reserve(officials_);
    for (std::size_t i = 0; i < officials_; ++i) {
      const std::string id = "OF-" + std::to_string(i);
      // One mayor per five officials: a municipality is a mayor and four councilmembers.
      roster.push_back({id, "First" + std::to_string(i), "Last" + std::to_string(i),
                        i % 5 == 0 ? Role::mayor : Role::councilmember,
                        "Town " + std::to_string(i / 5), id + "@example.org"});
    }
    if (auto up = store_->upsert_roster(roster); !up) return up.message();
    for (std::size_t e = 0; e < kEvents; ++e) {
      Event event;
      event.id = "EV-" + std::to_string(e + 1);
      event.name = "Season event " + std::to_string(e + 1);
      event.timezone = "America/Chicago";
      event.location = "Springfield";
      const std::int64_t day = kSeasonStartMs + static_cast<std::int64_t>(e) * 7 * 86'400'000;
      for (std::size_t k = 0; k < kSessionsPerEvent; ++k) {
        Session session;
        session.id = event.id + "-S" + std::to_string(k + 1);
        session.title = "Session " + std::to_string(k + 1);
        session.room = "Room " + std::to_string(k % 3 + 1);
        session.start = at_ms(day + static_cast<std::int64_t>(k) * 3'600'000);
        session.end = session.start + 50min;
        session.credit_hours = 1.0;
        session.course_code = "C-" + std::to_string(e * kSessionsPerEvent + k + 1);
        event.sessions.push_back(session);
      }
      if (auto up = store_->upsert_event(event); !up) return up.message();
      events_.push_back(std::move(event));
    }
    payloads_.reserve(officials_);
    for (std::size_t i = 0; i < officials_; ++i) {
      const std::string id = "OF-" + std::to_string(i);
      auto payload = sign_badge({"SEASON", id, "SER-" + id}, *key_);
      if (!payload) return "signing a badge failed";
      payloads_.push_back(std::move(*payload));
    }
    return {};
  }

  // The scans of event e: participants each attend kSessionsAttended sessions (arrive, leave),
  // spread over the event's doors; each door's chain in time order, pushed in batches.
  std::string push_scans(Figures& figures) {
    const std::size_t weights = kLargestWeight + (kEvents - 1);
    const std::size_t attendances = scans_ / 2;
    std::size_t offset = 0;
    for (std::size_t e = 0; e < kEvents; ++e) {
      const std::size_t event_attendances = attendances * (e == 0 ? kLargestWeight : 1) / weights;
      const std::size_t participants =
          std::max<std::size_t>(1, std::min(officials_, event_attendances / kSessionsAttended));
      std::vector<server::DeviceRecord> doors;
      for (std::size_t d = 0; d < kDoorsPerEvent; ++d) {
        const std::string name = events_[e].id + "-D" + std::to_string(d + 1);
        if (auto ok =
                store_->add_provisioning_code(server::hash_secret("code-" + name), events_[e].id,
                                              name, at_ms(kSeasonStartMs) + 8760h);
            !ok) {
          return ok.message();
        }
        auto device = store_->redeem_provisioning_code(server::hash_secret("code-" + name), name,
                                                       server::hash_secret("token-" + name),
                                                       events_[e].sessions[0].start - 1h);
        if (!device) return device.message();
        doors.push_back(std::move(*device));
      }
      for (std::size_t d = 0; d < kDoorsPerEvent; ++d) {
        std::vector<Scan> batch;
        Digest previous = kZeroDigest;
        std::uint64_t sequence = 0;
        const auto push = [&]() -> std::string {
          if (batch.empty()) return {};
          ScanBatch body;
          body.scans = std::move(batch);
          batch.clear();
          const Instant now = events_[e].sessions.back().end + 1h;
          const auto answer = server::ingest_scans(*store_, doors[d], std::move(body), now);
          if (!answer.ok()) return "ingest refused a batch: " + answer.message;
          figures.scans += answer.stored;
          if (e == 0) figures.largest_scans += answer.stored;
          return {};
        };
        for (std::size_t k = 0; k < kSessionsPerEvent; ++k) {
          const Session& session = events_[e].sessions[k];
          for (const ScanKind kind : {ScanKind::arrive, ScanKind::leave}) {
            for (std::size_t j = d; j < participants; j += kDoorsPerEvent) {
              // Participant j attends sessions j, j+1, ... j+4 (mod 10) of the event.
              if ((k + kSessionsPerEvent - j % kSessionsPerEvent) % kSessionsPerEvent >=
                  kSessionsAttended) {
                continue;
              }
              const std::size_t official = (offset + j) % officials_;
              Scan s;
              s.device_id = doors[d].id;
              s.sequence = ++sequence;
              s.attendee_id = "OF-" + std::to_string(official);
              s.badge_serial = "SER-" + s.attendee_id;
              s.badge_payload = payloads_[official];
              s.session_id = session.id;
              s.kind = kind;
              const auto spread = std::chrono::milliseconds((j * 37) % 300'000);
              s.wall_time = kind == ScanKind::arrive ? session.start - 5min + spread
                                                     : session.end + spread / 10;
              s.monotonic_ms = s.wall_time.time_since_epoch().count() - kSeasonStartMs + 3'600'000;
              seal(s, previous);
              previous = s.hash;
              batch.push_back(std::move(s));
              if (batch.size() == kBatch) {
                if (auto error = push(); !error.empty()) return error;
              }
            }
          }
        }
        if (auto error = push(); !error.empty()) return error;
      }
      offset += participants * 7 / 3; // the next event's participants overlap in part
    }
    return {};
  }

  // The step's time; its own peak RSS goes to stderr (which step holds the memory), the
  // overall peak is the largest of them.
  template <class Step> double seconds(const char* name, Step&& step) {
    reset_peak_rss();
    const auto start = std::chrono::steady_clock::now();
    step();
    const double s = ms_since(start) / 1000.0;
    const double peak = peak_rss_mb();
    step_peak_mb_ = std::max(step_peak_mb_, peak);
    std::cerr << "season: " << name << " " << fixed(s, 2) << " s, peak RSS " << fixed(peak, 0)
              << " MB\n";
    return s;
  }

  // What the League does after the season, each step timed: close every event (the largest
  // timed apart), every transcript as JSON, a sample as PDF, the three reports, one credits run.
  std::string league_steps(Figures& figures) {
    payloads_ = {};
    auto ledger = server::open_league_store<server::LedgerStore>(database_);
    if (!ledger) return ledger.message();
    auto program = server::load_program(std::nullopt);
    if (!program) return "the default program: " + program.message();
    const Instant now = events_.back().sessions.back().end + 48h;
    const Date as_of{std::chrono::year{2026}, std::chrono::month{12}, std::chrono::day{31}};
    std::size_t bytes = 0;
    if (auto error = close_events(**ledger, now, figures); !error.empty()) return error;
    if (auto error = transcripts_json(**ledger, *program, as_of, figures, bytes); !error.empty())
      return error;
    if (auto error = transcript_pdfs(**ledger, *program, as_of, figures); !error.empty())
      return error;
    if (auto error = reports(**ledger, *program, as_of, figures, bytes); !error.empty())
      return error;
    if (auto error = credits(figures, bytes); !error.empty()) return error;
    figures.peak_mb = step_peak_mb_;
    if (bytes == 0) return "the League's steps produced nothing";
    return {};
  }

  std::string close_events(server::LedgerStore& ledger, Instant now, Figures& figures) {
    std::string error;
    figures.close_largest_s = seconds("close-event largest", [&] {
      auto closed = server::close_event(*store_, ledger, events_[0].id, now, false);
      if (!closed) error = "close-event: " + closed.message();
    });
    if (!error.empty()) return error;
    figures.close_all_s = seconds("close 39 others", [&] {
      for (std::size_t e = 1; e < kEvents && error.empty(); ++e) {
        auto closed = server::close_event(*store_, ledger, events_[e].id, now, false);
        if (!closed) error = "close-event " + events_[e].id + ": " + closed.message();
      }
    });
    return error;
  }

  // Every official's transcript in one batch (build_transcripts: what build_transcript gives
  // each, with the roster, records and events read once and the ledger by chunks).
  std::string transcripts_json(server::LedgerStore& ledger, const Program& program, Date as_of,
                               Figures& figures, std::size_t& bytes) {
    std::vector<std::string> ids;
    ids.reserve(officials_);
    for (std::size_t i = 0; i < officials_; ++i)
      ids.push_back("OF-" + std::to_string(i));
    std::string error;
    const double transcripts_s = seconds("transcripts json", [&] {
      auto done = server::build_transcripts(
          *store_, ledger, program, ids, as_of,
          [&](server::Transcript&& transcript) -> server::CreditResult<Ok> {
            bytes += server::transcript_json(transcript).size();
            return Ok{};
          });
      if (!done) error = "transcript: " + done.message();
    });
    if (error.empty()) figures.transcripts_per_s = static_cast<double>(officials_) / transcripts_s;
    return error;
  }

  // Twenty officials' transcripts, spread over the roster, each built and written as a PDF.
  std::string transcript_pdfs(server::LedgerStore& ledger, const Program& program, Date as_of,
                              Figures& figures) {
    const std::size_t sample = std::min<std::size_t>(officials_, 20);
    const fs::path pdf =
        fs::temp_directory_path() / ("muster-season-" + std::to_string(::getpid()) + ".pdf");
    std::string error;
    const double pdf_s = seconds("transcripts pdf", [&] {
      for (std::size_t i = 0; i < sample && error.empty(); ++i) {
        auto transcript = server::build_transcript(
            *store_, ledger, program, "OF-" + std::to_string(i * (officials_ / sample)), as_of);
        if (!transcript) {
          error = "transcript: " + transcript.message();
          break;
        }
        if (!server::write_pdf(server::transcript_document(*transcript), pdf)) {
          error = "writing a transcript PDF failed";
        }
      }
    });
    std::error_code ignored;
    fs::remove(pdf, ignored);
    if (error.empty()) figures.pdf_per_s = static_cast<double>(sample) / pdf_s;
    return error;
  }

  std::string reports(server::LedgerStore& ledger, const Program& program, Date as_of,
                      Figures& figures, std::size_t& bytes) {
    const server::ReportKind kinds[] = {server::ReportKind::graduation,
                                        server::ReportKind::compliance,
                                        server::ReportKind::certified_municipalities};
    std::string error;
    for (std::size_t r = 0; r < 3 && error.empty(); ++r) {
      figures.report_s[r] = seconds("report", [&] {
        auto report = server::build_report(*store_, ledger, program, kinds[r], as_of);
        if (!report) {
          error = "report: " + report.message();
          return;
        }
        bytes += server::report_text(*report, server::ReportFormat::json).size();
      });
    }
    return error;
  }

  // The largest event's credits, as `muster-server credits --json` gives them.
  std::string credits(Figures& figures, std::size_t& bytes) {
    std::string error;
    figures.credits_s = seconds("credits json", [&] {
      auto rows = server::compute_credits(*store_, events_[0]);
      if (!rows) {
        error = "credits: " + rows.message();
        return;
      }
      bytes += server::credits_json(events_[0], *rows).size();
    });
    return error;
  }

  std::string database_;
  double scale_;
  std::size_t officials_ = 0;
  std::size_t scans_ = 0;
  std::unique_ptr<server::ServerStore> store_;
  std::unique_ptr<SigningKey> key_;
  std::vector<Event> events_;
  std::vector<std::string> payloads_;
  double step_peak_mb_ = 0;
};

} // namespace

int run_season(double scale, const std::string& backend, const std::string& pg_url) {
  const bool postgres = backend == "postgresql";
  std::string error;
  const fs::path dir =
      fs::temp_directory_path() / ("muster-bench-season-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string database =
      postgres ? fresh_pg_database(pg_url, "muster_season_", error) : (dir / "server.db").string();
  Figures figures;
  if (error.empty()) error = Season(database, scale).run(figures);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  const std::string name = postgres ? "PostgreSQL" : "SQLite";
  if (!error.empty()) {
    std::cout << "| " << name << " | failed: " << error << " |\n";
    return 1;
  }
  std::cout << "| " << name << " | " << figures.officials << " | " << figures.scans << " | "
            << fixed(figures.ingest_s, 1) << " | " << figures.largest_scans << " | "
            << fixed(figures.close_largest_s, 2) << " | " << fixed(figures.close_all_s, 1) << " | "
            << fixed(figures.transcripts_per_s, 0) << " | " << fixed(figures.pdf_per_s, 1) << " | "
            << fixed(figures.report_s[0], 2) << " | " << fixed(figures.report_s[1], 2) << " | "
            << fixed(figures.report_s[2], 2) << " | " << fixed(figures.credits_s, 2) << " | "
            << fixed(figures.peak_mb, 0) << " |\n";
  return 0;
}

} // namespace muster::bench
