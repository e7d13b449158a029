"""A local KoboToolbox that speaks the v2 data API as documented: `GET /api/v2/assets/{uid}/data/?format=json`
with `Authorization: Token <key>`, `limit`/`start` pagination answered with `count`, `next`, `previous`,
`results`, a `query` (MongoDB-style: equality, $gt/$gte/$lt/$lte, $exists, $or/$and) and a `sort`.

Submissions carry `_id`, `_uuid`, `_submission_time` (UTC, no offset, as Kobo writes it), `meta/instanceID`,
`meta/rootUuid` (newer servers; `root_uuid=False` for an older one) and, once edited, `meta/deprecatedID`: an edit
gets a new uuid and instance id but keeps its `_submission_time`, as Kobo's does.
"""

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

MAX_PAGE = 1000


def matches(record: dict, query: dict) -> bool:
    for key, wanted in query.items():
        if key == "$or":
            if not any(matches(record, q) for q in wanted):
                return False
        elif key == "$and":
            if not all(matches(record, q) for q in wanted):
                return False
        elif isinstance(wanted, dict):
            value = record.get(key)
            for op, operand in wanted.items():
                ok = {"$gt": lambda v, o: v is not None and v > o, "$gte": lambda v, o: v is not None and v >= o,
                      "$lt": lambda v, o: v is not None and v < o, "$lte": lambda v, o: v is not None and v <= o,
                      "$exists": lambda v, o: (v is not None) == bool(o), "$ne": lambda v, o: v != o}[op]
                if not ok(value, operand):
                    return False
        elif record.get(key) != wanted:
            return False
    return True


class KoboServer:
    def __init__(self, *, asset_uid: str = "aKoboForm2018", token: str = "kobo-token-0123456789abcdef",
                 root_uuid: bool = True):
        self.asset_uid, self.token, self.root_uuid = asset_uid, token, root_uuid
        self.records: list[dict] = []
        self.requests: list[dict] = []  # each answered request: its parameters and how many results it gave
        self.clock = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "KoboServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # The form's data

    def submit(self, fields: dict) -> dict:
        """A new submission, a minute after the one before."""
        with self._lock:
            self.clock += timedelta(minutes=1)
            instance = str(uuid.uuid4())
            record = {"_id": len(self.records) + 1, "_uuid": instance, "formhub/uuid": "f" * 32,
                      "_submission_time": self.clock.strftime("%Y-%m-%dT%H:%M:%S"), "_status": "submitted_via_web",
                      "_xform_id_string": self.asset_uid, "__version__": "vA", "_attachments": [],
                      "meta/instanceID": f"uuid:{instance}", **fields}
            if self.root_uuid:
                record["meta/rootUuid"] = f"uuid:{instance}"
            self.records.append(record)
            return record

    def edit(self, record_id: int, changes: dict) -> dict:
        """An edit in Enketo: a new instance replacing the old one; the submission time stays."""
        with self._lock:
            record = next(r for r in self.records if r["_id"] == record_id)
            instance = str(uuid.uuid4())
            record.update(changes)
            record["meta/deprecatedID"] = record["meta/instanceID"]
            record["meta/instanceID"] = f"uuid:{instance}"
            record["_uuid"] = instance
            return record

    # The API

    def page(self, params: dict) -> dict:
        query = json.loads(params["query"]) if params.get("query") else {}
        rows = [r for r in self.records if matches(r, query)]
        if params.get("sort"):
            for field, direction in reversed(list(json.loads(params["sort"]).items())):
                rows.sort(key=lambda r, f=field: (r.get(f) is None, r.get(f)), reverse=int(direction) < 0)
        limit = min(int(params.get("limit") or 100), MAX_PAGE)
        start = int(params.get("start") or 0)
        results = rows[start:start + limit]
        base = f"{self.url}/api/v2/assets/{self.asset_uid}/data/"

        def link(at):
            return f"{base}?{urlencode({**params, 'start': at, 'limit': limit})}"

        return {"count": len(rows), "next": link(start + limit) if start + limit < len(rows) else None,
                "previous": link(max(start - limit, 0)) if start > 0 else None, "results": results}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                if self.headers.get("Authorization") != f"Token {server.token}":
                    return self.answer(401, {"detail": "Invalid token."})
                if parts.path.rstrip("/") != f"/api/v2/assets/{server.asset_uid}/data":
                    return self.answer(404, {"detail": "Not found."})
                with server._lock:
                    body = server.page(params)
                server.requests.append({**params, "returned": len(body["results"])})
                return self.answer(200, body)

        return Handler


def household_fields(n: int, *, members: int = 2, family: str = "Kobo") -> dict:
    """A submission of the registration form: groups as the form names them, people in the `members` repeat."""
    people = [{"members/relationship": "principal", "members/given_names": f"Ana{n}",
               "members/family_names": f"{family} Pérez", "members/sex": "female",
               "members/date_of_birth": "1990-03-14", "members/nationality": "HN",
               "members/document_type": "passport", "members/document_number": f"KB{n:06d}",
               "members/place_of_origin": "Choloma"}]
    for m in range(1, members):
        people.append({"members/relationship": "child", "members/given_names": f"Luis{n}x{m}",
                       "members/family_names": f"{family} Pérez", "members/sex": "male",
                       "members/estimated_age": str(3 + m), "members/nationality": "HN",
                       "members/place_of_origin": "Choloma"})
    return {"household/destination_country": "HN", "household/intake_date": "2026-11-30",
            "household/how_heard": "shelter", "consent/consent_type": "explicit", "members": people}
