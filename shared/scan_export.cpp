#include "shared/scan_export.hpp"

#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "shared/scan_json.hpp"
#include "shared/scan_log.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"

namespace muster {
namespace {

using nlohmann::json;

constexpr std::string_view kSignaturePrefix = "MUX1.";
// The protocol caps samples per batch; a long-offline kiosk's samples take several lines.
constexpr std::size_t kSamplesPerLine = 500;

Error<ExportProblem> problem(ExportFault fault, std::size_t line, const std::string& why) {
  return fail(ExportProblem{fault, line}, "line " + std::to_string(line) + ": " + why);
}

// A body error's field path without the wrapper this reader adds ("scans[0].").
std::string field_of(const Error<BodyError>& error) {
  std::string field = error.code.field;
  constexpr std::string_view kWrapper = "scans[0].";
  if (field.rfind(kWrapper, 0) == 0) field.erase(0, kWrapper.size());
  return field;
}

} // namespace

std::string_view to_string(ExportFault fault) {
  switch (fault) {
  case ExportFault::unreadable:
    return "unreadable";
  case ExportFault::bad_scan:
    return "bad_scan";
  case ExportFault::bad_hash:
    return "bad_hash";
  case ExportFault::broken_chain:
    return "broken_chain";
  case ExportFault::bad_signature:
    return "bad_signature";
  }
  return "unreadable";
}

Signature sign_scan_export_text(std::string_view export_text, const SigningKey& key) {
  std::string message(kSignaturePrefix);
  message += export_text;
  return key.sign_message(message);
}

std::string write_scan_export(const ScanExportHeader& header, std::span<const Scan> scans,
                              std::span<const ClockSample> clock_samples, const SigningKey& key) {
  const json head = {{"format", kScanExportFormat},
                     {"device_id", header.device_id},
                     {"event_id", header.event_id},
                     {"league_id", header.league_id},
                     {"device_public_key", to_text(header.device_key)},
                     {"first_sequence", header.first_sequence},
                     {"last_sequence", header.last_sequence},
                     {"scans", scans.size()},
                     {"exported_at", format_utc(header.exported_at)},
                     {"exported_at_ms", header.exported_at.time_since_epoch().count()}};
  std::string text = head.dump() + "\n";
  for (const Scan& scan : scans)
    text += scan_to_json(scan) + "\n";
  for (std::size_t i = 0; i < clock_samples.size(); i += kSamplesPerLine) {
    const auto chunk =
        clock_samples.subspan(i, std::min(kSamplesPerLine, clock_samples.size() - i));
    text += scan_batch_to_json({}, std::nullopt, chunk) + "\n";
  }
  text += json{{"signature", signature_to_hex(sign_scan_export_text(text, key))}}.dump() + "\n";
  return text;
}

namespace {

using Lines = std::vector<std::pair<std::size_t, std::string_view>>;
using Step = Result<Ok, ExportProblem>;

// Lines with their start offsets: the signature covers the bytes before its own line.
Lines split_lines(std::string_view text) {
  Lines lines;
  for (std::size_t start = 0; start < text.size();) {
    const auto end = text.find('\n', start);
    const auto stop = end == std::string_view::npos ? text.size() : end;
    lines.emplace_back(start, text.substr(start, stop - start));
    start = stop + 1;
  }
  return lines;
}

// The first line: the format, the device and its key, the range of sequences.
Step read_header(std::string_view line, ScanExportHeader& h) {
  const json head = json::parse(line, nullptr, false);
  if (!head.is_object() || head.value("format", "") != kScanExportFormat) {
    return problem(ExportFault::unreadable, 1,
                   "not a Muster scan export (the first line must be a '" +
                       std::string(kScanExportFormat) + "' header)");
  }
  try {
    h.device_id = head.at("device_id").get<std::string>();
    h.event_id = head.at("event_id").get<std::string>();
    h.league_id = head.at("league_id").get<std::string>();
    h.first_sequence = head.at("first_sequence").get<std::uint64_t>();
    h.last_sequence = head.at("last_sequence").get<std::uint64_t>();
    auto key = parse_public_key(head.at("device_public_key").get<std::string>());
    if (!key) {
      return problem(ExportFault::unreadable, 1, "device_public_key: " + key.message());
    }
    h.device_key = *key;
    h.exported_at =
        Instant(std::chrono::milliseconds(head.value("exported_at_ms", std::int64_t{0})));
  } catch (const json::exception&) {
    return problem(ExportFault::unreadable, 1,
                   "the header lacks device_id, event_id, league_id, device_public_key, "
                   "first_sequence or last_sequence, or one has the wrong type");
  }
  if (h.device_id.empty() || h.device_id.size() > kMaxIdLength) {
    return problem(ExportFault::unreadable, 1, "device_id is empty or too long");
  }
  return Ok{};
}

// A line of clock samples (they follow the scans).
Step read_samples_line(std::string_view line, std::size_t number, ScanExport& out) {
  auto batch = parse_scan_batch(line);
  if (!batch || !batch->scans.empty()) {
    return problem(ExportFault::unreadable, number,
                   "not a clock samples line" +
                       (batch ? std::string() : " (" + batch.message() + ")"));
  }
  for (auto& sample : batch->clock_samples)
    out.clock_samples.push_back(std::move(sample));
  return Ok{};
}

// A scan's line: the header's device, its own hash, and the next link of the chain.
Step read_scan_line(std::string_view line, std::size_t number, ScanExport& out) {
  if (!out.clock_samples.empty()) {
    return problem(ExportFault::unreadable, number, "a scan after the clock samples");
  }
  auto batch = parse_scan_batch("{\"scans\":[" + std::string(line) + "]}");
  if (!batch) {
    const std::string field = field_of(batch.error());
    return problem(ExportFault::bad_scan, number,
                   "not a scan" + (field.empty() ? std::string() : " (field '" + field + "')") +
                       ": " + batch.message());
  }
  if (batch->scans.size() != 1) {
    return problem(ExportFault::bad_scan, number, "one scan per line");
  }
  Scan scan = std::move(batch->scans[0]);
  if (scan.device_id != out.header.device_id) {
    return problem(ExportFault::bad_scan, number,
                   "scan " + std::to_string(scan.sequence) + " names device '" + scan.device_id +
                       "', the header device '" + out.header.device_id + "'");
  }
  if (compute_hash(scan) != scan.hash) {
    return problem(ExportFault::bad_hash, number,
                   "scan " + std::to_string(scan.sequence) +
                       ": its hash does not match its content (the line was altered)");
  }
  if (!out.scans.empty()) {
    const Scan& before = out.scans.back();
    if (scan.sequence != before.sequence + 1 || scan.prev_hash != before.hash) {
      return problem(ExportFault::broken_chain, number,
                     "scan " + std::to_string(scan.sequence) + " does not follow scan " +
                         std::to_string(before.sequence) + " (a line was removed, added or moved)");
    }
  } else if (scan.sequence != out.header.first_sequence) {
    return problem(ExportFault::broken_chain, number,
                   "the first scan is " + std::to_string(scan.sequence) + ", the header says " +
                       std::to_string(out.header.first_sequence));
  }
  out.scans.push_back(std::move(scan));
  return Ok{};
}

// The signature line (the file's last but for blank lines) over every byte before it.
Step check_signature(std::string_view text, const Lines& lines, std::size_t signature_line,
                     const ScanExportHeader& header) {
  const std::size_t number = signature_line + 1;
  for (std::size_t i = signature_line + 1; i < lines.size(); ++i) {
    if (!lines[i].second.empty()) {
      return problem(ExportFault::unreadable, i + 1, "text after the signature line");
    }
  }
  const json sig = json::parse(lines[signature_line].second, nullptr, false);
  const auto signature =
      sig.is_object() && sig.contains("signature") && sig["signature"].is_string()
          ? signature_from_hex(sig["signature"].get<std::string>())
          : std::nullopt;
  if (!signature) {
    return problem(ExportFault::bad_signature, number, "the signature is not 128 hex digits");
  }
  const std::string message =
      std::string(kSignaturePrefix) + std::string(text.substr(0, lines[signature_line].first));
  if (crypto_sign_verify_detached(signature->data(),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), header.device_key.bytes.data()) != 0) {
    return problem(ExportFault::bad_signature, number,
                   "the signature does not verify with the header's device key (the file was "
                   "altered after the kiosk wrote it)");
  }
  return Ok{};
}

} // namespace

