#!/usr/bin/python3
"""The web console's actions in a real browser (issue 17): headless Chromium through Selenium
against the real `muster-server serve` on loopback, with two real kiosks.

  tests/web/console_actions_test.py BUILD_DIR SOURCE_DIR [SCREENSHOT_DIR]

Checks, over HTTP: every action's POST without its CSRF token answers 403, a viewer or staff
member gets 403 on admin-only actions and pages (a viewer on staff actions too). In the browser:
the timeline chart is drawn (Debian's Chart.js, a canvas with pixels), the close-event preview
shows the credit table and the late-sync report and its confirm closes, a review item (two doors
that both saw an arrival) is resolved with a reason, a badge is reprinted and another revoked, a
provisioning code is created (text and QR code) and provisions a real kiosk, a door is revoked
and its next sync is refused, and the audit trail shows who did each. Screenshots
console-close-preview.png and console-actions.png, checked not blank."""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_test import Http, check, free_port, png_not_blank, run, STEP_TIMEOUT  # noqa: E402

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

EVENT = "actions-test"
PASSWORDS = {"ada-admin": "admin passphrase 2026", "vic-viewer": "viewer passphrase 2026",
             "sam-staff": "staff passphrase 2026"}
ROLES = {"ada-admin": "admin", "vic-viewer": "viewer", "sam-staff": "staff"}
# (path under the event, fields, the least role)
ACTIONS = [("walk-ins/confirm", {"attendee_id": "WALKIN-X-1", "why": "t"}, "staff"),
           ("review/resolve", {"key": "x", "why": "t"}, "staff"),
           ("badges/reprint", {"attendee_id": "RB-0001", "why": "t"}, "staff"),
           ("badges/revoke", {"serial": "x", "why": "t"}, "admin"),
           ("devices/revoke", {"device_id": "x", "why": "t"}, "admin"),
           ("devices/provision", {"device_name": "x", "why": "t"}, "admin")]
RANK = {"viewer": 0, "staff": 1, "admin": 2}


def csrf_of(client, path):
    _, html = client.get(path)
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


def status_of(client, path):
    try:
        return client.get(path)[0]
    except urllib.error.HTTPError as e:
        return e.code


