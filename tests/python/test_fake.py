"""Tests of `mediaauth fake` from Python, with the standard library only.

They start the built command (MEDIAAUTH_BIN, default `mediaauth` on PATH)
on a free loopback port with the example state and a control token, drive
it through its control API under /_fake/, and run the three APIs' flows
against it as a Python program would: create a user, confirm or approve,
inject a 429 and see the client recover, read the request log, reset.

    MEDIAAUTH_BIN=/path/to/mediaauth python3 -m unittest discover -s tests/python -v
"""

import json
import os
import re
import signal
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode

HERE = os.path.dirname(os.path.abspath(__file__))
STATE = os.path.join(HERE, "..", "..", "mediaauthtest", "testdata", "state.json")
CONTROL_TOKEN = "python-suite-control-token"

fake = None


def setUpModule():
    global fake
    fake = Fake.start()


def tearDownModule():
    fake.stop()


class Fake:
    """A running `mediaauth fake` and an HTTP client for it."""

    def __init__(self, proc, url):
        self.proc, self.url = proc, url

    @classmethod
    def start(cls):
        binary = os.environ.get("MEDIAAUTH_BIN", "mediaauth")
        env = dict(os.environ, MEDIAAUTH_FAKE_CONTROL_TOKEN=CONTROL_TOKEN)
        proc = subprocess.Popen(
            [binary, "fake", "--addr", "127.0.0.1:0", "--state", STATE],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        banner = []
        for line in proc.stdout:
            banner.append(line)
            if line.startswith("Serving until"):
                break
        else:
            proc.kill()
            raise RuntimeError("mediaauth fake ended before serving:\n" + "".join(banner) + proc.stderr.read())
        url = re.search(r"http://127\.0\.0\.1:\d+", banner[0]).group(0)
        return cls(proc, url)

    def stop(self):
        """Stops the fake with SIGTERM; it must exit with status 0."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        if code != 0:
            raise RuntimeError("mediaauth fake exited with status %d" % code)

    def request(self, method, path, body=None, headers=None):
        """Sends one request; returns (status, headers, decoded JSON or text)."""
        data = None
        headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, hdrs, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            status, hdrs, raw = err.code, err.headers, err.read()
            err.close()
        text = raw.decode()
        if hdrs.get_content_type() == "application/json" and text:
            return status, hdrs, json.loads(text)
        return status, hdrs, text

    def control(self, method, path, body=None, token=CONTROL_TOKEN):
        """Calls the control API with its token."""
        headers = {"Authorization": "Bearer " + token} if token else {}
        return self.request(method, "/_fake" + path, body, headers)[::2]

    def call(self, method, path, body=None, headers=None, tries=3):
        """Calls an API as a client that retries a 429 after its Retry-After.

        Returns (status, body, attempts)."""
        for attempt in range(1, tries + 1):
            status, hdrs, data = self.request(method, path, body, headers)
            if status != 429 or attempt == tries:
                return status, data, attempt
            time.sleep(float(hdrs.get("Retry-After", "0")))


def q(value):
    return urllib.parse.quote(value, safe="")


def statuses(path):
    """The statuses of the logged requests for path, oldest first."""
    status, log = fake.control("GET", "/requests?path=" + q(path))
    assert status == 200, log
    assert log["count"] == len(log["requests"])
    return [r["status"] for r in log["requests"]]


class FakeTestCase(unittest.TestCase):
    def setUp(self):
        status, body = fake.control("POST", "/reset")
        self.assertEqual(204, status, body)


class MoviesFlow(FakeTestCase):
    def test_register_verify_login_with_a_429(self):
        user = {"username": "pyuser", "email": "py@example.com", "password": "py-password", "unverified": True}
        status, created = fake.control("POST", "/movies/users", user)
        self.assertEqual(201, status, created)
        self.assertFalse(created["email_verified"])
        login = {"username": "pyuser", "password": "py-password"}
        self.assertEqual(403, fake.call("POST", "/login", login)[0], "not verified yet")

        status, email = fake.control("GET", "/movies/emails/last?to=py%40example.com&kind=verify")
        self.assertEqual(200, status, email)
        self.assertEqual(204, fake.call("POST", "/verify-email", {"token": email["token"]})[0])

        status, body = fake.control("POST", "/faults", {"path": "/login", "method": "POST", "status": 429, "headers": {"Retry-After": "0"}})
        self.assertEqual(204, status, body)
        status, token, attempts = fake.call("POST", "/login", login)
        self.assertEqual((200, 2), (status, attempts), token)
        bearer = {"Authorization": "Bearer " + token["access_token"]}
        status, profile, _ = fake.call("GET", "/user/profile", headers=bearer)
        self.assertEqual((200, "pyuser"), (status, profile["username"]))

        self.assertEqual([403, 429, 200], statuses("/login"))
        _, log = fake.control("GET", "/requests?path=/user/profile")
        self.assertEqual(["[REDACTED]"], log["requests"][0]["header"]["Authorization"])
        self.assertNotIn(token["access_token"], json.dumps(log))
        _, log = fake.control("GET", "/requests?path=/user/profile&secrets=true")
        self.assertEqual([bearer["Authorization"]], log["requests"][0]["header"]["Authorization"])

        fake.control("POST", "/reset")
        self.assertEqual(401, fake.call("POST", "/login", login)[0], "the reset forgot the account")
        self.assertEqual([401], statuses("/login"), "and the log")

    def test_state_account_with_its_api_key(self):
        status, profile, _ = fake.call("GET", "/user/profile", headers={"Authorization": "Bearer mk_alice_suite_key"})
        self.assertEqual((200, "Alice"), (status, profile["name"]))


class TVmazeFlow(FakeTestCase):
    def poll(self, token):
        return fake.call("POST", "/v1/auth/poll", {"token": token})

    def test_start_confirm_poll(self):
        status, account = fake.control("POST", "/tvmaze/users", {"username": "pyfan", "email": "pyfan@example.com", "premium_level": 2})
        self.assertEqual(201, status, account)
        status, started, _ = fake.call("POST", "/v1/auth/start", {"email": "pyfan@example.com"})
        self.assertEqual(200, status, started)

        status, email = fake.control("GET", "/tvmaze/emails/last?to=pyfan%40example.com")
        self.assertEqual(200, status, email)
        self.assertIn("/v1/auth/confirm/", email["confirm_url"])
        status, page = fake.control("GET", "/tvmaze/outbox")
        self.assertIn(email["confirm_url"], page)

        # TVmaze wants 10 s between polls: move the fake's clock, not ours.
        fake.control("POST", "/clock/advance", {"seconds": 11})
        self.assertEqual(403, self.poll(started["token"])[0], "not confirmed yet")
        status, body = fake.control("POST", "/tvmaze/confirm", {"email": "pyfan@example.com"})
        self.assertEqual(204, status, body)
        fake.control("POST", "/clock/advance", {"seconds": 11})
        fake.control("POST", "/faults", {"path": "/v1/auth/poll", "status": 429, "headers": {"Retry-After": "0"}})
        status, creds, attempts = self.poll(started["token"])
        self.assertEqual((200, 2), (status, attempts), creds)
        self.assertEqual({"username": "pyfan", "apikey": account["api_key"]}, creds)

        basic = "Basic " + b64encode(("pyfan:" + creds["apikey"]).encode()).decode()
        status, level, _ = fake.call("GET", "/v1/auth/validate", headers={"Authorization": basic})
        self.assertEqual((200, {"premium": 2}), (status, level))
        self.assertEqual([403, 429, 200], statuses("/v1/auth/poll"))

        fake.control("POST", "/reset")
        self.assertEqual(401, fake.call("GET", "/v1/auth/validate", headers={"Authorization": basic})[0])


class TMDbFlow(FakeTestCase):
    KEY = "?api_key=suite-tmdb-api-key"  # from the state file

    def new_token(self):
        status, body, _ = fake.call("GET", "/3/authentication/token/new" + self.KEY)
        self.assertEqual(200, status, body)
        return body["request_token"]

    def test_approve_session_with_a_429(self):
        self.assertEqual(204, fake.control("POST", "/tmdb/users", {"username": "pyviewer", "password": "pw"})[0])
        token = self.new_token()
        status, body = fake.control("POST", "/tmdb/approve", {"request_token": token, "username": "pyviewer"})
        self.assertEqual(204, status, body)

        fake.control("POST", "/faults", {"path": "/3/authentication/session/new", "tmdb_code": 25, "headers": {"Retry-After": "0"}})
        status, session, attempts = fake.call("POST", "/3/authentication/session/new" + self.KEY, {"request_token": token})
        self.assertEqual((200, 2), (status, attempts), session)
        status, account, _ = fake.call("GET", "/3/account" + self.KEY + "&session_id=" + q(session["session_id"]))
        self.assertEqual((200, "pyviewer"), (status, account["username"]))
        self.assertEqual((200, {"valid": True}), fake.control("GET", "/tmdb/sessions/" + q(session["session_id"])))

        denied = self.new_token()
        self.assertEqual(204, fake.control("POST", "/tmdb/deny", {"request_token": denied})[0])
        status, body, _ = fake.call("POST", "/3/authentication/session/new" + self.KEY, {"request_token": denied})
        self.assertEqual((401, 17), (status, body["status_code"]))

        self.assertEqual([429, 200, 401], statuses("/3/authentication/session/new"))
        _, log = fake.control("GET", "/requests?prefix=/3/&secrets=true")
        self.assertNotIn("suite-tmdb-api-key", json.dumps(log), "query strings are not kept")

        fake.control("POST", "/reset")
        status, body = fake.control("POST", "/tmdb/approve", {"request_token": self.new_token(), "username": "pyviewer"})
        self.assertEqual((404, "not_found"), (status, body["error"]), "the reset forgot the account, not the state file's key")


class ControlAPI(FakeTestCase):
    def test_needs_its_token(self):
        status, body = fake.control("GET", "/info", token=None)
        self.assertEqual((401, "unauthorized"), (status, body["error"]))
        status, info = fake.control("GET", "/info")
        self.assertEqual((200, fake.url + "/v1"), (status, info["tvmaze_url"]))

    def test_openapi_document(self):
        status, doc = fake.control("GET", "/openapi.json", token=None)
        self.assertEqual(200, status)
        self.assertTrue(doc["openapi"].startswith("3."))
        self.assertIn("/_fake/tvmaze/confirm", doc["paths"])

    def test_clock(self):
        status, clock = fake.control("PUT", "/clock", {"now": "2030-01-01T00:00:00Z"})
        self.assertEqual(200, status, clock)
        self.assertTrue(clock["now"].startswith("2030-01-01T00:00:0"))
        status, body = fake.control("POST", "/clock/advance", {"seconds": "soon"})
        self.assertEqual((400, "invalid_request"), (status, body["error"]))


if __name__ == "__main__":
    unittest.main()
