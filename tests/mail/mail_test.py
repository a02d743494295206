#!/usr/bin/python3
"""Credit forms by e-mail and the outbox (issue 18) against a real SMTP server.

  tests/mail/mail_test.py BUILD_DIR SOURCE_DIR

A League with the demo roster and event, scans from a real kiosk (`muster-kiosk headless
--simulated-clock` and `sync --once` against `muster-server serve`), close-event, then
`muster-server mail-forms` and `remind` against aiosmtpd on loopback (tests/mail/smtp_sink.py):
  - SMTP server down: non-zero exit with the reason, nothing lost (all pending);
  - a slow server and kill -9 of mail-forms mid-run, then a re-run: every message arrives, at
    most one twice and then with the same Message-ID;
  - a re-run sends nothing; a refused address is recorded and shown by mail-status;
  - each message parses (Python's email module), its PDF attachment renders with pdftoppm, the
    body has the progress in words;
  - remind: officials behind on the Act's hours get one reminder with what they need and the
    deadline, once per date;
  - no e-mail address in the commands' output, the server log, the event package or the
    kiosk's data."""
import email
import email.policy
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support",
                                "python"))
from harness import (Harness, check, demo_league, programs, provision_kiosk,  # noqa: E402
                     run_process)

EVENT = "fall-2026-training"
REFUSED = "dpruitt@sweetgum.example.org"  # SG-0003: the test server refuses this address


def roster_addresses(source):
    addresses = set()
    for line in open(os.path.join(source, "assets/demo/roster.csv"), encoding="utf-8"):
        addresses.update(re.findall(r"[\w.+-]+@[\w.-]+", line))
    return addresses


def message_ids(sink):
    ids = []
    for _, _, data in sink.received():
        ids.append(email.message_from_bytes(data, policy=email.policy.default)["Message-ID"])
    return ids


