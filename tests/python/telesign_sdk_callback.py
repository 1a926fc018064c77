"""Checks a delivery callback's signature with the official TeleSign SDK's own function, as its
documentation tells a callback receiver to, and prints {"valid": <bool>}.

Usage: telesign_sdk_callback.py API_KEY AUTHORIZATION_HEADER BODY
"""
import json
import sys

from telesign.util import verify_telesign_callback_signature


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    api_key, signature, body = argv[1:]
    print(json.dumps({"valid": verify_telesign_callback_signature(api_key, signature, body)}))


if __name__ == "__main__":
    main(sys.argv)