def main():
    build, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shots = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else os.path.join(
        source, "docs", "screenshots")
    os.makedirs(shots, exist_ok=True)
    server = os.path.join(build, "sync", "server", "muster-server")
    kiosk = os.path.join(build, "kiosk", "muster-kiosk")
    work = tempfile.mkdtemp(prefix="muster-console-actions-")
    db = os.path.join(work, "league.db")
    serve = driver = None
    try:
        run([server, "init", "--db", db, "--league", "RIVERBEND", "--name", "Test League"])
        run([server, "import-roster", "--db", db, os.path.join(source, "assets/demo/roster.csv")])
        event = json.load(open(os.path.join(source, "assets/demo/event.json")))
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
        template = event["sessions"][0]
        event["id"], event["name"], event["survey"] = EVENT, "Actions Test Training", []
        event["sessions"] = [
            dict(template, id="S1", title="Ethics now", room="Ballroom A",
                 start=iso(now - datetime.timedelta(minutes=40)),
                 end=iso(now + datetime.timedelta(minutes=50)))]
        event_file = os.path.join(work, "event.json")
        json.dump(event, open(event_file, "w"))
        run([server, "import-event", "--db", db, event_file])
        run([server, "issue-badges", "--db", db, "--event", EVENT, "--out", work + "/badges"])
        for name, role in ROLES.items():
            run([server, "user", "add", "--db", db, "--name", name, "--role", role],
                stdin=PASSWORDS[name] + "\n")
        badges = {}
        for line in open(work + "/badges/badges.tsv"):
            fields = line.rstrip("\n").split("\t")
            badges[fields[0]] = fields[-1]

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
        for door in ["A-1", "A-2"]:
            code = run([server, "provision", "--db", db, "--event", EVENT, "--name", door])
            run([kiosk, "--data", f"{work}/{door}", "--room", "Ballroom A", "provision", base,
                 code.strip().splitlines()[-1]])
        # Two doors of one room both see RB-0001 arrive (neither heard of the other's scan
        # yet): the rule counts the second as a leave, a review item for staff. RB-0002 arrives.
        at = lambda minutes: iso(now - datetime.timedelta(minutes=minutes))
        run([kiosk, "--data", work + "/A-1", "headless", "--simulated-clock"],
            stdin=f"@{at(30)} {badges['RB-0001']}\n@{at(25)} {badges['RB-0002']}\n")
        run([kiosk, "--data", work + "/A-2", "headless", "--simulated-clock"],
            stdin=f"@{at(10)} {badges['RB-0001']}\n")
        for door in ["A-1", "A-2"]:
            run([kiosk, "--data", f"{work}/{door}", "sync", "--once"])

        # ---- HTTP level: CSRF and roles on every action ----
        clients = {}
        for name in ROLES:
            clients[name] = Http(base)
            clients[name].sign_in(name, PASSWORDS[name])
        page = f"/console/events/{EVENT}"
        for path, fields, least in ACTIONS:
            status, _ = clients["ada-admin"].post(f"{page}/{path}", fields)
            check(status == 403, f"POST {path} without a CSRF token answers 403 (admin session)")
            for name, role in ROLES.items():
                if RANK[role] >= RANK[least]:
                    continue
                token = csrf_of(clients[name], page)
                status, _ = clients[name].post(f"{page}/{path}", dict(fields, csrf_token=token))
                check(status == 403, f"{role} POST {path} with a valid CSRF token gets 403")
        for path, least in [("/close", "admin"), ("/devices", "admin"), ("/walk-ins", "staff"),
                            ("/review", "staff"), ("/badges", "staff")]:
            for name, role in ROLES.items():
                if RANK[role] < RANK[least]:
                    check(status_of(clients[name], page + path) == 403,
                          f"{role} GET {path} gets 403")
        status, csv_text = clients["vic-viewer"].get(page + "/credits.csv")
        check(status == 200 and "RB-0001" in csv_text, "a viewer downloads the credits CSV")
        with clients["vic-viewer"].opener.open(base + "/console/reports/compliance.pdf",
                                               timeout=30) as r:
            check(r.status == 200 and r.read(5) == b"%PDF-", "a viewer downloads a report PDF")

        # ---- the browser, as the admin ----
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=1280,800",
                     "--user-data-dir=" + os.path.join(work, "chromium")]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.set_page_load_timeout(20)
        wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
        css = lambda selector: driver.find_element(By.CSS_SELECTOR, selector)
        testid = lambda name: css(f'[data-testid="{name}"]')

        driver.get(base + "/console/login")
        driver.find_element(By.NAME, "username").send_keys("ada-admin")
        driver.find_element(By.NAME, "password").send_keys(PASSWORDS["ada-admin"])
        css("button[type=submit]").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid="event-{EVENT}"]'))
        driver.get(base + page)
        canvas = wait.until(lambda d: d.find_element(
            By.CSS_SELECTOR, '[data-testid="timeline-S1"][data-drawn="1"]'))
        painted = driver.execute_script(
            "var c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width, c.height)"
            ".data; var n = 0; for (var i = 3; i < d.length; i += 16) if (d[i]) n++; return n;",
            canvas)
        check(painted > 100, f"the timeline chart is drawn on its canvas ({painted} pixels)")
        check(driver.execute_script("return typeof window.Chart;") == "function",
              "Chart.js came from the server (Debian's libjs-chart.js), no CDN")

        # The chart is live too: a real kiosk's arrival, pushed with sync --once, changes the
        # chart's data (the canvas's totals and Chart.js's own dataset) without a reload.
        wait.until(lambda d: testid("live-status").text == "live")
        chart_arrivals = lambda: driver.execute_script(
            "var c = document.querySelector('[data-testid=\"timeline-S1\"]');"
            "var chart = window.Chart.getChart(c);"
            "return [Number(c.getAttribute('data-arrivals')),"
            " chart.data.datasets[0].data.reduce(function (t, v) { return t + v; }, 0)];")
        before = chart_arrivals()
        driver.execute_script("window.__notReloaded = 17;")
        run([kiosk, "--data", work + "/A-1", "headless", "--simulated-clock"],
            stdin=f"@{at(5)} {badges['RB-0003']}\n")
        run([kiosk, "--data", work + "/A-1", "sync", "--once"])
        pushed = time.monotonic()
        WebDriverWait(driver, 10, poll_frequency=0.05).until(
            lambda d: chart_arrivals()[0] > before[0])
        elapsed = time.monotonic() - pushed
        after = chart_arrivals()
        check(after[0] == before[0] + 1 and after[1] == before[1] + 1,
              f"the timeline's arrivals went {before} -> {after} after a kiosk's push")
        check(driver.execute_script("return window.__notReloaded;") == 17 and elapsed < 2.0,
              f"the chart changed without a reload, {elapsed:.2f} s after the push")

        # Close with the preview first.
        testid("close-preview-link").click()
        row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR,
                                                  '[data-testid="close-row-RB-0001"]'))
        late = testid("late-sync").text
        check("Not closed yet" in late and "RB-0002" in testid("close-preview").text,
              "the close preview shows the credit table and the late-sync report")
        driver.save_screenshot(os.path.join(shots, "console-close-preview.png"))
        check("close" in driver.current_url and not driver.find_elements(
            By.CSS_SELECTOR, '[data-testid="close-result"]'), "the preview closed nothing")
        testid("close-event").click()
        result = wait.until(lambda d: d.find_element(By.CSS_SELECTOR,
                                                     '[data-testid="close-result"]'))
        check(EVENT in result.text and "Closed" in driver.page_source,
              "the preview's confirm closes the event: " + result.text.splitlines()[0])
        driver.get(base + page + "/close")
        late = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="late-scans"]'))
        check(late.text == "0", "after the close the preview reports 0 late scans")

        # A review item resolved with a reason.
        driver.get(base + page + "/review")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="review-1"]'))
        testid("review-why-1").send_keys("asked her: she stepped out")
        testid("resolve-1").click()
        # The status cell is on the page before the click too: read it again inside the wait,
        # or the old page's element may go stale while the POST's answer loads.
        status = wait.until(lambda d: "resolved by" in (t := d.find_element(
            By.CSS_SELECTOR, '[data-testid="review-status-1"]').text) and t)
        check("resolved by ada-admin" in status and "stepped out" in status,
              "a review item is resolved with who and why")

        # A badge reprinted, another revoked.
        driver.get(base + page + "/badges?q=RB-0002")
        testid("reprint-why-RB-0002").send_keys("badge torn")
        testid("reprint-RB-0002").click()
        image = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="badge-image"]'))
        check(driver.execute_script("return arguments[0].naturalWidth;", image) == 600,
              "the reprinted badge shows (600 x 450 PNG)")
        driver.get(base + page + "/badges?q=RB-0003")
        serial = css('[data-testid^="revoke-badge-"]').get_attribute("data-testid")[13:]
        testid(f"revoke-why-{serial}").send_keys("reported lost")
        testid(f"revoke-badge-{serial}").click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid="badge-revoked-{serial}"]'))
        check(True, f"badge {serial} revoked in the browser")

        # A provisioning code (text and QR), used by a real kiosk.
        driver.get(base + page + "/devices")
        testid("provision-name").send_keys("Door B-1")
        testid("provision-why").send_keys("second door of the ballroom")
        testid("provision").click()
        code = wait.until(lambda d: d.find_element(By.CSS_SELECTOR,
                                                   '[data-testid="provision-code"]')).text
        qr = css('[data-testid="provision-qr"] svg')
        check(re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code) and qr.size["width"] > 100,
              f"a provisioning code is shown as text and as a QR code ({code})")
        driver.save_screenshot(os.path.join(shots, "console-actions.png"))
        run([kiosk, "--data", work + "/B-1", "--room", "Ballroom A", "provision", base, code])
        check(True, "the console's code provisions a real kiosk")

        # A door revoked: its next sync is refused.
        driver.get(base + page + "/devices")
        rows = driver.find_elements(By.CSS_SELECTOR, '[data-testid^="device-"]')
        a2 = [r for r in rows if r.get_attribute("data-testid").startswith("device-")
              and not r.get_attribute("data-testid").startswith("device-token-")
              and "A-2" in r.text][0]
        device = a2.get_attribute("data-testid")[len("device-"):]
        testid(f"revoke-device-why-{device}").send_keys("stolen")
        testid(f"revoke-device-{device}").click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="action-done"]'))
        check(testid(f"device-token-{device}").text.startswith("none"),
              "the door is revoked in the browser")
        refused = subprocess.run([kiosk, "--data", work + "/A-2", "sync", "--once"],
                                 capture_output=True, text=True, timeout=STEP_TIMEOUT)
        check(refused.returncode != 0, "the revoked door's next sync is refused")

        driver.get(base + "/console/audit")
        trail = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="audit"]')).text
        for action in ["review-resolve", "badge-reprint", "badge-revoke", "provision",
                       "device-revoke", "device-revoke-refused", "close-event"]:
            check(action in trail, f"the audit trail shows {action}")
        check("stolen" in trail and "ada-admin" in trail, "audit entries carry who and why")
        check(code not in trail, "the provisioning code itself is not in the audit trail")

        for name in ["close-preview", "actions"]:
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
