"""Sends a text and a template message through Pigeon's drop-in endpoint with two Cloud API client
libraries nobody here wrote (pywa and heyoo), changing only their base URL, and checks their answers.

Usage: PIGEON_URL=http://127.0.0.1:8080 PIGEON_API_KEY=... PIGEON_PHONE_ID=123 python send_with_clients.py
Prints one line per check; exits non-zero on the first failure.
"""
import os
import sys

url = os.environ["PIGEON_URL"].rstrip("/")
key = os.environ["PIGEON_API_KEY"]
phone_id = os.environ["PIGEON_PHONE_ID"]
to = "15550001111"


def check(label, condition, detail):
    print(("ok   " if condition else "FAIL ") + label + ": " + str(detail))
    if not condition:
        sys.exit(1)


# pywa: the Pigeon API key in place of Meta's token; the base URL moved to Pigeon. pywa fixes its base URL
# to graph.facebook.com, so its documented `session` option gets an httpx transport that sends to Pigeon.
import httpx
from pywa import WhatsApp
from pywa.types.templates import TemplateLanguage

pigeon = httpx.URL(url)


class ToPigeon(httpx.HTTPTransport):
    def handle_request(self, request):
        request.url = request.url.copy_with(scheme=pigeon.scheme, host=pigeon.host, port=pigeon.port)
        return super().handle_request(request)


wa = WhatsApp(phone_id=phone_id, token=key, session=httpx.Client(transport=ToPigeon()))
sent = wa.send_message(to=to, text="Hello from pywa through Pigeon")
check("pywa text", sent.id.startswith("wamid.") or sent.id.startswith("msg_"), sent.id)
template = wa.send_template(to=to, name="hello_world", language=TemplateLanguage.ENGLISH_US)
check("pywa template", template.id.startswith("wamid.") or template.id.startswith("msg_"), template.id)

# heyoo: the same, through its url attribute.
from heyoo import WhatsApp as Heyoo

heyoo = Heyoo(token=key, phone_number_id=phone_id)
heyoo.url = f"{url}/v14.0/{phone_id}/messages"
reply = heyoo.send_message("Hello from heyoo through Pigeon", to)
check("heyoo text", reply.get("messaging_product") == "whatsapp" and reply["messages"][0]["id"], reply)
reply = heyoo.send_template("hello_world", to, components=[], lang="en_US")
check("heyoo template", reply.get("messages", [{}])[0].get("message_status") == "accepted", reply)

# A Meta-shaped error that the libraries understand: a bad recipient.
try:
    wa.send_message(to="not-a-number", text="x")
    check("pywa error", False, "no exception")
except Exception as error:  # pywa raises its WhatsAppError subclasses
    check("pywa error", "100" in str(getattr(error, "code", "")) or "Invalid parameter" in str(error), repr(error))
