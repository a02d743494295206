// Issue 18: the pieces of the mail under the commands. The message builder (mime.hpp): no
// header injection from a roster field, RFC 2047 words, line lengths; and the outbox
// (outbox.hpp) on a SQLite file and a throwaway PostgreSQL database: one message per key,
// claims that keep two runs apart and pass on from a killed run, sent and refused marks.
// tests/mail/mail_test.py runs the commands against a real SMTP server.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "shared/sodium_init.hpp"
#include "sync/server/mail/mime.hpp"
#include "sync/server/mail/outbox.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/official_store.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/test_support.hpp"

namespace muster {
namespace {

using namespace server::mail;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find("\r\n", pos);
    out.push_back(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + 2;
  }
  return out;
}

MessageParts sample() {
  MessageParts parts;
  parts.from_name = "Test League";
  parts.from_address = "credits@league.example";
  parts.to_name = "Renée \"Ree\" Castillo";
  parts.to_address = "ree@sweetgum.example.org";
  parts.subject = "Your credit form: Fall Training";
  parts.message_id = stable_message_id("credit-form/fall/SG-0002", "credit-form", "league.example");
  parts.date = Instant{std::chrono::milliseconds{1796227200000}}; // 2026-12-02T16:00:00Z
  parts.body = std::string("Dear Renée,\n\n") + std::string(200, 'x') + " \n.\nend\n";
  parts.attachments.push_back({"credit form.pdf", "application/pdf", std::string(1000, '\x01')});
  return parts;
}

TEST(MailMime, HeadersCannotBeInjectedFromARosterField) {
  auto parts = sample();
  parts.to_name = "Mallory\r\nBcc: victim@example.org";
  parts.subject = "Hello\nX-Injected: yes";
  const std::string message = build_message(parts);
  for (const auto& line : lines(message)) {
    EXPECT_FALSE(line.starts_with("Bcc:")) << line;
    EXPECT_FALSE(line.starts_with("X-Injected:")) << line;
  }
  EXPECT_NE(message.find("To: \"Mallory  Bcc: victim@example.org\" <ree@sweetgum.example.org>"),
            std::string::npos);
}

TEST(MailMime, NonAsciiHeadersAreEncodedWordsAndEveryLineIsShortSevenBit) {
  const std::string message = build_message(sample());
  EXPECT_NE(message.find("To: =?UTF-8?B?"), std::string::npos);
  for (const auto& line : lines(message)) {
    EXPECT_LE(line.size(), 998u);
    for (const char c : line)
      EXPECT_LT(static_cast<unsigned char>(c), 0x80) << line;
  }
  // Body and attachment lines: at most 76 characters (QP soft breaks, base64 lines).
  const auto body_start = message.find("quoted-printable\r\n\r\n");
  ASSERT_NE(body_start, std::string::npos);
  for (const auto& line : lines(message.substr(body_start)))
    EXPECT_LE(line.size(), 76u) << line;
  EXPECT_NE(message.find("Dear Ren=C3=A9e,"), std::string::npos);
  EXPECT_NE(message.find("=20\r\n"), std::string::npos) << "trailing space encoded";
  EXPECT_NE(message.find("filename=\"credit_form.pdf\""), std::string::npos);
  EXPECT_NE(message.find("Date: Wed, 02 Dec 2026 16:00:00 +0000\r\n"), std::string::npos);
}

TEST(MailMime, EncodedWordsNeverSplitACharacter) {
  const std::string name(40, 'a');
  const std::string text = name + "éééééééééééééééééééé";
  const std::string encoded = encode_header_words(text);
  for (const auto& line : lines(encoded)) {
    const std::string word = line.starts_with(" ") ? line.substr(1) : line;
    ASSERT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
    EXPECT_LE(word.size(), 75u);
    const std::string b64 = word.substr(10, word.size() - 12);
    std::vector<unsigned char> bytes(b64.size());
    std::size_t length = 0;
    ASSERT_EQ(sodium_base642bin(bytes.data(), bytes.size(), b64.c_str(), b64.size(), nullptr,
                                &length, nullptr, sodium_base64_VARIANT_ORIGINAL),
              0);
    // A complete UTF-8 text: it does not end inside a two-byte sequence.
    ASSERT_GT(length, 0u);
    EXPECT_NE(bytes[length - 1], 0xc3);
  }
}

TEST(MailMime, ReferencesAndTheFormDigestAreHeaders) {
  auto parts = sample();
  parts.references = "<0123.credit-form@league.example>";
  parts.form_digest = "5f2c";
  const std::string message = build_message(parts);
  EXPECT_NE(message.find("\r\nReferences: <0123.credit-form@league.example>\r\n"),
            std::string::npos);
  EXPECT_EQ(form_digest_of(message), "5f2c");
  EXPECT_EQ(form_digest_of(build_message(sample())), "") << "none: a message without one";
  // Only a header counts: the words in a body do not.
  auto body = sample();
  body.attachments.clear();
  body.body = "X-Muster-Form-Digest: forged\n";
  EXPECT_EQ(form_digest_of(build_message(body)), "");
}

TEST(MailMime, AddressesAndMessageIds) {
  EXPECT_TRUE(valid_address("lhaynes@riverbend.example.org"));
  EXPECT_FALSE(valid_address(""));
  EXPECT_FALSE(valid_address("no-at-sign"));
  EXPECT_FALSE(valid_address("a@b@c"));
  EXPECT_FALSE(valid_address("a b@example.org"));
  EXPECT_FALSE(valid_address("a@example.org>\r\nRCPT TO:<b@example.org"));
  EXPECT_FALSE(valid_address("a@.example.org"));
  const auto one = stable_message_id("credit-form/e/A", "credit-form", "league.example");
  EXPECT_EQ(one, stable_message_id("credit-form/e/A", "credit-form", "league.example"));
  EXPECT_NE(one, stable_message_id("credit-form/e/B", "credit-form", "league.example"));
  EXPECT_EQ(address_domain("Credits@League.Example"), "league.example");
}

class MailOutbox : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    ASSERT_TRUE(muster::sodium_started());
    if (GetParam() == "sqlite") {
      db_ = (dir_ / "league.db").string();
    } else {
      const auto base = test::postgres_fixture_url();
      ASSERT_TRUE(base) << test::kNoPostgres;
      const auto database = test::create_postgres_database(*base, "muster_mail_");
      ASSERT_EQ(database.error, "");
      db_ = database.url;
    }
    auto store = server::open_server_store(db_);
    ASSERT_TRUE(store.ok()) << store.message();
    ASSERT_TRUE((*store)->initialise({"TEST", "Test League"}).ok());
    auto outbox = open_outbox_store(db_);
    ASSERT_TRUE(outbox.ok()) << outbox.message();
    outbox_ = std::move(*outbox);
  }

  static OutboxMessage message(const std::string& key, Instant at) {
    OutboxMessage m;
    m.key = key;
    m.kind = "credit-form";
    m.message_id = stable_message_id(key, m.kind, "league.example");
    m.attendee_id = key.substr(key.rfind('/') + 1);
    m.event_id = "fall";
    m.recipient = m.attendee_id + "@example.org";
    m.content = "Subject: x\r\n\r\nbody\r\n";
    m.created_at = at;
    return m;
  }

  test::TempDir dir_;
  std::string db_;
  std::unique_ptr<OutboxStore> outbox_;
};

