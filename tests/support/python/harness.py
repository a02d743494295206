"""What the Python browser and mail tests share (tests/web/*_test.py, tests/mail/*_test.py).

Each test is a script `TEST.py BUILD_DIR SOURCE_DIR [...]` run by ctest. It builds a League with
the real `muster-server` on a fresh SQLite file in a work folder, serves it on loopback, and drives
real kiosks, an SMTP server (smtp_sink.py, aiosmtpd) or headless Chromium against it. A failed
check ends the script with "FAIL: what" and a non-zero exit; every passed one prints "ok - what".

The usual shape:

    build, source, server, kiosk = programs()
    h = Harness("muster-console-")            # the work folder; cleaned up by h.close()
    try:
        badges = demo_league(server, h.db, source, h.work, events=[...])
        base = h.serve(server)                 # "http://127.0.0.1:PORT", answering /healthz
        driver = h.browser()                   # headless Chromium, quit by h.close()
        ...
    finally:
        h.close()
"""
import datetime
import http.cookiejar
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

STEP_TIMEOUT = 60  # seconds for any one external command; a hung program fails, not the ctest
# The console tests' accounts: one of each role, each with its own password.
CONSOLE_PASSWORDS = {"ada-admin": "admin passphrase 2026", "vic-viewer": "viewer passphrase 2026",
                     "sam-staff": "staff passphrase 2026"}
CONSOLE_ROLES = {"ada-admin": "admin", "vic-viewer": "viewer", "sam-staff": "staff"}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def programs():
    """(build, source, muster-server, muster-kiosk) from the script's first two arguments."""
    build, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    return (build, source, os.path.join(build, "sync", "server", "muster-server"),
            os.path.join(build, "kiosk", "muster-kiosk"))


def check(condition, what):
    if not condition:
        raise SystemExit("FAIL: " + what)
    print("ok -", what, flush=True)


def run_process(cmd, stdin=None, expect=0, env=None, timeout=STEP_TIMEOUT):
    """Runs cmd to its end; fails the test unless it exits with `expect` (None: any code)."""
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=env)
    if expect is not None and done.returncode != expect:
        raise SystemExit(f"FAIL: {' '.join(cmd)} exited {done.returncode}, expected {expect}\n"
                         f"{done.stdout}\n{done.stderr}")
    return done


def run(cmd, stdin=None, env=None):
    """The standard output of cmd, which must succeed."""
    return run_process(cmd, stdin=stdin, env=env).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def csrf_of(html):
    """The CSRF token of the first form on a page."""
    return CSRF_FIELD.search(html).group(1)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def read_badges(folder):
    """attendee id -> badge payload, from the badges.tsv that `issue-badges --out` writes."""
    badges = {}
    for line in open(os.path.join(folder, "badges.tsv"), encoding="utf-8"):
        fields = line.rstrip("\n").split("\t")
        badges[fields[0]] = fields[-1]
    return badges


def demo_event_now(source, work, event_id, name, sessions, timezone=None):
    """assets/demo/event.json turned into a live event: its id and name replaced, no survey, and
    `sessions` (each a dict of the fields that differ from the demo's first session). Returns the
    path of the written file."""
    event = json.load(open(os.path.join(source, "assets/demo/event.json")))
    template = event["sessions"][0]
    event["id"], event["name"], event["survey"] = event_id, name, []
    if timezone is not None:
        event["timezone"] = timezone
    event["sessions"] = [dict(template, **s) for s in sessions]
    path = os.path.join(work, "event.json")
    json.dump(event, open(path, "w"))
    return path


def demo_league(server, db, source, work, event_file=None, event="fall-2026-training",
                effective=None, users=False):
    """`init` a League RIVERBEND with the demo roster (`--effective` when given), import the event
    file (the demo event by default) and issue its badges to WORK/badges; with users=True the
    console accounts (CONSOLE_ROLES) too. Returns the badges (read_badges)."""
    run([server, "init", "--db", db, "--league", "RIVERBEND", "--name", "Test League"])
    roster = [os.path.join(source, "assets/demo/roster.csv")]
    run([server, "import-roster", "--db", db] + (["--effective", effective] if effective else [])
        + roster)
    run([server, "import-event", "--db", db,
         event_file or os.path.join(source, "assets/demo/event.json")])
    run([server, "issue-badges", "--db", db, "--event", event, "--out", work + "/badges"])
    if users:
        for name, role in CONSOLE_ROLES.items():
            run([server, "user", "add", "--db", db, "--name", name, "--role", role],
                stdin=CONSOLE_PASSWORDS[name] + "\n")
    return read_badges(work + "/badges")


