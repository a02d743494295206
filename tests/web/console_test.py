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
import os
import sys
import time
import urllib.error
import urllib.request

from selenium.webdriver.support.ui import WebDriverWait
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support",
                                "python"))
from harness import (CONSOLE_PASSWORDS as PASSWORDS, Harness, Http, check,  # noqa: E402
                     check_screenshots, console_sign_in, csrf_of, demo_event_now, demo_league,
                     iso, programs, provision_kiosk, run, screenshot_dir, utc_now)

EVENT = "console-test"


def main():
    build, source, server, kiosk = programs()
    shots = screenshot_dir(source)
    h = Harness("muster-console-")
    work, db = h.work, h.db
    try:
        # A League, the demo roster, and an event whose sessions run now (the counts use the
        # server's clock): S1 in Ballroom A, S2 in Room 104.
        now = utc_now()
        event_file = demo_event_now(source, work, EVENT, "Console Test Training", [
            dict(id="S1", title="Ethics now", room="Ballroom A",
                 start=iso(now - datetime.timedelta(minutes=30)),
                 end=iso(now + datetime.timedelta(minutes=60))),
            dict(id="S2", title="Records now", room="Room 104",
                 start=iso(now - datetime.timedelta(minutes=30)),
                 end=iso(now + datetime.timedelta(minutes=60)))])
        badges = demo_league(server, db, source, work, event_file, EVENT, users=True)
        base = h.serve(server)
        provision_kiosk(server, kiosk, db, EVENT, "A-1", work + "/A-1", "Ballroom A", base)

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
        token = csrf_of(html)
        status, _ = viewer.post(f"/console/events/{EVENT}/close", {"csrf_token": token})
        check(status == 403, "a viewer posting close-event with a valid CSRF token gets 403")
        staff = Http(base)
        staff.sign_in("sam-staff", PASSWORDS["sam-staff"])
        _, html = staff.get(f"/console/events/{EVENT}")
        token = csrf_of(html)
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
        driver = h.browser()
        # Pages navigate under the checks (a form posts): an element of the page before is stale.
        wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])

        def sign_in(name, password):
            console_sign_in(driver, base, name, password)

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

        check_screenshots(shots, ["login", "events", "event", "close", "audit", "viewer"])
        print("PASS", flush=True)
    finally:
        h.close()

if __name__ == "__main__":
    main()
