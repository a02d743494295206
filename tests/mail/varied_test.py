#!/usr/bin/python3
"""Credit-form mail and /me/ on data as varied as the League's (issue 18), not the demo's.

  tests/mail/varied_test.py BUILD_DIR SOURCE_DIR

A League of its own (roster ids GC-*, an event in New York time), nothing from assets/demo:
  - roles that changed (import-roster twice, --effective): a clerk who became a councilmember
    gets a credit form, a mayor who became a clerk a verification letter;
  - three doors in one room (real kiosks, simulated clocks): arrivals at one door, leaves at
    another, and a third door that syncs only after the close (a late leave);
  - a live event whose two doors have wrong clocks (Debian's faketime, 40 and 50 minutes slow):
    the server corrects them and the credit lands in the right session;
  - two programs: the ALM CMO program (the default) for the first event's mail, and a second
    program file (ICMA's, its yearly deadline set to June 30) for the live event's; /me/ served
    with a third file (ALM's with the deadline on July 31): each deadline comes from its file;
  - the credit on /me/ (each session's hours, the level's hours) and in the mail body (the
    level's and the year's hours) match `muster-server credits` and `transcript` for each;
  - SMTP refusals per address: one recipient refused after its data (554), one deferred for
    ever (451): neither blocks the others, the refusal is not retried, the deferral is given up
    after 5 runs, mail-status shows both with the addresses;
  - a re-close (close-event --amend after the late door synced) mails a corrected form, with a
    new Message-ID and References to the first, only to the official whose form changed."""
import email
import email.policy
import json
import os
import re
import shutil
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support",
                                "python"))
from harness import (Harness, Http, check, csrf_of, iso, programs,  # noqa: E402
                     provision_kiosk, read_badges, run_process)

FORUM = "gulf-forum-2026"
LIVE = "gulf-live"
DOMAIN = "gulf.example.net"
ROSTER = """attendee_id,first_name,last_name,role,municipality,email
GC-1001,Ana,Marsh,mayor,Town of Gulf Shore,ana@gulf.example.net
GC-1002,Ben,Okafor,clerk,Town of Gulf Shore,ben@gulf.example.net
GC-1003,Cora,Lind,councilmember,Town of Gulf Shore,cora@gulf.example.net
GC-1004,Dev,Rao,councilmember,Town of Gulf Shore,dev@gulf.example.net
GC-1005,Eve,Stone,councilmember,Town of Gulf Shore,eve@gulf.example.net
GC-1006,Fay,Quin,mayor,Town of Gulf Shore,fay@gulf.example.net
"""
REFUSED_AFTER_DATA = "dev@gulf.example.net"
DEFERRED = "eve@gulf.example.net"
POLICY = {"arrival_grace_min": 10, "leave_grace_min": 10, "increment_hours": 0.25,
          "debounce_s": 60}


def hours(text):
    return float(text)


def parsed(data):
    return email.message_from_bytes(data, policy=email.policy.default)