TEST_P(MailOutbox, OneMessagePerKeyClaimedByOneRunSentOnce) {
  const Instant t0{std::chrono::milliseconds{1796227200000}};
  auto first = outbox_->enqueue(message("credit-form/fall/A", t0));
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_TRUE(*first);
  auto again = outbox_->enqueue(message("credit-form/fall/A", t0 + std::chrono::seconds(5)));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "the key is there: nothing new";
  ASSERT_TRUE(*outbox_->enqueue(message("credit-form/fall/B", t0 + std::chrono::seconds(1))));
  ASSERT_TRUE(*outbox_->enqueue(message("credit-form/fall/C", t0 + std::chrono::seconds(2))));

  auto ids = outbox_->pending_ids(t0);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 3u);
  const std::string a = (*ids)[0];
  const auto lease = t0 + std::chrono::minutes(3);
  // Another host's live claim keeps the message until its lease ends.
  auto theirs = outbox_->claim(a, "other-host:1", t0, lease);
  ASSERT_TRUE(theirs.ok() && theirs->has_value());
  EXPECT_EQ((*theirs)->attempts, 1u);
  EXPECT_EQ((*theirs)->content, "Subject: x\r\n\r\nbody\r\n");
  auto mine = outbox_->claim(a, own_claim(), t0 + std::chrono::seconds(1), lease);
  ASSERT_TRUE(mine.ok());
  EXPECT_FALSE(mine->has_value()) << "claimed by a live run elsewhere";
  EXPECT_EQ(outbox_->pending_ids(t0 + std::chrono::seconds(1))->size(), 2u);
  auto later = outbox_->claim(a, own_claim(), lease + std::chrono::seconds(1),
                              lease + std::chrono::minutes(3));
  ASSERT_TRUE(later.ok() && later->has_value()) << "the lease ended";
  EXPECT_EQ((*later)->attempts, 2u);

  // A run on this host that is gone (a killed process) passes its claim on at once.
  const std::string b = (*ids)[1];
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  const std::string dead = std::string(host) + ":999999999"; // above any pid_max
  ASSERT_TRUE(outbox_->claim(b, dead, t0, lease)->has_value());
  EXPECT_TRUE(outbox_->claim(b, own_claim(), t0, lease)->has_value());

  ASSERT_TRUE(outbox_->mark_sent(a, t0 + std::chrono::seconds(3)).ok());
  ASSERT_TRUE(outbox_->mark_refused(b, t0, "RCPT failed: 550 (refused by the SMTP server)").ok());
  auto sent_again =
      outbox_->claim(a, own_claim(), lease + std::chrono::hours(1), lease + std::chrono::hours(2));
  ASSERT_TRUE(sent_again.ok());
  EXPECT_FALSE(sent_again->has_value()) << "a sent message is never claimed again";
  const std::string c = (*ids)[2];
  ASSERT_TRUE(outbox_->claim(c, own_claim(), t0, lease)->has_value());
  ASSERT_TRUE(outbox_->release(c, "Failed to connect").ok());

  auto all = outbox_->messages("fall");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].status, OutboxStatus::sent);
  EXPECT_TRUE((*all)[0].sent_at.has_value());
  EXPECT_EQ((*all)[1].status, OutboxStatus::refused);
  EXPECT_EQ((*all)[1].detail, "RCPT failed: 550 (refused by the SMTP server)");
  EXPECT_EQ((*all)[2].status, OutboxStatus::pending);
  EXPECT_EQ((*all)[2].detail, "Failed to connect");
  EXPECT_TRUE((*all)[2].content.empty()) << "listings leave the content out";
  EXPECT_EQ(*outbox_->pending_ids(t0), std::vector<std::string>{c});
  EXPECT_TRUE(outbox_->messages("other")->empty());
}

