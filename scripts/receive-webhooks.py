#!/usr/bin/env python3
"""A stand-in for your application's webhook handler, for trying Pigeon's forwarding by hand.

    PIGEON_FORWARD_SECRET=demo-secret python3 scripts/receive-webhooks.py 9000
    # and start Pigeon with PIGEON_FORWARD_URL=http://127.0.0.1:9000/ PIGEON_FORWARD_SECRET=demo-secret

Prints every POST it receives, says whether its X-Hub-Signature-256 is valid, and answers 200.
"""
import hashlib
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ.get("PIGEON_FORWARD_SECRET", "").encode()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, self.headers.get("X-Hub-Signature-256", ""))
        value = json.loads(body)["entry"][0]["changes"][0]["value"]
        for status in value.get("statuses", []):
            print(f"status  {status['status']:<9} id={status['id']}  signature {'ok' if valid else 'INVALID'}", flush=True)
        for message in value.get("messages", []):
            print(f"inbound {message.get('type')} from {message.get('from')}  signature {'ok' if valid else 'INVALID'}", flush=True)
        self.send_response(200 if valid else 403)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 9000), Handler).serve_forever()
