"""Sends one SMS Verify request with the official TeleSign SDK, used exactly as its
documentation shows, and prints the answer as JSON: {"status": <HTTP status>, "body": <text>}.

Usage: telesign_sdk_request.py REST_ENDPOINT CUSTOMER_ID API_KEY PHONE_NUMBER VERIFY_CODE TEMPLATE
"""
import json
import sys

from telesign.rest import RestClient


def main(argv):
    if len(argv) != 7:
        sys.exit(__doc__)
    endpoint, customer_id, api_key, phone_number, verify_code, template = argv[1:]
    client = RestClient(customer_id, api_key, rest_endpoint=endpoint)
    response = client.post(
        "/v1/verify/sms",
        phone_number=phone_number,
        verify_code=verify_code,
        template=template,
    )
    print(json.dumps({"status": response.status_code, "body": response.body}))


if __name__ == "__main__":
    main(sys.argv)
