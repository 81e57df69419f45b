"""Writes one signed status webhook per line ("<X-Hub-Signature-256>\t<body>") for every wamid read from
argv[1]: sent, then delivered, then read, signed with the secret in argv[3] (as Meta signs). For wrk."""
import hashlib
import hmac
import sys

wamids = [line.strip() for line in open(sys.argv[1]) if line.strip()]
secret = sys.argv[3].encode()
with open(sys.argv[2], "w") as out:
    for offset, status in enumerate(["sent", "delivered", "read"]):
        for wamid in wamids:
            body = (
                '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp",'
                '"metadata":{"display_phone_number":"15550783881","phone_number_id":"123456789"},"statuses":[{"id":"%s",'
                '"status":"%s","timestamp":"%d","recipient_id":"15550001111","pricing":{"billable":true,"pricing_model":"PMP",'
                '"category":"utility","type":"regular"}}]},"field":"messages"}]}]}' % (wamid, status, 1800000000 + offset)
            )
            signature = "sha256=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
            out.write(signature + "\t" + body + "\n")