def main():
    build, source, server, kiosk = programs()
    h = Harness("muster-mail-")
    work, db, log_path = h.work, h.db, h.log_path
    addresses = roster_addresses(source)
    outputs = []  # every command's stdout and stderr: no address may appear in any
    sink = h.sink(refuse=[REFUSED])
    smtp = [f"--smtp-url=smtp://127.0.0.1:{sink.port}", "--mail-from=credits@league.example",
            "--as-of=2026-12-04", "--smtp-timeout=20"]
    try:
        badges = demo_league(server, db, source, work, effective="2026-01-01")
        base = h.serve(server)
        provision_kiosk(server, kiosk, db, EVENT, "A-1", work + "/A-1", "Ballroom A", base)
        # Six people in the first session (8:30 to 10:00 in Chicago); SG-0002 has no address,
        # RB-0003 is a clerk (a verification letter, not a credit form).
        people = ["RB-0001", "RB-0002", "RB-0003", "SG-0001", "SG-0002", "SG-0003", "PC-0001",
                  "PC-0002"]
        scans = "".join(f"@2026-12-03T08:{20 + i}:00-06:00 {badges[p]}\n"
                        for i, p in enumerate(people))
        run_process([kiosk, "--data", work + "/A-1", "headless", "--simulated-clock"], stdin=scans)
        run_process([kiosk, "--data", work + "/A-1", "sync", "--once"])
        run_process([server, "close-event", "--db", db, "--event", EVENT])
        expected = {"RB-0001", "RB-0002", "RB-0003", "SG-0001", "SG-0003", "PC-0001", "PC-0002"}

        # ---- outage: no SMTP server at all ----
        done = run_process([server, "mail-forms", "--db", db, "--event", EVENT] + smtp, expect=1)
        outputs += [done.stdout, done.stderr]
        check("could not take the mail" in done.stderr and "run the command again" in done.stderr,
              "SMTP server down: mail-forms exits 1 with the reason: " + done.stderr.strip())
        status = run_process([server, "mail-status", "--db", db, "--event", EVENT]).stdout
        check(f"pending {len(expected)}" in status,
              f"nothing lost: all {len(expected)} messages wait in the outbox")
        check("SG-0002" in done.stdout, "the official without an address is named by id")

        # ---- a slow server and kill -9 mid-run ----
        sink.start(delay=1.0)
        proc = subprocess.Popen([server, "mail-forms", "--db", db, "--event", EVENT] + smtp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while len(sink.received()) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(0.5)  # inside the third message's DATA
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        before = len(sink.received())
        check(2 <= before < len(expected) - 1, f"killed mid-run after {before} messages")
        sink.stop()
        sink.start(delay=0.0)
        done = run_process([server, "mail-forms", "--db", db, "--event", EVENT] + smtp)
        outputs += [done.stdout, done.stderr]
        # Let a message held in the killed run's DATA land, if it does (bounded).
        ids = message_ids(sink)
        counts = {i: ids.count(i) for i in ids}
        twice = [i for i, n in counts.items() if n > 1]
        check(len(counts) == len(expected) - 1,  # the refused address never arrives
              f"after the kill and a re-run every message arrived ({len(counts)} distinct)")
        check(len(twice) <= 1 and all(counts[i] <= 2 for i in counts),
              f"at most the message in flight came twice, with the same Message-ID ({twice})")
        status = run_process([server, "mail-status", "--db", db, "--event", EVENT]).stdout
        check("pending 0" in status and "refused 1" in status,
              "mail-status: nothing pending, one refused")
        check(REFUSED in status and "550" in status,
              "the refused address is shown by mail-status with the server's code")

        # ---- re-run: nothing twice ----
        received = len(sink.received())
        done = run_process([server, "mail-forms", "--db", db, "--event", EVENT] + smtp)
        outputs += [done.stdout, done.stderr]
        check(len(sink.received()) == received and "Queued 0 new" in done.stdout,
              "a re-run queues and sends nothing")

        # ---- the messages themselves ----
        by_official = {}
        for envelope_from, rcpts, data in sink.received():
            msg = email.message_from_bytes(data, policy=email.policy.default)
            check(envelope_from == "credits@league.example" and len(rcpts) == 1,
                  f"envelope of {msg['Message-ID']}")
            by_official[rcpts[0]] = msg
        mayor = by_official["lhaynes@riverbend.example.org"]
        check(mayor["Subject"] == "Your credit form: Fall 2026 Training" or
              mayor["Subject"].startswith("Your credit form: "),
              "subject: " + mayor["Subject"])
        check(mayor["To"].addresses[0].display_name == "Loretta Haynes" and
              mayor["From"].addresses[0].addr_spec == "credits@league.example",
              "From and To headers parse")
        check(re.fullmatch(r"<[0-9a-f]{32}\.credit-form@league\.example>", mayor["Message-ID"])
              is not None, "a stable Message-ID " + mayor["Message-ID"])
        body = mayor.get_body(preferencelist=("plain",)).get_content()
        check("Basic:" in body and "of 40 hours" in body and "core courses still to take" in body,
              "the body has the progress in words: " +
              next(line for line in body.splitlines() if "Basic:" in line).strip())
        check("Act 2024-194" in body and "December 31, 2026" in body,
              "the body has the Act's yearly hours and the deadline")
        accented = by_official["jibarra@persimmoncreek.example.org"]
        check(accented["To"].addresses[0].display_name == "José Ibarra",
              "a non-ASCII name is encoded in the header and decodes back")
        clerk = by_official["pdunlap@riverbend.example.org"]
        check("verification letter" in clerk["Subject"], "the clerk gets a verification letter")
        for address, msg in by_official.items():
            parts = [p for p in msg.iter_attachments()]
            check(len(parts) == 1 and parts[0].get_content_type() == "application/pdf",
                  f"one PDF attachment for {address}")
            pdf = os.path.join(work, "attachment.pdf")
            open(pdf, "wb").write(parts[0].get_content())
            run_process(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", pdf,
                         os.path.join(work, "page")])
            png = [f for f in os.listdir(work) if f.startswith("page") and f.endswith(".png")]
            check(png and os.path.getsize(os.path.join(work, png[0])) > 1000,
                  f"the attachment for {address} renders with pdftoppm")
            for f in png:
                os.remove(os.path.join(work, f))
        check(REFUSED not in by_official, "the refused address received nothing")
        sample = os.path.join(work, "sample.eml")
        open(sample, "wb").write(next(d for _, r, d in sink.received()
                                      if r == ["lhaynes@riverbend.example.org"]))

        # ---- remind ----
        before = len(sink.received())
        remind = [server, "remind", "--db", db] + smtp[:2] + ["--as-of=2026-12-10"]
        done = run_process(remind)
        outputs += [done.stdout, done.stderr]
        reminders = [email.message_from_bytes(d, policy=email.policy.default)
                     for _, _, d in sink.received()[before:]]
        check(reminders and all("still needed by December 31, 2026" in m["Subject"]
                                for m in reminders),
              f"{len(reminders)} reminders with the hours still needed and the deadline")
        text = reminders[0].get_body(preferencelist=("plain",)).get_content()
        check("you still need" in text and "Act 2024-194" in text, "the reminder's words")
        count = len(sink.received())
        done = run_process(remind)
        outputs += [done.stdout, done.stderr]
        check(len(sink.received()) == count, "remind for the same date sends nothing twice")

        # ---- confidentiality ----
        outputs.append(open(log_path, encoding="utf-8", errors="replace").read())
        run_process([server, "package", "--db", db, "--event", EVENT, "--out", work + "/event.pkg"])
        package = open(work + "/event.pkg", encoding="utf-8").read()
        leaked = [a for a in addresses if any(a in o for o in outputs)]
        check(not leaked, "no e-mail address in mail-forms' or remind's output or the server log")
        check(not [a for a in addresses if a in package] and '"email"' not in package,
              "no e-mail address in the event package")
        kiosk_bytes = b""
        for root, _, files in os.walk(work + "/A-1"):
            for f in files:
                kiosk_bytes += open(os.path.join(root, f), "rb").read()
        check(not [a for a in addresses if a.encode() in kiosk_bytes],
              "no e-mail address in the kiosk's data (its database and package)")
        if len(sys.argv) > 3:
            shutil.copy(sample, sys.argv[3])
        print("PASS")
    finally:
        h.close()

if __name__ == "__main__":
    main()
