#pragma once
// Building an Internet message (RFC 5322 with MIME, RFC 2045-2047) for the League's mail: a
// plain-text body and PDF attachments. The result is 7-bit ASCII with CRLF line ends, so it is
// stored in the outbox as text and sent byte for byte as stored (the stable Message-ID is
// part of it). Every header value is cleaned of CR and LF (no header injection from a roster)
// and encoded as RFC 2047 words when it is not plain ASCII.
#include <string>
#include <string_view>
#include <vector>

#include "shared/domain.hpp"

namespace muster::server::mail {

struct Attachment {
  std::string filename;     // "credit-form-EVENT.pdf"
  std::string content_type; // "application/pdf"
  std::string bytes;
};

struct MessageParts {
  std::string from_name; // "Alabama League of Municipalities"
  std::string from_address;
  std::string to_name; // "Ada Lovelace"
  std::string to_address;
  std::string subject;
  std::string message_id; // "<...@domain>", stable: the outbox key's
  // A message that replaces an earlier one (a corrected credit form): the earlier Message-ID,
  // sent as References (mail programs thread the two); "" for none.
  std::string references;
  // X-Muster-Form-Digest: what the attached form said (mail-forms compares it after a re-close
  // to mail only the forms that changed); "" for none. Plain hex, never personal data.
  std::string form_digest;
  Instant date;
  std::string body; // UTF-8 text, "\n" line ends
  std::vector<Attachment> attachments;
};

// A plausible single mailbox: one '@', a local part and a domain, printable ASCII without
// spaces, quotes, angle brackets, commas or semicolons. Roster addresses that fail it are not
// mailed (reported by official id, never echoed).
bool valid_address(std::string_view address);
// The part after '@' (lowercased), for Message-IDs; "localhost" when there is none.
std::string address_domain(std::string_view address);

// "<32 hex of BLAKE2b(key)>.<kind>@<domain>": the same key always gives the same Message-ID.
std::string stable_message_id(std::string_view key, std::string_view kind, std::string_view domain);

inline constexpr std::string_view kFormDigestHeader = "X-Muster-Form-Digest";
// The value of the X-Muster-Form-Digest header of a message built here; "" when it has none.
std::string form_digest_of(std::string_view message);

// The whole message: headers, multipart/mixed when there are attachments, CRLF line ends.
std::string build_message(const MessageParts& parts);

// Pieces, exposed for tests.
std::string encode_header_words(std::string_view text); // RFC 2047 "B" words when not ASCII
std::string mailbox_header(std::string_view name, std::string_view address);
std::string quoted_printable(std::string_view text); // body lines, CRLF, soft breaks at 76
std::string base64_lines(std::string_view bytes);    // 76-character lines, CRLF
std::string rfc5322_date(Instant when);              // "Wed, 02 Dec 2026 16:00:00 +0000"

} // namespace muster::server::mail
