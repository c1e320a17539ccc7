"""A local server for the dashboard-list benchmark: one port per list size (1, 10, 50 MB):
`POST /api/4.0/login` hands out a token, `GET /api/4.0/dashboards` answers a pre-built JSON list of
`DashboardBase` objects. Every field of the spec's `DashboardBase`
is filled in (ids and titles vary), so each client decodes the same realistic payload.

    python dashboards_server.py SPEC PORT_FILE
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SIZES_MB = (1, 10, 50)


def synthesize(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """A value with every property filled in (first enum value, one-element lists)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "enum" in schema and schema.get("type") != "array":
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        return (
            "2026-01-01T00:00:00Z"
            if schema.get("format") == "date-time"
            else "some text"
        )
    if kind == "integer":
        return 42
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return (
            [synthesize(spec, schema.get("items", {}), depth + 1)] if depth < 3 else []
        )
    if "properties" in schema and depth < 3:
        return {
            k: synthesize(spec, v, depth + 1) for k, v in schema["properties"].items()
        }
    if isinstance(schema.get("additionalProperties"), dict):
        return {"show": True, "update": False}
    return {}


def payloads(spec_path: str) -> dict[str, bytes]:
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    template = synthesize(spec, {"$ref": "#/components/schemas/DashboardBase"})
    one = len(json.dumps(template))
    out = {}
    for mb in SIZES_MB:
        count = mb * 1_000_000 // one
        dashboards = [
            {
                **template,
                "id": str(i),
                "title": f"Dashboard {i}",
                "description": f"board {i}",
            }
            for i in range(count)
        ]
        out[f"{mb} MB"] = json.dumps(dashboards).encode()
    return out


def handler(body: bytes) -> type[BaseHTTPRequestHandler]:
    """A handler serving `body` as the dashboard list."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def reply(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path.split("?")[0] == "/api/4.0/login":
                self.reply(
                    200,
                    b'{"access_token":"bench-token","token_type":"Bearer","expires_in":3600}',
                )
            else:
                self.reply(404, b'{"message":"Not found"}')

        def do_DELETE(self) -> None:
            self.reply(204, b"")

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/api/4.0/dashboards":
                self.reply(200, body)
            else:
                self.reply(404, b'{"message":"Not found"}')

    return Handler


def main() -> None:
    info = {}
    for name, body in payloads(sys.argv[1]).items():
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler(body))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        info[name] = {"port": server.server_address[1], "bytes": len(body)}
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(info, f)
    threading.Event().wait()


if __name__ == "__main__":
    main()
