// Credit from outside the kiosk: outside and online courses, points, pre-approvals,
// categories.
#include "sync/server/credit_commands.hpp"
#include "sync/server/credit_support.hpp"

#include <cmath>

#include "shared/time.hpp"

namespace muster::server {

using namespace credit_support; // NOLINT(google-build-using-namespace)

namespace {
constexpr double kDefaultPassScore = 70; // ALM's online training pages
} // namespace

// ---- outside credit ----

namespace {

bool listed(const std::vector<Category>& list, const std::string& id) {
  return std::any_of(list.begin(), list.end(), [&](const Category& c) { return c.id == id; });
}

std::string ids_of(const std::vector<Category>& list) {
  std::vector<std::string> ids;
  for (const Category& c : list)
    ids.push_back(c.id);
  return join(ids, ", ");
}

// A category or competency the program does not list is refused when recorded, not only
// later in the transcript (empty stays allowed: the engine says what is missing).
CreditResult<Ok> check_classification(const Program& program, const std::string& category,
                                      const std::string& competency) {
  if (!category.empty() && !program.categories.empty() && !listed(program.categories, category)) {
    return fail(CreditError::invalid, "--category '" + category + "' is not one of " +
                                          ids_of(program.categories) + " (" + program.id + ")");
  }
  if (!competency.empty() && !program.competencies.empty() &&
      !listed(program.competencies, competency)) {
    return fail(CreditError::invalid, "--competency '" + competency + "' is not one of " +
                                          ids_of(program.competencies) + " (" + program.id + ")");
  }
  return Ok{};
}

// Adds the entry and returns what the program made of it, evaluated as of its date.
CreditResult<OutsideCreditOutcome> add_and_evaluate(ServerStore& store, LedgerStore& ledger,
                                                    const Program& program, const OfficialView& who,
                                                    const LedgerEntry& entry, Instant now) {
  if (auto added = ledger.add_entry(entry, now); !added) {
    return fail(added.code() == DbError::conflict ? CreditError::invalid : CreditError::store,
                added.message() + (added.code() == DbError::conflict
                                       ? " (this course was recorded before)"
                                       : ""));
  }
  auto entries = official_ledger(store, ledger, entry.official_id);
  if (!entries) return entries.error();
  const Progress progress = evaluate(program, who.official, *entries, entry.date);
  OutsideCreditOutcome result;
  result.entry = entry;
  for (const EntryOutcome& o : progress.entries) {
    if (o.entry.id == entry.id) result.outcome = o;
  }
  return result;
}

} // namespace

CreditResult<OutsideCreditOutcome> record_outside_credit(ServerStore& store, LedgerStore& ledger,
                                                         const Program& program,
                                                         const OutsideCredit& credit, Instant now) {
  if (!std::isfinite(credit.hours) || credit.hours <= 0 || credit.hours > 24) {
    return fail(CreditError::invalid, "--hours must be more than 0 and at most 24");
  }
  if (credit.title.empty()) return fail(CreditError::invalid, "--title must not be empty");
  if (credit.reference.empty()) {
    return fail(CreditError::invalid,
                "--reference must name the approval documents (agenda, registration)");
  }
  if (auto ok = check_classification(program, credit.category, credit.competency); !ok) {
    return ok.error();
  }
  auto who = load_official(store, ledger, credit.official_id);
  if (!who) return who.error();
  LedgerEntry entry;
  entry.id = "outside/" + format_date(credit.date) + "/" + credit.reference;
  entry.official_id = credit.official_id;
  entry.date = credit.date;
  entry.hours = credit.hours;
  entry.course_code = credit.course_code;
  entry.topic = credit.topic;
  entry.title = credit.title;
  entry.source = CreditSource::outside;
  entry.approved = true; // the command records training the League approved
  entry.documents_ref = credit.reference;
  entry.category = credit.category;
  entry.competency = credit.competency;
  return add_and_evaluate(store, ledger, program, *who, entry, now);
}

CreditResult<OutsideCreditOutcome> record_online_credit(ServerStore& store, LedgerStore& ledger,
                                                        const Program& program,
                                                        const OnlineCredit& credit, Instant now) {
  const double hours = credit.hours.value_or(program.online_hours_per_course.value_or(1));
  if (!std::isfinite(hours) || hours <= 0 || hours > 24) {
    return fail(CreditError::invalid, "--hours must be more than 0 and at most 24");
  }
  if (!std::isfinite(credit.score) || credit.score < 0 || credit.score > 100) {
    return fail(CreditError::invalid, "--score must be a percentage from 0 to 100");
  }
  if (credit.title.empty()) return fail(CreditError::invalid, "--title must not be empty");
  if (auto ok = check_classification(program, credit.category, credit.competency); !ok) {
    return ok.error();
  }
  auto who = load_official(store, ledger, credit.official_id);
  if (!who) return who.error();
  const std::string key = !credit.reference.empty()     ? credit.reference
                          : !credit.course_code.empty() ? credit.course_code
                                                        : credit.title;
  LedgerEntry entry;
  entry.id = "online/" + format_date(credit.date) + "/" + key;
  entry.official_id = credit.official_id;
  entry.date = credit.date;
  entry.hours = hours;
  entry.course_code = credit.course_code;
  entry.topic = credit.topic;
  entry.title = credit.title;
  entry.source = CreditSource::online;
  entry.test_score = credit.score;
  entry.test_passed = credit.score >= program.online_pass_score.value_or(kDefaultPassScore);
  entry.documents_ref = credit.reference;
  entry.category = credit.category;
  entry.competency = credit.competency;
  return add_and_evaluate(store, ledger, program, *who, entry, now);
}

CreditResult<OutsideCreditOutcome> record_point(ServerStore& store, LedgerStore& ledger,
                                                const Program& program, const PointCredit& credit,
                                                Instant now) {
  const PointEvent* type = program.point_event(credit.event_type);
  if (type == nullptr) {
    std::vector<std::string> types;
    for (const PointEvent& e : program.point_events)
      types.push_back(e.type);
    return fail(
        CreditError::invalid,
        "--type '" + credit.event_type + "' is not a qualifying event of " + program.id +
            (types.empty() ? " (it gives no points)" : " (one of " + join(types, ", ") + ")"));
  }
  if (!credit.event_id.empty()) {
    if (auto event = store.event(credit.event_id); !event) {
      if (event.code() == DbError::not_found) {
        return fail(CreditError::not_found, "no event '" + credit.event_id + "'");
      }
      return store_error(event.error());
    }
  }
  auto who = load_official(store, ledger, credit.official_id);
  if (!who) return who.error();
  LedgerEntry entry;
  entry.id = "points/" + format_date(credit.date) + "/" + type->type;
  entry.official_id = credit.official_id;
  entry.date = credit.date;
  entry.hours = 0; // the event's hours, if any, come from close-event or outside-credit
  entry.title = credit.title.empty() ? type->name : credit.title;
  entry.points_event = type->type;
  // A non-League meeting (NLC) is outside training the League counts for its points only.
  entry.source = type->non_league ? CreditSource::outside : CreditSource::league_event;
  entry.approved = true;
  entry.event_id = credit.event_id.empty() ? entry.id : credit.event_id;
  entry.documents_ref = credit.reference;
  return add_and_evaluate(store, ledger, program, *who, entry, now);
}

std::string describe_points(const EntryOutcome& outcome, const Program& program) {
  std::string text = "Counted " + std::to_string(outcome.points_credited) + " point(s)";
  std::vector<std::string> levels;
  for (const Placement& p : outcome.placements) {
    if (p.points > 0) levels.push_back(level_name(program, p.level_id));
  }
  if (!levels.empty()) text += " toward " + join(levels, ", ");
  text += ".\n";
  for (const RefusedPart& r : outcome.refused) {
    text += "Not counted: " + std::to_string(r.points) + " point(s) (" +
            std::string(to_string(r.reason)) + "): " + r.message + "\n";
  }
  return text;
}

CreditResult<PreapprovalOutcome> record_preapproval(ServerStore& store, LedgerStore& ledger,
                                                    const Preapproval& preapproval, Instant now) {
  if (preapproval.reference.empty()) {
    return fail(CreditError::invalid, "--reference must name where the approval is documented");
  }
  auto who = load_official(store, ledger, preapproval.official_id);
  if (!who) return who.error();
  if (auto event = store.event(preapproval.event_id); !event) {
    if (event.code() == DbError::not_found) {
      return fail(CreditError::not_found, "no event '" + preapproval.event_id + "'");
    }
    return store_error(event.error());
  }
  auto marked = ledger.add_preapproval(preapproval, now);
  if (!marked) {
    return fail(marked.code() == DbError::conflict ? CreditError::invalid : CreditError::store,
                marked.message());
  }
  return PreapprovalOutcome{*marked, who->official.left_office.has_value()};
}

CreditResult<std::uint64_t> classify_entries(ServerStore& store, LedgerStore& ledger,
                                             const Program& program, const Classification& c) {
  if (c.entry_id.empty() == c.event_id.empty()) {
    return fail(CreditError::invalid, "name either --entry or --event");
  }
  if (c.category.empty() && c.competency.empty()) {
    return fail(CreditError::invalid, "name --category, --competency or both");
  }
  if (auto ok = check_classification(program, c.category, c.competency); !ok) return ok.error();
  auto who = load_official(store, ledger, c.official_id);
  if (!who) return who.error();
  auto entries = ledger.entries(c.official_id);
  if (!entries) return store_error(entries.error());
  std::uint64_t changed = 0;
  for (const LedgerEntry& e : *entries) {
    if (!(c.entry_id.empty() ? e.event_id == c.event_id : e.id == c.entry_id)) continue;
    // Only what is named changes: --category alone keeps the competency.
    auto done =
        ledger.classify(c.official_id, e.id, "", c.category.empty() ? e.category : c.category,
                        c.competency.empty() ? e.competency : c.competency);
    if (!done) return store_error(done.error());
    changed += *done;
  }
  if (changed == 0) {
    return fail(CreditError::not_found, "no ledger entry of '" + c.official_id + "' " +
                                            (c.entry_id.empty() ? "from event '" + c.event_id + "'"
                                                                : "with id '" + c.entry_id + "'"));
  }
  return changed;
}

std::string describe_outcome(const EntryOutcome& outcome, const Program& program) {
  std::string text = "Counted " + format_hours(outcome.hours_credited) + " of " +
                     format_hours(outcome.entry.hours) + " hours";
  if (!outcome.placements.empty()) text += " toward " + placements_text(outcome, &program);
  text += ".\n";
  for (const RefusedPart& r : outcome.refused) {
    text += "Not counted: " + format_hours(r.hours) + " h (" + std::string(to_string(r.reason)) +
            "): " + r.message + "\n";
  }
  return text;
}

std::optional<Designation> parse_designation(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const auto date = parse_date(text.substr(colon + 1));
  if (!date) return std::nullopt;
  return Designation{std::string(text.substr(0, colon)), *date};
}
} // namespace muster::server
