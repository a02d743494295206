// muster-bench: benchmark modes for BENCHMARKS.md. A thin command line over the bench modes.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "bench/bench.hpp"

namespace muster::bench {
std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}
} // namespace muster::bench

int main(int argc, char** argv) {
  CLI::App app{"muster-bench: the figures of BENCHMARKS.md (Markdown table rows on stdout)"};
  app.require_subcommand(1);
  int frames = 400;
  unsigned seed = 1;
  std::size_t roster = 50000;
  std::size_t scans = 2000;
  std::size_t kiosks = 20;
  std::string pg_url;
  auto* decode = app.add_subcommand("decode", "decode generated 1280x720 camera frames: "
                                              "this project vs ZXing-cpp vs zbar");
  decode->add_option("--frames", frames,
                     "frames per set (single: a tenth have no code; combined: a twentieth)");
  decode->add_option("--seed", seed, "generator seed");
  std::string decode_set = "both";
  decode->add_option("--set", decode_set, "single (one condition per frame), combined or both")
      ->check(CLI::IsMember({"single", "combined", "both"}));
  bool muster_only = false;
  decode->add_flag("--muster-only", muster_only, "only decode_frame (tuning the cascade)");
  auto* commit =
      app.add_subcommand("commit", "scan to durable commit (headless path) vs raw SQLite");
  commit->add_option("--roster", roster, "roster size");
  commit->add_option("--scans", scans, "scans to time");
  int gap_ms = 20;
  commit->add_option("--gap-ms", gap_ms, "pause after each paced scan (the door's quiet time)")
      ->check(CLI::Range(0, 1000));
  auto* ingest = app.add_subcommand("ingest", "N kiosks push scans to one server on loopback");
  ingest->add_option("--kiosks", kiosks, "simulated kiosks");
  ingest->add_option("--scans", scans, "scans in total");
  ingest->add_option("--pg-url", pg_url, "also PostgreSQL: a postgresql:// URL of a server");
  std::string ingest_only = "all";
  ingest
      ->add_option("--only", ingest_only,
                   "one row: sqlite, postgresql or postgresql-2 (two instances); default all")
      ->check(CLI::IsMember({"all", "sqlite", "postgresql", "postgresql-2"}));
  int ingest_repeat = 1;
  ingest
      ->add_option("--repeat", ingest_repeat,
                   "runs per row, the backends interleaved; the median run is shown")
      ->check(CLI::Range(1, 15));
  auto* package = app.add_subcommand("package", "package pull: full vs delta (one change)");
  package->add_option("--roster", roster, "roster size");
  package->add_option("--pg-url", pg_url, "also PostgreSQL");
  std::size_t attendees = 5000;
  std::size_t doors = 20;
  std::size_t live_pages = 50;
  std::size_t ingest_scans = 20000;
  auto* console = app.add_subcommand(
      "console", "the web console: event page render time, ingest with live pages open");
  console->add_option("--attendees", attendees, "roster size, all scanned in");
  console->add_option("--doors", doors, "kiosks of the event");
  console->add_option("--live", live_pages, "live pages (SSE streams) open during ingest");
  console->add_option("--ingest-scans", ingest_scans, "scans pushed in each ingest run");
  double scale = 0.01;
  std::string backend = "sqlite";
  auto* season = app.add_subcommand(
      "season", "a generated season (50,000 officials, 40 events, 400 sessions, 2 million scans "
                "at --scale 1) through the real ingest, then close-event, transcripts, reports, "
                "credits; one backend per run, so that the peak RSS is that backend's");
  season->add_option("--scale", scale, "fraction of the full season (officials and scans)")
      ->check(CLI::Range(0.0001, 1.0));
  season->add_option("--backend", backend, "sqlite or postgresql (then --pg-url)")
      ->check(CLI::IsMember({"sqlite", "postgresql"}));
  season->add_option("--pg-url", pg_url, "a postgresql:// URL of a server");
  CLI11_PARSE(app, argc, argv);
  if (season->parsed() && backend == "postgresql" && pg_url.empty()) {
    std::cerr << "muster-bench season: --backend postgresql needs --pg-url\n";
    return 2;
  }
  try {
    if (decode->parsed()) return muster::bench::run_decode(frames, seed, decode_set, !muster_only);
    if (commit->parsed())
      return muster::bench::run_commit(roster, scans, std::chrono::milliseconds{gap_ms});
    if (ingest->parsed())
      return muster::bench::run_ingest(kiosks, scans, pg_url, ingest_only, ingest_repeat);
    if (package->parsed()) return muster::bench::run_package(roster, pg_url);
    if (console->parsed())
      return muster::bench::run_console(attendees, doors, live_pages, ingest_scans);
    if (season->parsed()) return muster::bench::run_season(scale, backend, pg_url);
  } catch (const std::exception& error) {
    std::cerr << "muster-bench: bug: " << error.what() << '\n';
    return 70;
  }
  return 2;
}
