#pragma once
// What the credit_*.cpp files share: error mapping, the words and numbers they print, writing an
// output file, opening both stores. Internal to the credit commands; nothing outside includes it.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sync/server/credit_commands.hpp"

namespace muster::server::credit_support {

Error<CreditError> store_error(const Error<DbError>& error);
Instant now_instant();
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::string level_name(const Program& program, std::string_view id);
// "Basic 1.5; Advanced 0.5" (names) or "basic:1.5;advanced:0.5" (ids, for CSV).
std::string placements_text(const EntryOutcome& outcome, const Program* program);
std::string refusals_text(const EntryOutcome& outcome);
std::optional<std::string> optional_local(const std::optional<Instant>& instant,
                                          std::string_view zone);
// To `file` (atomically) when given, else to `out`.
CreditResult<Ok> write_text(const std::optional<std::filesystem::path>& file,
                            const std::string& text, std::ostream& out);
CreditResult<Ok> write_document(const PdfDocument& document, const std::filesystem::path& file);
CreditResult<std::string> league_name(ServerStore& store);

// Every official's program record and role history, read once for all (the reports and the
// transcript batch), not per official.
struct OfficialsRead {
  std::vector<OfficialRecord> records;
  std::map<std::string, const OfficialRecord*, std::less<>> record_of; // into `records`
  RoleHistories histories;
  const OfficialRecord* record(std::string_view id) const;
  std::vector<RoleChange> history(std::string_view id) const;
};
CreditResult<std::unique_ptr<OfficialsRead>> read_officials(ServerStore& store,
                                                            LedgerStore& ledger);

struct Stores {
  std::unique_ptr<ServerStore> server;
  std::unique_ptr<LedgerStore> ledger;
};
CreditResult<Stores> open_stores(std::string_view database);

// Prints "error: <message>" and returns the exit code 1.
int failed(std::ostream& err, const std::string& message);
bool in_office(const Official& official, Date as_of);

} // namespace muster::server::credit_support
