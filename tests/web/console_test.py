#!/usr/bin/python3
"""The web console in a real browser (issue 17): headless Chromium through Selenium against the
real `muster-server serve` on loopback, with a real kiosk (`muster-kiosk headless
--simulated-clock`, `sync --once`) pushing a scan while the event page is open.

  tests/web/console_test.py BUILD_DIR SOURCE_DIR [SCREENSHOT_DIR]

Checks: sign-in (a wrong password refused), the inside-now count changes without a reload,
a POST without its CSRF token answers 403 (browser and HTTP level), a viewer sees no
close-event control and gets 403 posting to it, the admin's close-event runs. Screenshots go to
SCREENSHOT_DIR (default SOURCE_DIR/docs/screenshots) as console-*.png and must not be blank."""
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

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

STEP_TIMEOUT = 20  # seconds for any one external command
EVENT = "console-test"
PASSWORDS = {"ada-admin": "admin passphrase 2026", "vic-viewer": "viewer passphrase 2026",
             "sam-staff": "staff passphrase 2026"}
ROLES = {"ada-admin": "admin", "vic-viewer": "viewer", "sam-staff": "staff"}


def run(cmd, stdin=None):
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    if done.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def check(condition, what):
    if not condition:
        raise SystemExit("FAIL: " + what)
    print("ok -", what, flush=True)


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    """A cookie-keeping client for the HTTP-level checks."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=10) as r:
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
        _, html = self.get("/console/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)
        return self.post("/console/login",
                         {"csrf_token": token, "username": name, "password": password})


def main():
    build, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shots = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else os.path.join(
        source, "docs", "screenshots")
    os.makedirs(shots, exist_ok=True)
    server = os.path.join(build, "sync", "server", "muster-server")
    kiosk = os.path.join(build, "kiosk", "muster-kiosk")
    work = tempfile.mkdtemp(prefix="muster-console-")
    db = os.path.join(work, "league.db")
    serve = driver = None
    try:
        # A League, the demo roster, and an event whose sessions run now (the counts use the
        # server's clock): S1 in Ballroom A, S2 in Room 104.
        run([server, "init", "--db", db, "--league", "RIVERBEND", "--name", "Test League"])
        run([server, "import-roster", "--db", db, os.path.join(source, "assets/demo/roster.csv")])
        event = json.load(open(os.path.join(source, "assets/demo/event.json")))
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
        template = event["sessions"][0]
        event["id"], event["name"], event["survey"] = EVENT, "Console Test Training", []
        event["sessions"] = [
            dict(template, id="S1", title="Ethics now", room="Ballroom A",
                 start=iso(now - datetime.timedelta(minutes=30)),
                 end=iso(now + datetime.timedelta(minutes=60))),
            dict(template, id="S2", title="Records now", room="Room 104",
                 start=iso(now - datetime.timedelta(minutes=30)),
                 end=iso(now + datetime.timedelta(minutes=60)))]
        event_file = os.path.join(work, "event.json")
        json.dump(event, open(event_file, "w"))
        run([server, "import-event", "--db", db, event_file])
        run([server, "issue-badges", "--db", db, "--event", EVENT, "--out", work + "/badges"])
        for name, role in ROLES.items():
            run([server, "user", "add", "--db", db, "--name", name, "--role", role],
                stdin=PASSWORDS[name] + "\n")

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(os.path.join(work, "server.log"), "w")
        serve = subprocess.Popen([server, "serve", "--db", db, "--listen", f"127.0.0.1:{port}"],
                                 stdout=log, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        code = run([server, "provision", "--db", db, "--event", EVENT, "--name", "A-1"])
        run([kiosk, "--data", work + "/A-1", "--room", "Ballroom A", "provision", base,
             code.strip().splitlines()[-1]])
        badges = {}
        for line in open(work + "/badges/badges.tsv"):
            fields = line.rstrip("\n").split("\t")
            badges[fields[0]] = fields[-1]

        # ---- HTTP level: CSRF and roles ----
        admin = Http(base)
        status, _ = admin.sign_in("ada-admin", PASSWORDS["ada-admin"])
        check(status == 200, "the admin signs in over HTTP (303 to the events page)")
        status, _ = admin.post(f"/console/events/{EVENT}/close", {})
        check(status == 403, "a POST without a CSRF token answers 403 despite a valid session")
        status, _ = admin.post(f"/console/events/{EVENT}/close", {"csrf_token": "0" * 64})
        check(status == 403, "a POST with a wrong CSRF token answers 403")
        status, _ = Http(base).post("/console/login", {"username": "ada-admin",
                                                       "password": PASSWORDS["ada-admin"]})
        check(status == 403, "the sign-in POST without its form token answers 403")
        viewer = Http(base)
        viewer.sign_in("vic-viewer", PASSWORDS["vic-viewer"])
        _, html = viewer.get(f"/console/events/{EVENT}")
        check('data-testid="close-event"' not in html, "a viewer's event page has no close-event")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)
        status, _ = viewer.post(f"/console/events/{EVENT}/close", {"csrf_token": token})
        check(status == 403, "a viewer posting close-event with a valid CSRF token gets 403")
        staff = Http(base)
        staff.sign_in("sam-staff", PASSWORDS["sam-staff"])
        _, html = staff.get(f"/console/events/{EVENT}")
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)
        status, _ = staff.post(f"/console/events/{EVENT}/close", {"csrf_token": token})
        check(status == 403 and 'data-testid="close-event"' not in html,
              "staff see no close-event and get 403 posting to it")
        try:
            viewer.opener.open(base + "/console/audit", timeout=5)
            check(False, "a viewer is refused the audit trail")
        except urllib.error.HTTPError as e:
            check(e.code == 403, "a viewer is refused the audit trail (403)")
        # Session fixation: a cookie planted before sign-in is not the session after it.
        planted = "a" * 64
        fixed = Http(base)
        fixed.opener.addheaders = [("Cookie", "muster_console=" + planted)]
        _, html = fixed.get("/console/login")
        check("Sign in" in html, "a planted session cookie is not signed in")
        # Throttle: five wrong passwords for one account lock it, even with the right one next.
        attacker = Http(base)
        codes = [attacker.sign_in("sam-staff", "wrong password %d" % i)[0] for i in range(5)]
        status, _ = attacker.sign_in("sam-staff", PASSWORDS["sam-staff"])
        check(codes == [401] * 5 and status == 429,
              f"sign-in is throttled per account after 5 failures ({codes} then {status})")
        try:
            urllib.request.urlopen(base + f"/console/events/{EVENT}/counts", timeout=5)
            check(False, "counts without a session are refused")
        except urllib.error.HTTPError as e:
            check(e.code == 401, "counts without a session are refused (401)")
        try:
            urllib.request.urlopen(base + f"/console/events/{EVENT}/live", timeout=5)
            check(False, "the live stream without a session is refused")
        except urllib.error.HTTPError as e:
            check(e.code == 401, "the live stream without a session is refused (401)")
        try:
            admin.get("/console/events/no-such-event")
            check(False, "an unknown event answers 404")
        except urllib.error.HTTPError as e:
            check(e.code == 404, "an unknown event answers 404")

        # ---- the browser ----
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=1280,800",
                     "--user-data-dir=" + os.path.join(work, "chromium")]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(20)
        # Pages navigate under the checks (a form posts): an element of the page before is stale.
        wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])

        def sign_in(name, password):
            driver.get(base + "/console/login")
            driver.find_element(By.NAME, "username").send_keys(name)
            driver.find_element(By.NAME, "password").send_keys(password)
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

        sign_in("ada-admin", "not the password at all")
        error = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="login-error"]'))
        check("Wrong user name or password" in error.text and "/console/login" in driver.current_url,
              "a wrong password is refused without saying which part was wrong")
        driver.save_screenshot(os.path.join(shots, "console-login.png"))
        sign_in("ada-admin", PASSWORDS["ada-admin"])
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid="event-{EVENT}"]'))
        check(True, "the admin signs in through the form and sees the events")
        cookie = driver.get_cookie("muster_console")
        check(cookie and cookie["httpOnly"] and cookie.get("sameSite") == "Strict",
              "the session cookie is HttpOnly and SameSite=Strict")
        driver.save_screenshot(os.path.join(shots, "console-events.png"))

        driver.find_element(By.CSS_SELECTOR, f'[data-testid="event-{EVENT}"]').click()
        inside = lambda: driver.find_element(By.CSS_SELECTOR, '[data-testid="inside-S1"]').text
        wait.until(lambda d: inside() == "0")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR,
                                            '[data-testid="live-status"]').text == "live")
        check(driver.find_elements(By.CSS_SELECTOR, '[data-testid="close-event"]'),
              "the admin's event page has the close-event control")
        driver.execute_script("window.__notReloaded = 42;")

        # A real kiosk scan, now, and its push.
        scan_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        run([kiosk, "--data", work + "/A-1", "headless", "--simulated-clock"],
            stdin=f"@{scan_at} {badges['RB-0001']}\n")
        run([kiosk, "--data", work + "/A-1", "sync", "--once"])
        pushed = time.monotonic()
        WebDriverWait(driver, 5, poll_frequency=0.05,
                      ignored_exceptions=[StaleElementReferenceException]).until(lambda d: inside() == "1")
        elapsed = time.monotonic() - pushed
        check(driver.execute_script("return window.__notReloaded;") == 42,
              "the count changed without a reload")
        check(elapsed < 2.0, f"inside-S1 went 0 -> 1 within 2 s of the push ({elapsed:.2f} s)")
        # The stream stays open through silence (a keep-alive comment after 15 s; no reconnect
        # needed): a scan after that shows too.
        time.sleep(16)
        scan_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        run([kiosk, "--data", work + "/A-1", "headless", "--simulated-clock"],
            stdin=f"@{scan_at} {badges['RB-0002']}\n")
        run([kiosk, "--data", work + "/A-1", "sync", "--once"])
        pushed = time.monotonic()
        WebDriverWait(driver, 5, poll_frequency=0.05,
                      ignored_exceptions=[StaleElementReferenceException]).until(lambda d: inside() == "2")
        elapsed = time.monotonic() - pushed
        check(elapsed < 2.0 and driver.execute_script("return window.__notReloaded;") == 42,
              f"after 16 s of silence, inside-S1 went 1 -> 2 in {elapsed:.2f} s, no reload")
        driver.save_screenshot(os.path.join(shots, "console-event.png"))

        # The browser's own POST without its token: 403.
        driver.execute_script(
            "document.querySelector('form[action$=\"/close\"] input[name=csrf_token]').remove();")
        driver.find_element(By.CSS_SELECTOR, '[data-testid="close-event"]').click()
        wait.until(lambda d: "CSRF" in d.find_element(By.TAG_NAME, "body").text)
        check(True, "the browser's close-event without its CSRF token is refused (403)")

        driver.get(base + f"/console/events/{EVENT}")
        wait.until(lambda d: inside() == "2")
        driver.find_element(By.CSS_SELECTOR, '[data-testid="close-event"]').click()
        result = wait.until(lambda d: d.find_element(By.CSS_SELECTOR,
                                                     '[data-testid="close-result"]'))
        check(EVENT in result.text, "the admin's close-event runs: " + result.text.splitlines()[0])
        driver.save_screenshot(os.path.join(shots, "console-close.png"))
        ledger = run([server, "close-event", "--db", db, "--event", EVENT])
        check("closed" in ledger.lower() or EVENT in ledger,
              "the CLI sees the event closed by the console")

        driver.get(base + "/console/audit")
        audit = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="audit"]'))
        check("close-event" in audit.text and "sign-in-failed" in audit.text
              and "close-event-refused" in audit.text,
              "the admin's audit trail shows the close, the refused close and failed sign-ins")
        driver.save_screenshot(os.path.join(shots, "console-audit.png"))

        # Sign out, then the viewer in the browser.
        driver.find_element(By.CSS_SELECTOR, '[data-testid="sign-out"]').click()
        wait.until(lambda d: "/console/login" in d.current_url)
        sign_in("vic-viewer", PASSWORDS["vic-viewer"])
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid="event-{EVENT}"]'))
        driver.get(base + f"/console/events/{EVENT}")
        wait.until(lambda d: inside() == "2")
        check(not driver.find_elements(By.CSS_SELECTOR, '[data-testid="close-event"]'),
              "the viewer's page in the browser has no close-event control")
        door = driver.find_element(By.CSS_SELECTOR, '[data-testid^="door-scans-"]')
        status = driver.find_element(By.CSS_SELECTOR, '[data-testid^="door-status-"]')
        check(door.text == "2" and status.text == "syncing",
              f"the doors table shows the kiosk's 2 pushed scans, syncing ({door.text}, {status.text})")
        driver.save_screenshot(os.path.join(shots, "console-viewer.png"))

        for name in ["login", "events", "event", "close", "audit", "viewer"]:
            path = os.path.join(shots, f"console-{name}.png")
            check(os.path.getsize(path) > 2000 and png_not_blank(path),
                  f"screenshot console-{name}.png is not blank")
        print("PASS", flush=True)
    finally:
        if driver is not None:
            driver.quit()
        if serve is not None:
            serve.terminate()
            try:
                serve.wait(timeout=10)
            except subprocess.TimeoutExpired:
                serve.kill()
        if os.environ.get("MUSTER_KEEP_WORK"):
            print("work dir kept:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
