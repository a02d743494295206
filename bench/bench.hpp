#pragma once
// muster-bench: the figures of BENCHMARKS.md (issue 7). Each mode prints Markdown table rows;
// bench/run runs the modes and writes the page. Benchmarks, never tests: nothing here asserts.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace muster::bench {

// Durations in milliseconds; summary figures.
struct Stats {
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

inline Stats summarize(std::vector<double> samples_ms) {
  Stats stats;
  if (samples_ms.empty()) return stats;
  std::sort(samples_ms.begin(), samples_ms.end());
  double sum = 0;
  for (const double s : samples_ms)
    sum += s;
  stats.mean_ms = sum / static_cast<double>(samples_ms.size());
  const auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(samples_ms.size() - 1) + 0.5);
    return samples_ms[std::min(i, samples_ms.size() - 1)];
  };
  stats.p50_ms = at(0.50);
  stats.p99_ms = at(0.99);
  stats.max_ms = samples_ms.back();
  return stats;
}

inline double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string fixed(double value, int decimals = 2);

// A fresh, empty database on the PostgreSQL server of `url`, named prefix + pid + a counter (its
// own per call); its URL, or "" with `error` set.
std::string fresh_pg_database(const std::string& url, std::string_view prefix, std::string& error);

// The modes (each returns a process exit code).
// which: "single", "combined" or "both"; all_decoders: also stock ZXing-cpp and zbar.
int run_decode(int frames, unsigned seed, std::string_view which, bool all_decoders);
int run_commit(std::size_t roster_size, std::size_t scans, std::chrono::milliseconds gap);
// only: "all", "sqlite", "postgresql" or "postgresql-2" (two instances); repeat: runs per row
// (interleaved), the median shown.
int run_ingest(std::size_t kiosks, std::size_t scans, const std::string& pg_url,
               std::string_view only, int repeat);
int run_package(std::size_t roster_size, const std::string& pg_url);
// The web console: the event page of a large event, and ingest with live pages open.
int run_console(std::size_t attendees, std::size_t doors, std::size_t live_pages,
                std::size_t ingest_scans);
int run_season(double scale, const std::string& backend, const std::string& pg_url);

} // namespace muster::bench
