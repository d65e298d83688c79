"""Stripe's card field for the subscription pages: the script one step of it runs in the
browser, and what its answer says."""

from __future__ import annotations

import json

MAX_TEXT = 200  # an answer's id or message is never longer

# Stripe's card field, as the checkout drives its own (assets/js/stripe_checkout.js): run by
# rx.call_script (CSP allows eval for it), it waits for Stripe.js and the field's place, then
# ``mount`` puts the card field there, ``method`` turns it into a PaymentMethod
# (``createPaymentMethod``; with a SetupIntent's secret, ``confirmCardSetup``, 3-D Secure
# included) and ``confirm`` runs ``confirmCardPayment`` on a payment's client secret (Stripe.js
# shows the bank's challenge). It answers JSON: {"ok", "payment_method", "status", "message"}.
_STRIPE_CARD = """
(async (key, elementId, op, secret) => {
  const answer = (fields) => JSON.stringify(
    Object.assign({ok: false, payment_method: "", status: "", message: ""}, fields));
  const field = () => document.getElementById(elementId);
  for (let i = 0; i < 100 && !(typeof window.Stripe === "function" && field()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const s = (window.cdStripeCard = window.cdStripeCard || {});
  try {
    if (typeof window.Stripe !== "function") {
      throw new Error("The card form could not load (Stripe.js is missing).");
    }
    if (!s.stripe || s.key !== key) {
      s.stripe = window.Stripe(key);
      s.key = key;
      s.card = null;
    }
    if (op === "mount") {
      if (!field()) { throw new Error("The card form has no place to appear."); }
      if (s.card) { try { s.card.destroy(); } catch (gone) { /* left with the page */ } }
      s.card = s.stripe.elements().create("card", {hidePostalCode: true});
      s.card.mount(field());
      return answer({ok: true});
    }
    if (op === "method") {
      if (!s.card || s.busy) { return answer({message: "The card form is not ready."}); }
      s.busy = true;
      try {
        const got = secret
          ? await s.stripe.confirmCardSetup(secret, {payment_method: {card: s.card}})
          : await s.stripe.createPaymentMethod({type: "card", card: s.card});
        if (!got) { return answer({message: "This card form cannot save a card."}); }
        if (got.error) {
          return answer({message: got.error.message || "Check your card details."});
        }
        const method = got.paymentMethod || (got.setupIntent || {}).payment_method || "";
        const id = typeof method === "string" ? method : method.id || "";
        return answer({ok: !!id, payment_method: id,
                       message: id ? "" : "Check your card details."});
      } finally {
        s.busy = false;
      }
    }
    if (op === "confirm") {
      const got = await s.stripe.confirmCardPayment(secret);
      if (!got || got.error) {
        return answer({message: (got && got.error && got.error.message)
                       || "Authentication failed: try again or use another card."});
      }
      const status = (got.paymentIntent || {}).status || "";
      return answer({ok: status === "succeeded" || status === "processing", status: status,
                     message: status === "succeeded" || status === "processing" ? ""
                       : "The payment did not go through: try another card."});
    }
    return answer({message: "Unknown card step."});
  } catch (err) {
    return answer({message: (err && err.message) || String(err)});
  }
})(%s, %s, %s, %s)
"""


def stripe_card_script(op: str, key: str, element_id: str, secret: str = "") -> str:
    """The script of one step of Stripe's card field (``mount``, ``method``, ``confirm``)."""
    return _STRIPE_CARD % (json.dumps(key), json.dumps(element_id), json.dumps(op),
                           json.dumps(secret))


def card_answer(raw: object) -> tuple[bool, str, str]:
    """(ok, the PaymentMethod id, the message) of what the card script answered; a forged
    answer is no payment method."""
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    method, message = data.get("payment_method"), data.get("message")
    method = method if isinstance(method, str) and method.startswith("pm_") else ""
    message = message[:MAX_TEXT] if isinstance(message, str) else ""
    return data.get("ok") is True, method[:MAX_TEXT], message


def mounted(answer: object) -> tuple[bool, str]:
    """(ready, the error to show beside the card) once the card field tried to mount."""
    ok, _, message = card_answer(answer)
    if ok:
        return True, ""
    return False, message or "The card form could not load. Check your connection and reload."
