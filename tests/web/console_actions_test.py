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
import os
import re
import subprocess
import sys
import time
import urllib.error

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support",
                                "python"))
from harness import (CONSOLE_PASSWORDS as PASSWORDS, CONSOLE_ROLES as ROLES,  # noqa: E402
                     STEP_TIMEOUT, Harness, Http, check, check_screenshots, console_sign_in,
                     csrf_of, demo_event_now, demo_league, iso, programs, provision_kiosk, run,
                     screenshot_dir, utc_now)

EVENT = "actions-test"
# (path under the event, fields, the least role)
ACTIONS = [("walk-ins/confirm", {"attendee_id": "WALKIN-X-1", "why": "t"}, "staff"),
           ("review/resolve", {"key": "x", "why": "t"}, "staff"),
           ("badges/reprint", {"attendee_id": "RB-0001", "why": "t"}, "staff"),
           ("badges/revoke", {"serial": "x", "why": "t"}, "admin"),
           ("devices/revoke", {"device_id": "x", "why": "t"}, "admin"),
           ("devices/provision", {"device_name": "x", "why": "t"}, "admin")]
RANK = {"viewer": 0, "staff": 1, "admin": 2}


def csrf_of_page(client, path):
    return csrf_of(client.get(path)[1])


def status_of(client, path):
    try:
        return client.get(path)[0]
    except urllib.error.HTTPError as e:
        return e.code


def main():
    build, source, server, kiosk = programs()
    shots = screenshot_dir(source)
    h = Harness("muster-console-actions-")
    work, db = h.work, h.db
    try:
        now = utc_now()
        event_file = demo_event_now(source, work, EVENT, "Actions Test Training", [
            dict(id="S1", title="Ethics now", room="Ballroom A",
                 start=iso(now - datetime.timedelta(minutes=40)),
                 end=iso(now + datetime.timedelta(minutes=50)))])
        badges = demo_league(server, db, source, work, event_file, EVENT, users=True)
        base = h.serve(server)
        for door in ["A-1", "A-2"]:
            provision_kiosk(server, kiosk, db, EVENT, door, f"{work}/{door}", "Ballroom A", base)
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
                token = csrf_of_page(clients[name], page)
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
        driver = h.browser()
        wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
        css = lambda selector: driver.find_element(By.CSS_SELECTOR, selector)
        testid = lambda name: css(f'[data-testid="{name}"]')

        console_sign_in(driver, base, "ada-admin", PASSWORDS["ada-admin"])
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

        check_screenshots(shots, ["close-preview", "actions"])
        print("PASS", flush=True)
    finally:
        h.close()

if __name__ == "__main__":
    main()