def body_of(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


def credit_rows(server, db, event):
    doc = json.loads(run_process([server, "credits", "--db", db, "--event", event,
                          "--format", "json"]).stdout)
    return {(p["attendee_id"], s["session_id"]): s for p in doc["attendees"]
            for s in p["sessions"]}


def transcript(server, db, official, program=None, as_of=None):
    cmd = [server, "transcript", "--db", db, "--official", official]
    if program:
        cmd += ["--program", program]
    if as_of:
        cmd += ["--as-of", as_of]
    return json.loads(run_process(cmd).stdout)


def expected_progress(doc):
    """The words the body and /me/ must show, from `transcript`'s figures."""
    words = []
    level = next((lv for lv in doc["levels"] if not lv["met"]), None)
    if level is not None:
        words.append(f"{level['name']}: {level['hours_counted']:g} of "
                     f"{level['hours_required']:g} hours")
    a = doc.get("annual")
    if a and a.get("applies"):
        words.append(f"{a['earned']:g} of {a['required']:g} hours in {a['year']}")
    return words


class Kiosk:
    def __init__(self, binary, work, name, boot_file):
        self.binary, self.data, self.boot_file = binary, os.path.join(work, name), boot_file

    def env(self, skew):
        env = dict(os.environ, MUSTER_BOOT_ID_FILE=self.boot_file)
        if skew:
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            # An ASan build refuses to start unless its runtime is the first preloaded library;
            # faketime appends libfaketime to LD_PRELOAD, so the runtime goes in first.
            if os.environ.get("MUSTER_ASAN_RUNTIME"):
                env["LD_PRELOAD"] = os.environ["MUSTER_ASAN_RUNTIME"]
        return env

    def cmd(self, args, skew=""):
        prefix = ["faketime", "-f", skew] if skew else []
        return prefix + [self.binary, "--data", self.data] + args

    def provision(self, server, db, event, base, room):
        provision_kiosk(server, self.binary, db, event, os.path.basename(self.data), self.data,
                        room, base, env=self.env(""))

    def scan(self, lines, skew="", simulated=True):
        args = ["headless", "--simulated-clock"] if simulated else ["headless"]
        out = run_process(self.cmd(args, skew), stdin="".join(l + "\n" for l in lines),
                  env=self.env(skew)).stdout
        return [json.loads(l) for l in out.splitlines() if l.startswith("{")]

    def sync(self, skew=""):
        run_process(self.cmd(["sync", "--once"], skew), env=self.env(skew))


class Portal:
    """An official's browser on /me/ over HTTP: the e-mail form, the code from the sink."""

    def __init__(self, base):
        self.http = Http(base)

    def get(self, path):
        return self.http.get(path)[1]

    def post(self, path, fields):
        status, page = self.http.post(path, fields)
        check(status == 200, f"POST {path} answers 200 ({status})")
        return page

    def sign_in(self, address, sink):
        before = len(sink.received())
        page = self.get("/me/")
        page = self.post("/me/login", {"csrf_token": csrf_of(page), "email": address})
        deadline = time.monotonic() + 15
        code = None
        while code is None and time.monotonic() < deadline:
            for _, rcpts, data in sink.received()[before:]:
                if rcpts == [address]:
                    code = re.search(r"(\d{4}) (\d{4})", body_of(parsed(data))).group(0)
            time.sleep(0.1)
        check(code is not None, f"a sign-in code reached {address}")
        return self.post("/me/code", {"csrf_token": csrf_of(page), "code": code})


def session_cells(page, session):
    row = re.search(r'<tr data-testid="session-' + re.escape(session) + r'">(.*?)</tr>', page,
                    re.S)
    return re.findall(r"<td>(.*?)</td>", row.group(1), re.S) if row else []


def main():
    build, source, server, kiosk_bin = programs()
    check(shutil.which("faketime") is not None, "faketime is installed (packaging/setup.sh)")
    h = Harness("muster-varied-")
    work, db = h.work, h.db
    boot = os.path.join(work, "boot-id")
    open(boot, "w").write("varied-boot\n")
    sink = h.sink(refuse_data=[REFUSED_AFTER_DATA], defer=[DEFERRED])
    sink.start()
    smtp = [f"--smtp-url=smtp://127.0.0.1:{sink.port}", "--mail-from=credits@league.example",
            "--smtp-timeout=20"]
    try:
        # ---- a League, a roster whose roles change, two events ----
        open(work + "/roster1.csv", "w").write(ROSTER)
        open(work + "/roster2.csv", "w").write(
            ROSTER.replace("GC-1002,Ben,Okafor,clerk", "GC-1002,Ben,Okafor,councilmember")
            .replace("GC-1006,Fay,Quin,mayor", "GC-1006,Fay,Quin,clerk"))
        run_process([server, "init", "--db", db, "--league", "GULF", "--name", "Gulf League"])
        run_process([server, "import-roster", "--db", db, "--effective", "2026-01-01",
             work + "/roster1.csv"])
        run_process([server, "import-roster", "--db", db, "--effective", "2026-06-01",
             work + "/roster2.csv"])
        forum = {"id": FORUM, "name": "Gulf Coast Forum", "timezone": "America/New_York",
                 "location": "Gulf Shore Hall", "credit_policy": POLICY, "sessions": [
                     {"id": "A1", "title": "Annexations in Practice", "room": "Hall B",
                      "start": "2026-11-18T09:00:00-05:00", "end": "2026-11-18T10:30:00-05:00",
                      "credit_hours": 1.5, "course_code": "CMO-LAW-130", "core": True,
                      "topic": "annexation"},
                     {"id": "A2", "title": "Zoning Basics", "room": "Hall B",
                      "start": "2026-11-18T11:00:00-05:00", "end": "2026-11-18T12:00:00-05:00",
                      "credit_hours": 1.0, "course_code": "CMO-LAW-160", "core": True,
                      "topic": "zoning"}]}
        json.dump(forum, open(work + "/forum.json", "w"))
        run_process([server, "import-event", "--db", db, work + "/forum.json"])
        now = datetime.now(timezone.utc).replace(microsecond=0)
        live = {"id": LIVE, "name": "Gulf Live Clinic", "timezone": "UTC", "location": "Annex",
                "credit_policy": POLICY, "sessions": [
                    {"id": "L0", "title": "Early Clinic", "room": "Annex",
                     "start": iso(now - timedelta(minutes=60)),
                     "end": iso(now - timedelta(minutes=30)), "credit_hours": 0.5,
                     "course_code": "CMO-GOV-130", "core": True, "topic": "boards"},
                    {"id": "L1", "title": "Open Meetings Clinic", "room": "Annex",
                     "start": iso(now - timedelta(minutes=3)),
                     "end": iso(now + timedelta(minutes=3)), "credit_hours": 0.25,
                     "course_code": "CMO-LAW-122", "core": True, "topic": "open meetings"}]}
        json.dump(live, open(work + "/live.json", "w"))
        run_process([server, "import-event", "--db", db, work + "/live.json"])
        badges = {}
        for event in (FORUM, LIVE):
            run_process([server, "issue-badges", "--db", db, "--event", event, "--out",
                 f"{work}/badges-{event}"])
            for who, payload in read_badges(f"{work}/badges-{event}").items():
                badges[(event, who)] = payload

        # A second program (ICMA's, deadline June 30) and ALM's with its deadline on July 31.
        icma = open(os.path.join(source, "assets/programs/icma-cm.jsonc")).read()
        icma = icma.replace('"basis": "ICMA Code of Ethics, Tenet 8"',
                            '"basis": "ICMA Code of Ethics, Tenet 8",\n'
                            '    "deadline_month": 6, "deadline_day": 30')
        check('"deadline_month": 6' in icma, "a second program file with its own deadline")
        open(work + "/icma.jsonc", "w").write(icma)
        alm = open(os.path.join(source, "assets/programs/alm-cmo.jsonc")).read()
        alm_july = re.sub(r'"deadline_month": 12,(\s*)"deadline_day": 31',
                          r'"deadline_month": 7,\1"deadline_day": 31', alm)
        check(alm_july != alm, "ALM's program file sets the Act's deadline (December 31)")
        open(work + "/alm-july.jsonc", "w").write(alm_july)

        base = h.serve(server, f"--smtp-url=smtp://127.0.0.1:{sink.port}",
                       "--mail-from=credits@league.example", "--program",
                       work + "/alm-july.jsonc")

        # ---- the forum: three doors of Hall B ----
        north, south, east = (Kiosk(kiosk_bin, work, n, boot) for n in ("North", "South", "East"))
        for k in (north, south, east):
            k.provision(server, db, FORUM, base, "Hall B")
        pay = lambda who: badges[(FORUM, who)]  # noqa: E731
        answers = north.scan([f"@2026-11-18T08:5{i}:00-05:00 {pay(f'GC-100{i}')}"
                              for i in range(1, 7)])
        check(all(a["result"] == "arrived" for a in answers), "six arrivals at the north door")
        north.sync()
        south.sync()  # the other doors learn of the arrivals
        east.sync()
        answers = south.scan([f"@2026-11-18T10:20:00-05:00 {pay('GC-1004')}"] +
                             [f"@2026-11-18T11:5{i}:00-05:00 {pay(f'GC-100{i}')}"
                              for i in (1, 2, 5, 6)])
        check(answers[0]["result"] == "left" and answers[0]["session"] == "A1",
              "a leave at the south door of an arrival at the north door")
        south.sync()
        east.scan([f"@2026-11-18T09:40:00-05:00 {pay('GC-1003')}"])  # synced after the close
        run_process([server, "close-event", "--db", db, "--event", FORUM])

        # ---- the first mail-forms: a 554 after the data, a 451 for ever ----
        as_of = ["--as-of", now.strftime("%Y-%m-%d")]
        done = run_process([server, "mail-forms", "--db", db, "--event", FORUM] + smtp + as_of,
                           expect=1)
        check("deferred" in done.stdout and "run the command again" in done.stderr,
              "a deferral makes mail-forms exit 1 so it is run again: " + done.stderr.strip())
        first = {r[0]: parsed(d) for _, r, d in sink.received()}
        expected = {"ana@gulf.example.net", "ben@gulf.example.net", "cora@gulf.example.net",
                    "fay@gulf.example.net"}
        check(set(first) == expected,
              f"the refused and the deferred address do not block the others: {sorted(first)}")
        check(first["ben@gulf.example.net"]["Subject"] == "Your credit form: Gulf Coast Forum",
              "a clerk who became a councilmember gets a credit form")
        check("verification letter" in first["fay@gulf.example.net"]["Subject"],
              "a mayor who became a clerk gets a verification letter")
        status = run_process([server, "mail-status", "--db", db, "--event", FORUM]).stdout
        line = next(l for l in status.splitlines() if "\tGC-1004\t" in l)
        check(line.startswith("refused") and "554" in line,
              "the refusal after the data is recorded on the message: " + line)
        check(f"{REFUSED_AFTER_DATA}: 1 message(s), official GC-1004" in status,
              "mail-status shows the refused address")
        line = next(l for l in status.splitlines() if "\tGC-1005\t" in l)
        check(line.startswith("pending") and "deferred 1 time(s)" in line and "451" in line,
              "the deferral is recorded and counted: " + line)

        # The mail body's progress matches `transcript` (ALM, the default program).
        for official, address in (("GC-1001", "ana"), ("GC-1002", "ben"), ("GC-1003", "cora")):
            body = body_of(first[address + "@gulf.example.net"])
            doc = transcript(server, db, official, as_of=now.strftime("%Y-%m-%d"))
            for words in expected_progress(doc):
                check(words in body, f"{official}'s mail says '{words}' as transcript does")
            check(f"still needed by December 31, {now.year}" in body,
                  f"{official}'s mail has the Act's deadline from the default program")

        # ---- the late door syncs, the event is closed again ----
        before_hours = credit_rows(server, db, FORUM)[("GC-1003", "A1")]["credit_hours"]
        east.sync()
        run_process([server, "close-event", "--db", db, "--event", FORUM, "--amend"])
        after_hours = credit_rows(server, db, FORUM)[("GC-1003", "A1")]["credit_hours"]
        check(after_hours < before_hours,
              f"the late leave changed Cora's credit ({before_hours} -> {after_hours} h)")
        count = len(sink.received())
        done = run_process([server, "mail-forms", "--db", db, "--event", FORUM] + smtp + as_of,
                           expect=1)
        new = [(r, parsed(d)) for _, r, d in sink.received()[count:]]
        check([r for r, _ in new] == [["cora@gulf.example.net"]],
              f"after the re-close only the official whose form changed gets mail ({new and new[0][0]})")
        corrected = new[0][1]
        old = first["cora@gulf.example.net"]
        check(corrected["Message-ID"] != old["Message-ID"] and
              corrected["References"] == old["Message-ID"],
              "the corrected form has a new Message-ID and references the first")
        text = body_of(corrected)
        check("replaces the one we sent" in text and corrected["Subject"].startswith(
            "Your corrected credit form"), "it says it replaces the earlier one")
        check("1 corrected form(s) after the re-close" in done.stdout, done.stdout.splitlines()[0])
        count = len(sink.received())
        run_process([server, "close-event", "--db", db, "--event", FORUM, "--amend"])
        done = run_process([server, "mail-forms", "--db", db, "--event", FORUM] + smtp + as_of,
                           expect=None)
        check(len(sink.received()) == count, "a second re-close with nothing changed mails nothing")

        # ---- the deferral is given up after 5 runs; the refusal never retried ----
        check(sink.handler.deferred == 3, "three runs so far, three deferrals")
        for attempt in range(2):  # runs 4 and 5
            done = run_process([server, "mail-forms", "--db", db, "--event", FORUM] + smtp
                               + as_of, expect=None)
        check(done.returncode == 0 and "gave up after 5 deferrals" in done.stdout,
              "the fifth deferral gives the message up and the run succeeds")
        status = run_process([server, "mail-status", "--db", db, "--event", FORUM]).stdout
        line = next(l for l in status.splitlines() if "\tGC-1005\t" in l)
        check(line.startswith("refused") and "gave up after 5 deferrals" in line,
              "mail-status shows the message given up: " + line)
        check(f"{DEFERRED}: 1 message(s), official GC-1005" in status,
              "and the address among the refused ones")
        line = next(l for l in status.splitlines() if "\tGC-1004\t" in l)
        check(line.split("\t")[4] == "1", "the message refused after its data was tried once")
        check(sink.handler.deferred == 5, f"the deferred address was tried 5 times, no more "
              f"({sink.handler.deferred})")
        done = run_process([server, "mail-forms", "--db", db, "--event", FORUM] + smtp + as_of)
        check(sink.handler.deferred == 5, "a later run does not try it again")

        # ---- the live event: two doors with slow clocks ----
        annex_in, annex_out = Kiosk(kiosk_bin, work, "AnnexIn", boot), \
            Kiosk(kiosk_bin, work, "AnnexOut", boot)
        for k in (annex_in, annex_out):
            k.provision(server, db, LIVE, base, "Annex")
            k.sync()  # a true clock sample of this boot
        annex_in.scan([badges[(LIVE, "GC-1001")], badges[(LIVE, "GC-1002")]], skew="-40m",
                      simulated=False)
        annex_in.sync(skew="-40m")
        time.sleep(65)  # past the debounce: the leaves are new scans
        annex_out.sync(skew="-50m")
        annex_out.scan([badges[(LIVE, "GC-1001")]], skew="-50m", simulated=False)
        annex_out.sync(skew="-50m")
        rows = credit_rows(server, db, LIVE)
        ana = rows.get(("GC-1001", "L1"))
        check(ana is not None and ana["credit_hours"] == 0.25 and ana["left"] and
              any("corrected" in c for c in ana.get("clock", [])),
              f"slow door clocks are corrected: credit in L1, arrival and leave ({ana})")
        check(("GC-1001", "L0") not in rows, "nothing lands in the session the clocks showed")
        run_process([server, "close-event", "--db", db, "--event", LIVE])
        count = len(sink.received())
        run_process([server, "mail-forms", "--db", db, "--event", LIVE, "--program",
             work + "/icma.jsonc"] + smtp + as_of, expect=None)
        live_mail = {r[0]: parsed(d) for _, r, d in sink.received()[count:]}
        check(set(live_mail) == {"ana@gulf.example.net", "ben@gulf.example.net"},
              f"the live event's attendees get their forms ({sorted(live_mail)})")
        for official, address in (("GC-1001", "ana"), ("GC-1002", "ben")):
            body = body_of(live_mail[address + "@gulf.example.net"])
            doc = transcript(server, db, official, program=work + "/icma.jsonc",
                             as_of=now.strftime("%Y-%m-%d"))
            for words in expected_progress(doc):
                check(words in body, f"{official}'s mail (second program) says '{words}'")
            check("ICMA Code of Ethics, Tenet 8" in body and
                  f"by June 30, {now.year}" in body,
                  f"{official}'s mail has the second program's deadline (June 30)")

        # ---- /me/: each official's sessions and progress match credits and transcript ----
        forum_rows = credit_rows(server, db, FORUM)
        live_rows = credit_rows(server, db, LIVE)
        for official, address in (("GC-1001", "ana"), ("GC-1002", "ben"), ("GC-1003", "cora")):
            page = Portal(base).sign_in(address + "@gulf.example.net", sink)
            check('data-testid="me-name"' in page, f"{official} signed in to /me/")
            for (who, session), row in list(forum_rows.items()) + list(live_rows.items()):
                if who != official:
                    continue
                cells = session_cells(page, session)
                check(cells and hours(cells[3]) == row["credit_hours"],
                      f"/me/ of {official}: {session} {cells[3] if cells else '?'} h as credits")
            doc = transcript(server, db, official, program=work + "/alm-july.jsonc")
            for words in expected_progress(doc):
                check(words in page, f"/me/ of {official} says '{words}' as transcript does")
            check(f"still needed by July 31, {now.year}" in page,
                  f"/me/ of {official} has the deadline of serve's program file (July 31)")
        print("PASS")
    finally:
        h.close()

if __name__ == "__main__":
    main()
