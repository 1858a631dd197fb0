"""A local HTTP server that speaks Twilio's Messages API (request and response shapes, errors).

The `twilio` client is pointed at it with TWILIO_BASE_URL. It records every request, answers
201 with a message resource, and can be told to refuse numbers (400, code 21211), numbers that
sent STOP (400, 21610), to be rate limited (429, 20429) or down (503), or to answer slowly.
It keeps the messages it accepted and lists them like Twilio's Messages list resource
(`GET .../Messages.json?To=&From=&DateSent>=&PageSize=`, newest first, paged JSON). A `hook`
is called with ("accepted", form) once a message exists and before its answer is written, and
with ("answered", form) after it (a test kills the worker there).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
_ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(AC\w+)\.json$")


@dataclass
class ProviderState:
    requests: list = field(default_factory=list)
    invalid: set = field(default_factory=set)
    opted_out: set = field(default_factory=set)
    #: (status, code, message) answered to the next requests, in order.
    failures: list = field(default_factory=list)
    #: Every request answers 503 while True.
    down: bool = False
    #: Seconds to wait before answering a message request.
    delay: float = 0.0
    #: The message resources accepted, oldest first.
    messages: list = field(default_factory=list)
    #: Requests to the Messages list resource (look-ups), as query dicts.
    lookups: list = field(default_factory=list)
    #: Called as hook(stage, form), stage "accepted" (before the answer) or "answered".
    hook: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.messages.clear()
            self.lookups.clear()
            self.hook = None
            self.invalid.clear()
            self.opted_out.clear()
            self.failures.clear()
            self.down = False
            self.delay = 0.0

    def bodies_to(self, number: str) -> list[str]:
        return [r["Body"] for r in self.requests if r.get("To") == number]


def _error(status: int, code: int, message: str) -> dict:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _segments(body: str) -> int:
    from coalition.sms.segments import count_segments

    return count_segments(body).segments


class _Handler(BaseHTTPRequestHandler):
    state: ProviderState

    def log_message(self, *args):
        pass

    def _authorized(self) -> bool:
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {expected}"

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if not self._authorized():
            return self._answer(401, _error(401, 20003, "Authenticate"))
        path, _, query = self.path.partition("?")
        listing = _MESSAGES.match(path)
        if listing:
            return self._list(listing.group(1), path, {k: v[0] for k, v in parse_qs(query).items()})
        match = _ACCOUNT.match(path)
        if not match:
            return self._answer(404, _error(404, 20404, "Not found"))
        if self.state.down:
            return self._answer(503, _error(503, 20503, "Service unavailable"))
        return self._answer(200, {"sid": match.group(1), "status": "active"})

    def _list(self, account: str, path: str, query: dict):
        """Twilio's Messages list resource: filters To, From, DateSent (=, <=, >= a GMT day,
        as `DateSent`, `DateSent<`, `DateSent>` in the query); newest first; one page."""
        state = self.state
        if state.down:
            return self._answer(503, _error(503, 20503, "Service unavailable"))
        with state.lock:
            state.lookups.append(query)
            messages = list(reversed(state.messages))
        if "To" in query:
            messages = [m for m in messages if m["to"] == query["To"]]
        if "From" in query:
            messages = [m for m in messages if m["from"] == query["From"]]
        for key, keep in (
            ("DateSent", lambda day, wanted: day == wanted),
            ("DateSent<", lambda day, wanted: day <= wanted),
            ("DateSent>", lambda day, wanted: day >= wanted),
        ):
            if key in query:
                wanted = query[key][:10]
                messages = [m for m in messages if m["_sent_day"] and keep(m["_sent_day"], wanted)]
        size = min(int(query.get("PageSize") or 50), 1000)
        page = [{k: v for k, v in m.items() if not k.startswith("_")} for m in messages[:size]]
        uri = f"{path}?PageSize={size}&Page=0"
        return self._answer(
            200,
            {
                "messages": page,
                "page": 0,
                "page_size": size,
                "start": 0,
                "end": max(len(page) - 1, 0),
                "uri": uri,
                "first_page_uri": uri,
                "previous_page_uri": None,
                "next_page_uri": None,
            },
        )

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if len(raw) < length:
            # The client went away in the middle of its request (a worker killed while
            # sending): as with a real server, there is no request to act on.
            self.close_connection = True
            return None
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if not self._authorized():
            return self._answer(401, _error(401, 20003, "Authenticate"))
        match = _MESSAGES.match(self.path)
        if not match:
            return self._answer(404, _error(404, 20404, "Not found"))
        state = self.state
        with state.lock:
            state.requests.append(form)
            failure = state.failures.pop(0) if state.failures else None
        if state.delay:
            time.sleep(state.delay)
        if state.down:
            return self._answer(503, _error(503, 20503, "Service unavailable"))
        if failure:
            return self._answer(failure[0], _error(*failure))
        to = form.get("To", "")
        if not form.get("Body"):
            return self._answer(400, _error(400, 21602, "Message body is required."))
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._answer(400, _error(400, 21603, "A 'From' phone number is required."))
        if to in state.invalid or not re.fullmatch(r"\+[1-9]\d{6,14}", to):
            return self._answer(400, _error(400, 21211, f"Invalid 'To' Phone Number: {to}"))
        if to in state.opted_out:
            return self._answer(
                400, _error(400, 21610, "Attempt to send to unsubscribed recipient")
            )
        sid = "SM" + uuid.uuid4().hex
        now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        resource = {
            "sid": sid,
            "account_sid": match.group(1),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "to": to,
            "from": form.get("From"),
            "body": form["Body"],
            "status": "queued",
            "num_segments": str(_segments(form["Body"])),
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "uri": f"/2010-04-01/Accounts/{match.group(1)}/Messages/{sid}.json",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/x/Messages/{sid}/Media.json"},
        }
        # Handed to the carrier at once here: the day it was sent, for DateSent filters.
        stored = {
            **resource,
            "status": "sent",
            "date_sent": now,
            "_sent_day": time.strftime("%Y-%m-%d", time.gmtime()),
        }
        with state.lock:
            state.messages.append(stored)
        hook = state.hook
        if hook is not None:
            hook("accepted", form)
        try:
            self._answer(201, resource)
        except OSError:  # the client is gone (a test killed it): the message exists all the same
            return
        if hook is not None:
            hook("answered", form)


class FakeProvider:
    def __init__(self):
        self.state = ProviderState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    def config(self) -> dict:
        return {
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM": "+16175550000",
            "TWILIO_BASE_URL": self.url,
        }

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
