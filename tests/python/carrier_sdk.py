"""Checks a carrier's incoming-call webhook with that carrier's official SDK, as its
documentation tells a receiver to, and prints {"valid": <bool>}.

Usage: carrier_sdk.py CARRIER KEY URL BODY HEADERS_JSON
  CARRIER  twilio | telnyx | plivo | generic
  KEY      Twilio's auth token, Telnyx's public key (base64), Plivo's auth token, or the
           generic adapter's whsec_ secret
"""
import json
import sys
from urllib.parse import parse_qsl


def twilio(key, url, body, headers):
    from twilio.request_validator import RequestValidator

    params = dict(parse_qsl(body, keep_blank_values=True))
    return RequestValidator(key).validate(url, params, headers.get("x-twilio-signature", ""))


def telnyx(key, url, body, headers):
    from telnyx.lib.webhook_verification import (
        WebhookVerificationError,
        verify_webhook_signature,
    )

    try:
        verify_webhook_signature(body, headers, key)
        return True
    except WebhookVerificationError:
        return False


def plivo(key, url, body, headers):
    from plivo.utils.signature_v3 import validate_v3_signature

    params = dict(parse_qsl(body, keep_blank_values=True))
    return validate_v3_signature(
        "POST",
        url,
        headers.get("x-plivo-signature-v3-nonce", ""),
        key,
        headers.get("x-plivo-signature-v3", ""),
        params,
    )


def generic(key, url, body, headers):
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    try:
        Webhook(key).verify(body, headers)
        return True
    except WebhookVerificationError:
        return False


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    carrier, key, url, body, headers = argv[1:]
    headers = {k.lower(): v for k, v in json.loads(headers).items()}
    check = {"twilio": twilio, "telnyx": telnyx, "plivo": plivo, "generic": generic}[carrier]
    print(json.dumps({"valid": bool(check(key, url, body, headers))}))


if __name__ == "__main__":
    main(sys.argv)