Result<ScanExport, ExportProblem> read_scan_export(std::string_view text) {
  ensure_sodium();
  const Lines lines = split_lines(text);
  if (lines.empty()) return problem(ExportFault::unreadable, 1, "the file is empty");

  ScanExport out;
  if (auto header = read_header(lines[0].second, out.header); !header) return header.error();
  std::size_t signature_line = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i].second;
    if (line.empty()) continue;
    if (line.rfind("{\"signature\"", 0) == 0) {
      signature_line = i;
      break;
    }
    auto read = line.rfind("{\"clock_samples\"", 0) == 0 ? read_samples_line(line, i + 1, out)
                                                         : read_scan_line(line, i + 1, out);
    if (!read) return read.error();
  }
  if (signature_line == 0) {
    return problem(ExportFault::bad_signature, lines.size() + 1,
                   "the file ends without its signature line (cut short?)");
  }
  if (auto signed_ = check_signature(text, lines, signature_line, out.header); !signed_) {
    return signed_.error();
  }
  const std::uint64_t last = out.scans.empty() ? 0 : out.scans.back().sequence;
  if (last != out.header.last_sequence) {
    return problem(ExportFault::unreadable, 1,
                   "the header says the scans end at " + std::to_string(out.header.last_sequence) +
                       ", the file at " + std::to_string(last));
  }
  return out;
}

std::string key_fingerprint(const PublicKey& key) {
  ensure_sodium();
  std::array<unsigned char, crypto_generichash_BYTES> digest{};
  crypto_generichash(digest.data(), digest.size(), key.bytes.data(), key.bytes.size(), nullptr, 0);
  constexpr std::string_view kUpper = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i > 0 && i % 2 == 0) out.push_back('-');
    out.push_back(kUpper[digest[i] >> 4U]);
    out.push_back(kUpper[digest[i] & 15U]);
  }
  return out;
}

} // namespace muster