// A corrected credit form after a re-close is mailed under "KEY/2": messages_of_key finds the
// first and its replacements, with their content, and no other key (not "KEY2", not an event
// whose id shares the prefix; '_' and '%' are not wildcards).
TEST_P(MailOutbox, MessagesOfAKeyAndItsReplacements) {
  const Instant t0{std::chrono::milliseconds{1796227200000}};
  ASSERT_TRUE(*outbox_->enqueue(message("credit-form/ev_1/A", t0)));
  ASSERT_TRUE(*outbox_->enqueue(message("credit-form/ev_1/A/2", t0 + std::chrono::seconds(9))));
  ASSERT_TRUE(*outbox_->enqueue(message("credit-form/ev_1/AB", t0 + std::chrono::seconds(1))));
  ASSERT_TRUE(*outbox_->enqueue(message("credit-form/evX1/A/2", t0 + std::chrono::seconds(2))));
  auto found = outbox_->messages_of_key("credit-form/ev_1/A");
  ASSERT_TRUE(found.ok()) << found.message();
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].key, "credit-form/ev_1/A");
  EXPECT_EQ((*found)[1].key, "credit-form/ev_1/A/2");
  EXPECT_EQ((*found)[1].content, "Subject: x\r\n\r\nbody\r\n") << "with the content";
  EXPECT_TRUE(outbox_->messages_of_key("credit-form/ev_1/Z")->empty());
}

// The /me/ page's tables (migration 14) on both backends: codes with tries, confirmations that
// keep their first date, disputes filtered by official and event.
TEST_P(MailOutbox, OfficialCodesConfirmationsAndDisputes) {
  auto opened = server::open_official_store(db_);
  ASSERT_TRUE(opened.ok()) << opened.message();
  auto& officials = **opened;
  const Instant t0{std::chrono::milliseconds{1796227200000}};
  server::SignInCode code{"login-hash", "RB-0001", "code-hash", t0 + std::chrono::minutes(15), 5};
  ASSERT_TRUE(officials.put_code(code, t0).ok());
  auto found = officials.code("login-hash", t0 + std::chrono::minutes(1));
  ASSERT_TRUE(found.ok()) << found.message();
  EXPECT_EQ(found->attendee_id, "RB-0001");
  EXPECT_EQ(*officials.use_try("login-hash"), 4);
  EXPECT_EQ(officials.code("login-hash", t0 + std::chrono::minutes(16)).code(),
            server::DbError::not_found)
      << "expired after 15 minutes";
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(officials.use_try("login-hash").ok());
  EXPECT_EQ(*officials.use_try("login-hash"), -1) << "no tries left";
  ASSERT_TRUE(officials.remove_code("login-hash").ok());
  EXPECT_FALSE(officials.code("login-hash", t0).ok());

  ASSERT_TRUE(officials.confirm({"RB-0001", "fall", t0}).ok());
  ASSERT_TRUE(officials.confirm({"RB-0001", "fall", t0 + std::chrono::hours(30)}).ok());
  auto confirmed = officials.confirmation("RB-0001", "fall");
  ASSERT_TRUE(confirmed.ok() && confirmed->has_value());
  EXPECT_EQ((*confirmed)->confirmed_at, t0) << "the first confirmation counts";
  EXPECT_FALSE(officials.confirmation("RB-0002", "fall")->has_value());

  ASSERT_TRUE(officials.add_dispute({"RB-0001", "fall", "S1", "I stayed", t0}).ok());
  ASSERT_TRUE(officials.add_dispute({"RB-0002", "spring", "S2", "wrong time", t0}).ok());
  EXPECT_EQ(officials.disputes("", "")->size(), 2u);
  ASSERT_EQ(officials.disputes("", "fall")->size(), 1u);
  EXPECT_EQ(officials.disputes("", "fall")->front().note, "I stayed");
  EXPECT_EQ(officials.disputes("RB-0002", "")->size(), 1u);
  EXPECT_TRUE(officials.disputes("RB-0002", "fall")->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, MailOutbox, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

} // namespace
} // namespace muster