def provision_kiosk(server, kiosk, db, event, name, data, room, base, env=None):
    """A real kiosk with its data in `data`, provisioned against the served League as door `name`
    in `room` with a code from `muster-server provision`."""
    code = run([server, "provision", "--db", db, "--event", event, "--name", name])
    run([kiosk, "--data", data, "--room", room, "provision", base, code.strip().splitlines()[-1]],
        env=env)


def png_not_blank(path):
    """Decodes the PNG's pixels (8-bit RGB/RGBA, as Chromium writes) and counts distinct colours."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            channels = {2: 3, 6: 4}.get(colour, 4)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    colours = set()
    for row in range(0, height, max(1, height // 50)):
        line = raw[row * stride + 1:(row + 1) * stride]  # filtered, but varied bytes mean content
        for x in range(0, len(line) - channels, channels * max(1, width // 100)):
            colours.add(line[x:x + channels])
    return width > 100 and height > 100 and len(colours) > 3


def check_screenshots(shots, names):
    for name in names:
        path = os.path.join(shots, f"console-{name}.png")
        check(os.path.getsize(path) > 2000 and png_not_blank(path),
              f"screenshot console-{name}.png is not blank")


def screenshot_dir(source):
    """The third argument, or SOURCE/docs/screenshots (the screenshots the docs show)."""
    shots = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else os.path.join(
        source, "docs", "screenshots")
    os.makedirs(shots, exist_ok=True)
    return shots


class Http:
    """A cookie-keeping client for the HTTP-level checks: get raises on an HTTP error, post
    returns its status."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=20) as r:
            return r.status, r.read().decode()

    def post(self, path, fields):
        body = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body),
                                  timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def sign_in(self, name, password):
        """The console's sign-in form, with its CSRF token."""
        _, html = self.get("/console/login")
        return self.post("/console/login",
                         {"csrf_token": csrf_of(html), "username": name, "password": password})


def console_sign_in(driver, base, name, password):
    """Fills and submits the console's sign-in form in the browser (waits for nothing)."""
    from selenium.webdriver.common.by import By
    driver.get(base + "/console/login")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


class Harness:
    """One test's work folder and what runs in it: the server, the browser, the SMTP sink.
    close() stops them all and removes the folder (kept with MUSTER_KEEP_WORK=1)."""

    def __init__(self, prefix):
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.db = os.path.join(self.work, "league.db")
        self.log_path = os.path.join(self.work, "server.log")
        self.server = self.driver = None
        self.sinks = []

    def sink(self, **options):
        """An SMTP server on a free loopback port, not started yet (smtp_sink.Sink, options as
        there); close() stops it."""
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                        "mail"))
        from smtp_sink import Sink
        sink = Sink(free_port(), **options)
        self.sinks.append(sink)
        return sink

    def serve(self, server, *args):
        """`muster-server serve` on the work folder's database and a free loopback port, its
        output in server.log; returns its base URL once /healthz answers (at most 10 s)."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        self.server = subprocess.Popen(
            [server, "serve", "--db", self.db, "--listen", f"127.0.0.1:{port}"] + list(args),
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        return base

    def browser(self, size="1280,800"):
        """Headless Debian Chromium through chromedriver, its profile in the work folder."""
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=" + size,
                     "--user-data-dir=" + os.path.join(self.work, "chromium")]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(20)
        return self.driver

    def close(self):
        if self.driver is not None:
            self.driver.quit()
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
        for sink in self.sinks:
            sink.stop()
        if os.environ.get("MUSTER_KEEP_WORK"):
            print("work dir kept:", self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)
