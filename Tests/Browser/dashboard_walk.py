"""Walks Pigeon's dashboard in headless Chromium (Selenium + chromedriver), as an operator would.

Environment: PIGEON_URL, PIGEON_API_KEY, FAILED (the dead-lettered message ids with their codes, as
id=code,id=code), RETRY (the id to retry), SCREENSHOTS (a directory). Prints one "ok ..." line per step;
any failure raises (non-zero exit) with what was on the page.
"""
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["PIGEON_URL"]
KEY = os.environ["PIGEON_API_KEY"]
FAILED = dict(item.split("=") for item in os.environ["FAILED"].split(","))
RETRY = os.environ["RETRY"]
SHOTS = os.environ["SCREENSHOTS"]


def status(message_id):
    request = urllib.request.Request(f"{URL}/v1/messages/{message_id}", headers={"Authorization": f"Bearer {KEY}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["status"]


def check(condition, what, driver):
    if not condition:
        raise AssertionError(f"{what}\n--- page ---\n{driver.page_source[:4000]}")
    print(f"ok {what}", flush=True)


options = Options()
options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
wait = WebDriverWait(driver, 20)
try:
    driver.get(f"{URL}/dashboard")
    wait.until(expected_conditions.presence_of_element_located((By.ID, "api_key")))
    check(driver.current_url.endswith("/dashboard/login"), "signed out, the dashboard sends to the login", driver)
    driver.find_element(By.ID, "api_key").send_keys(KEY)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    overall = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=overall]")))
    check(overall.text in ["healthy", "degraded", "warning", "critical"], f"signed in, the overview shows the health: {overall.text}", driver)
    check("SameSite" not in driver.page_source and KEY not in driver.page_source, "the page shows no key", driver)
    driver.save_screenshot(os.path.join(SHOTS, "dashboard-overview.png"))

    driver.find_element(By.LINK_TEXT, "Dead letters").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "dead-letters")))
    for message_id, code in FAILED.items():
        row = driver.find_element(By.CSS_SELECTOR, f'tr[data-message="{message_id}"]')
        check(row.find_element(By.CSS_SELECTOR, "td.code").text == code, f"the dead letters list {message_id} with code {code}", driver)
    driver.save_screenshot(os.path.join(SHOTS, "dashboard-dead-letters.png"))

    driver.find_element(By.CSS_SELECTOR, f'tr[data-message="{RETRY}"] button').click()
    wait.until(expected_conditions.alert_is_present()).accept()
    notice = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "p.notice")))
    check(notice.text == "1 message moved to queued.", f"the retry asked first and said: {notice.text}", driver)
    check(not driver.find_elements(By.CSS_SELECTOR, f'tr[data-message="{RETRY}"]'), "the retried message left the list", driver)
    deadline = time.time() + 30
    while status(RETRY) not in ["sent", "delivered", "read"] and time.time() < deadline:
        time.sleep(0.2)
    check(status(RETRY) in ["sent", "delivered", "read"], f"the retried message reached {status(RETRY)}", driver)

    other = next(message_id for message_id in FAILED if message_id != RETRY)
    driver.find_element(By.LINK_TEXT, other).click()
    rows = wait.until(expected_conditions.presence_of_all_elements_located((By.CSS_SELECTOR, "#attempts tbody tr")))
    check(len(rows) >= 1 and FAILED[other] in rows[-1].text, f"the message's history shows its attempt with {FAILED[other]}", driver)
    driver.save_screenshot(os.path.join(SHOTS, "dashboard-message.png"))

    driver.find_element(By.LINK_TEXT, "Senders").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "senders")))
    qr = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "img.qr")))
    wait.until(lambda _: driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", qr))
    check(qr.get_attribute("alt") == "QR code to pair sender web-unpaired", "the unpaired session's QR code is shown as an image", driver)
    driver.save_screenshot(os.path.join(SHOTS, "dashboard-senders.png"))
    driver.find_element(By.LINK_TEXT, "Campaigns").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "campaigns")))
    check(len(driver.find_elements(By.CSS_SELECTOR, "tr[data-campaign]")) >= 1, "the campaigns page lists the running campaign", driver)
    driver.set_window_size(390, 900)
    driver.find_element(By.LINK_TEXT, "Dead letters").click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "dead-letters")))
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check(width <= 400, f"at phone width the page does not scroll sideways ({width}px)", driver)
    driver.save_screenshot(os.path.join(SHOTS, "dashboard-phone.png"))
finally:
    driver.quit()
