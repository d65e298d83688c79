"""Serve the loopback fakes of Razorpay, Square and Elavon for a manual try of the app
(``make fakes``, beside ``make run``): fixed ports on 127.0.0.1, the environment to start the
app with printed, until Ctrl-C. Test keys only; nothing leaves the machine."""

from __future__ import annotations

import argparse
import signal
import threading

from tests.payments.elavon_fake import ElavonFake
from tests.payments.razorpay_fake import RazorpayFake
from tests.payments.square_fake import SquareFake

RAZORPAY = ("rzp_test_ManualTry01", "rzp_manual_key_secret", "rzp_manual_webhook_secret")
SQUARE = ("EAAAE-manual-try-token", "sandbox-sq0idb-ManualTry", "manual-square-signature-key")
ELAVON = ("009001", "manualuser", "MANUALPIN1234")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", default="http://127.0.0.1:3000",
                        help="where the app is served (its webhook routes get the events)")
    parser.add_argument("--port", type=int, default=8791,
                        help="Razorpay's port; Square and Elavon take the next two")
    args = parser.parse_args()
    app = args.app.rstrip("/")
    hook = f"{app}/api/v2/payments/webhook"
    with RazorpayFake(*RAZORPAY, webhook_url=f"{hook}/razorpay", port=args.port) as razorpay, \
            SquareFake(SQUARE[0], SQUARE[2], notification_url=f"{hook}/square",
                       port=args.port + 1) as square, \
            ElavonFake(*ELAVON, port=args.port + 2) as elavon:
        env = {
            "COMMERCE_RAZORPAY_KEY_ID": RAZORPAY[0],
            "COMMERCE_RAZORPAY_KEY_SECRET": RAZORPAY[1],
            "COMMERCE_RAZORPAY_WEBHOOK_SECRET": RAZORPAY[2],
            "COMMERCE_RAZORPAY_API_BASE": razorpay.base_url,
            "COMMERCE_RAZORPAY_CHECKOUT_JS_URL": razorpay.checkout_url,
            "COMMERCE_SQUARE_ACCESS_TOKEN": SQUARE[0],
            "COMMERCE_SQUARE_APPLICATION_ID": SQUARE[1],
            "COMMERCE_SQUARE_LOCATION_ID": square.location_id,
            "COMMERCE_SQUARE_WEBHOOK_SIGNATURE_KEY": SQUARE[2],
            "COMMERCE_SQUARE_API_BASE": square.base_url,
            "COMMERCE_SQUARE_WEB_SDK_URL": square.web_sdk_url,
            "COMMERCE_ELAVON_MERCHANT_ID": ELAVON[0],
            "COMMERCE_ELAVON_USER_ID": ELAVON[1],
            "COMMERCE_ELAVON_PIN": ELAVON[2],
            "COMMERCE_ELAVON_API_HOST": elavon.base_url,
        }
        print("Payment processor fakes are serving. Start the app in another terminal with:\n")
        print(" \\\n".join(f"{name}={value}" for name, value in env.items()) + " \\\nmake run\n")
        print("then choose a processor per department under Admin -> Payment processors.")
        print("Test cards: Razorpay's checkout offers Pay / Fail; Square 4111 1111 1111 1111 "
              "pays, 4000 0000 0000 0002 is declined, Google Pay pays; Elavon 4111111111111111 "
              "pays, 4000000000000002 is declined. Ctrl-C stops.")
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.wait(1):
            pass


if __name__ == "__main__":
    main()
