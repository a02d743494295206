#!/usr/bin/python3
"""The console's People part in a real browser (issue 17): headless Chromium through Selenium
against the real `muster-server serve`, with two real kiosks (doors) of one room pushing scans.

  tests/web/console_people_test.py BUILD_DIR SOURCE_DIR [SCREENSHOT_DIR]

Checks: the search finds an official; their page shows scans from two different doors with
chain positions, and the credit with its reasons; a staff correction with a reason changes the
credit shown and appears on the page and in the admin's audit trail; a viewer's correction POST
answers 403 over HTTP, a POST without the CSRF token 403, one without a reason 422 (nothing
stored); the transcript and credit form download as PDFs; the page fits a phone's width; the
form's fields have labels. Screenshots: console-people.png, console-person.png (not blank)."""
import datetime
import os
import re
import sys
import urllib.error

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support",
                                "python"))
from harness import (CONSOLE_PASSWORDS as PASSWORDS, Harness, Http, check,  # noqa: E402
                     check_screenshots, console_sign_in, csrf_of, demo_event_now, demo_league,
                     iso, programs, provision_kiosk, run, screenshot_dir, utc_now)

EVENT = "people-test"
REASON = "Door 2 missed her return; seen in the room by staff"


def main():
    build, source, server, kiosk = programs()
    shots = screenshot_dir(source)
    h = Harness("muster-people-")
    work, db = h.work, h.db
    try:
        # The event's zone puts the local time near noon, so "HH:MM" on the session's day never
        # crosses midnight whenever the test runs (Etc/GMT-3 is UTC+3).
        now = utc_now()
        offset = 12 - now.hour
        offset = offset - 24 if offset > 14 else offset
        zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
        local = lambda t: t + datetime.timedelta(hours=offset)
        start = now - datetime.timedelta(minutes=30)
        event_file = demo_event_now(source, work, EVENT, "People Test Training", [
            dict(id="S1", title="Ethics now", room="Ballroom A", start=iso(start),
                 end=iso(start + datetime.timedelta(minutes=90))),
            dict(id="S2", title="Records now", room="Room 104", start=iso(start),
                 end=iso(start + datetime.timedelta(minutes=90)))], timezone=zone)
        # (The demo's first session: 1.5 credit hours, 10-minute graces, quarter hours.)
        badges = demo_league(server, db, source, work, event_file, EVENT, users=True)
        base = h.serve(server)
        # Two doors of Ballroom A: Loretta Haynes (RB-0001) arrives at door 1 five minutes in
        # and scans out at door 2 ten minutes later: 15 of 90 minutes, 0.25 h.
        for door in ["Door-1", "Door-2"]:
            provision_kiosk(server, kiosk, db, EVENT, door, f"{work}/{door}", "Ballroom A", base)
        for door, minutes in [("Door-1", 5), ("Door-2", 15)]:
            at = iso(start + datetime.timedelta(minutes=minutes))
            run([kiosk, "--data", f"{work}/{door}", "headless", "--simulated-clock"],
                stdin=f"@{at} {badges['RB-0001']}\n")
            run([kiosk, "--data", f"{work}/{door}", "sync", "--once"])

        # ---- HTTP level: roles, CSRF, refusals ----
        person_path = "/console/people/RB-0001"
        viewer = Http(base)
        viewer.sign_in("vic-viewer", PASSWORDS["vic-viewer"])
        _, html = viewer.get(person_path)
        check('data-testid="correction-form"' not in html, "a viewer's page has no correction form")
        fields = {"session": f"{EVENT}|S1", "arrival": "00:00", "reason": "viewer tries"}
        status, _ = viewer.post(person_path + "/corrections",
                                dict(fields, csrf_token=csrf_of(html)))
        check(status == 403, f"a viewer's correction POST with a valid CSRF token gets 403 ({status})")
        staff = Http(base)
        staff.sign_in("sam-staff", PASSWORDS["sam-staff"])
        _, html = staff.get(person_path)
        status, _ = staff.post(person_path + "/corrections", fields)
        check(status == 403, f"a staff correction POST without the CSRF token gets 403 ({status})")
        status, body = staff.post(person_path + "/corrections",
                                  dict(fields, reason="", csrf_token=csrf_of(html)))
        check(status == 422 and "needs a reason" in body,
              f"a correction without a reason is refused with the reason why ({status})")
        status, body = Http(base).post(person_path + "/corrections", fields)
        check(status == 403, "a correction POST without a session gets 403")
        _, html = staff.get(person_path)
        check("Door 2 missed" not in html and "correction:" not in html,
              "the refused corrections stored nothing")
        admin = Http(base)
        admin.sign_in("ada-admin", PASSWORDS["ada-admin"])
        _, html = viewer.get("/console/people?q=rb-0001")
        check('data-testid="person-RB-0001"' in html and 'data-testid="person-RB-0002"' not in html,
              "a viewer's search by badge id finds exactly that official")
        _, html = viewer.get("/console/people?q=riverbend")
        check('data-testid="person-RB-0001"' in html and 'data-testid="person-RB-0002"' in html,
              "the search by municipality finds its officials")
        _, html = viewer.get(f"/console/events/{EVENT}/people")
        check(f'href="/console/people/RB-0001?event={EVENT}"' in html
              and 'data-testid="person-RB-0002"' not in html,
              "the event's people list those with scans there, linking with the event")
        for path in [person_path + "/transcript.pdf",
                     f"{person_path}/events/{EVENT}/credit-form.pdf"]:
            with admin.opener.open(base + path, timeout=30) as r:
                data = r.read()
                check(r.status == 200 and data.startswith(b"%PDF") and
                      r.headers.get("Content-Type") == "application/pdf",
                      f"{path} downloads a PDF ({len(data)} bytes)")
        try:
            admin.get("/console/people/NO-SUCH-ONE")
            check(False, "an unknown official answers 404")
        except urllib.error.HTTPError as e:
            check(e.code == 404, "an unknown official answers 404")

        # ---- the browser, as staff ----
        driver = h.browser()
        wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
        testid = lambda name: f'[data-testid="{name}"]'

        def sign_in(name):
            console_sign_in(driver, base, name, PASSWORDS[name])
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, testid("people-link")))

        sign_in("sam-staff")
        driver.find_element(By.CSS_SELECTOR, testid("people-link")).click()
        box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, testid("people-query")))
        box.send_keys("haynes")
        box.submit()
        link = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, testid("person-RB-0001")))
        check("Haynes, Loretta" in link.text, "the search finds the official by name")
        driver.save_screenshot(os.path.join(shots, "console-people.png"))
        link.click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, testid("person-name")))
        rows = driver.find_elements(By.CSS_SELECTOR, f'{testid("scans-" + EVENT)} tbody tr')
        doors = {row.get_attribute("data-device") for row in rows}
        check(len(rows) == 2 and len(doors) == 2 and all("#1" in r.text for r in rows),
              f"the official's page shows a scan from each of two doors, chain position #1 ({doors})")
        credit = lambda: driver.find_element(By.CSS_SELECTOR, testid(f"credit-{EVENT}-S1")).text
        why = driver.find_element(By.CSS_SELECTOR, testid(f"why-{EVENT}-S1")).text
        check(credit() == "0.25" and "arrival grace" in why and "early leave" in why,
              f"credit 0.25 h with its reasons (grace, early leave): {why!r}")

        # Keyboard and labels: every field of the correction form has a label, and Tab reaches it.
        for field in driver.find_elements(By.CSS_SELECTOR,
                                          "form[data-testid=correction-form] select, "
                                          "form[data-testid=correction-form] input:not([type=hidden]), "
                                          "form[data-testid=correction-form] textarea"):
            fid = field.get_attribute("id")
            check(fid and driver.find_elements(By.CSS_SELECTOR, f'label[for="{fid}"]'),
                  f"the correction field {field.get_attribute('name')} has a label")
        back = (start + datetime.timedelta(minutes=20))
        Select(driver.find_element(By.CSS_SELECTOR, testid("correction-session"))) \
            .select_by_value(f"{EVENT}|S1")
        arrival = driver.find_element(By.CSS_SELECTOR, testid("correction-arrival"))
        # A time input takes the digits typed in order (hours, minutes; AM/PM where shown):
        # set its value the way a form submission carries it instead.
        driver.execute_script("arguments[0].value = arguments[1];", arrival,
                              local(back).strftime("%H:%M"))
        driver.find_element(By.CSS_SELECTOR, testid("correction-reason")).send_keys(REASON)
        driver.find_element(By.CSS_SELECTOR, testid("correction-submit")).click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, testid("correction-saved")))
        check(credit() == "1.25",
              f"the staff correction (arrival again at {local(back):%H:%M}) changes the credit "
              f"shown 0.25 -> {credit()}")
        corrections = driver.find_element(By.CSS_SELECTOR, testid("corrections-" + EVENT)).text
        check(REASON in corrections and "sam-staff" in corrections,
              "the correction is listed with its staff member and reason")
        rows = driver.find_elements(By.CSS_SELECTOR, f'{testid("scans-" + EVENT)} tbody tr')
        check(len(rows) == 3, "the scans are kept; the correction is a third, appended fact")
        driver.save_screenshot(os.path.join(shots, "console-person.png"))
        cli = run([server, "credits", "--db", db, "--event", EVENT])
        check(any(l.startswith("RB-0001,") and ",1.25," in l for l in cli.splitlines()),
              "the CLI's credits agree with the page (1.25)")

        # Undo over HTTP: a viewer may not; staff void the console correction with a reason and
        # the credit goes back (the correction stays listed, marked voided).
        _, html = viewer.get(person_path)
        seq = re.search(r'data-testid="void-' + EVENT + r'-(\d+)"', driver.page_source).group(1)
        void = {"event": EVENT, "sequence": seq, "reason": "entered on the wrong session"}
        status, _ = viewer.post(person_path + "/corrections/void",
                                dict(void, csrf_token=csrf_of(html)))
        check(status == 403 and 'data-testid="void-' not in html,
              f"a viewer sees no void control and gets 403 posting one ({status})")
        _, html = staff.get(person_path)
        status, html = staff.post(person_path + "/corrections/void",
                                  dict(void, csrf_token=csrf_of(html)))
        credit_now = re.search(r'data-testid="credit-' + EVENT + r'-S1">([0-9.]+)<', html)
        check(status == 200 and credit_now and credit_now.group(1) == "0.25"
              and "(voided)" in html and REASON in html,
              "staff void the console correction: credit back to 0.25, the correction kept, voided")
        status, html = staff.post(person_path + "/corrections/void",
                                  dict(void, csrf_token=csrf_of(html)))
        check(status == 422 and "voided already" in html, "a second void is refused (422)")
        driver.refresh()
        wait.until(lambda d: credit() == "0.25")

        # Phone width: nothing overflows the page sideways (wide tables scroll in their box).
        driver.set_window_size(390, 844)
        driver.refresh()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, testid("person-name")))
        wide = driver.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth;")
        check(wide <= 1, f"the official's page fits a phone's width (overflow {wide}px)")
        driver.set_window_size(1280, 800)

        # The admin's audit trail: who, when, what and why.
        driver.find_element(By.CSS_SELECTOR, testid("sign-out")).click()
        wait.until(lambda d: "/console/login" in d.current_url)
        sign_in("ada-admin")
        driver.get(base + "/console/audit")
        audit = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, testid("audit"))).text
        line = next((l for l in audit.splitlines() if " correction " in f" {l} "), "")
        check("sam-staff" in line and "RB-0001" in line and REASON in line and
              "correction-refused" in audit,
              f"the audit trail shows the correction with who, what and why: {line!r}")

        check_screenshots(shots, ["people", "person"])
        print("PASS", flush=True)
    finally:
        h.close()

if __name__ == "__main__":
    main()
