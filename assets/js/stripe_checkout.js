/*
 * Commerce Dash: pay a Stripe PaymentIntent with a card Element (Stripe.js v3).
 *
 * Load after https://js.stripe.com/v3/ (settings.stripe_js_url). Plain ES2019, no build step.
 *
 *   window.cdStripe.mount(publishableKey, clientSecret, elementId) -> true | false
 *     Creates the card field inside #elementId. Calling it again (new intent, re-rendered
 *     page) replaces the previous field. On failure it returns false and pay() reports why.
 *
 *   window.cdStripe.pay(returnUrl) -> Promise<string>   (never rejects)
 *     Confirms the intent with the card; Stripe.js runs any 3-D Secure challenge itself.
 *     Resolves to JSON: {"status": "succeeded" | "processing" | "requires_action" | "failed",
 *                        "message": "...", "intent": "pi_..."}
 *     "failed" carries Stripe's message (a decline, an incomplete card, a network error) for
 *     the learner. The server still learns the outcome from the intent and the webhook:
 *     this result only drives the page.
 */
(function () {
  "use strict";

  var state = {
    stripe: null, // Stripe instance, reused while the publishable key is the same
    key: "",
    card: null, // the mounted card Element
    clientSecret: "",
    error: "", // why the last mount() failed
    paying: false,
  };

  function result(status, message, intent) {
    return JSON.stringify({ status: status, message: message || "", intent: intent || "" });
  }

  // "pi_123_secret_abc" -> "pi_123"
  function intentFromSecret(secret) {
    var match = /^(pi_[A-Za-z0-9]+)_secret_/.exec(secret || "");
    return match ? match[1] : "";
  }

  function unmount() {
    if (state.card) {
      try {
        state.card.destroy();
      } catch (ignored) {
        // already gone with the page
      }
    }
    state.card = null;
  }

  function mount(publishableKey, clientSecret, elementId) {
    unmount();
    state.clientSecret = clientSecret || "";
    state.error = "";
    try {
      if (typeof window.Stripe !== "function") {
        throw new Error("The payment form could not load (Stripe.js is missing).");
      }
      var target = document.getElementById(elementId);
      if (!target) {
        throw new Error("The payment form has no place to appear (#" + elementId + ").");
      }
      if (!state.stripe || state.key !== publishableKey) {
        state.stripe = window.Stripe(publishableKey);
        state.key = publishableKey;
      }
      // A new Elements group each time: a group holds one card Element only.
      state.card = state.stripe.elements().create("card", { hidePostalCode: true });
      state.card.mount(target);
      return true;
    } catch (err) {
      state.card = null;
      state.error = (err && err.message) || String(err);
      return false;
    }
  }

  function fromIntent(intent, fallbackId) {
    var id = (intent && intent.id) || fallbackId;
    switch (intent && intent.status) {
      case "succeeded":
        return result("succeeded", "", id);
      case "processing":
      case "requires_capture":
        return result("processing", "Your payment is being processed.", id);
      case "requires_action":
        return result("requires_action", "Your bank needs you to confirm this payment.", id);
      case "canceled":
        return result("failed", "This payment was canceled.", id);
      default: {
        // requires_payment_method after a decline or a failed 3-D Secure challenge
        var error = intent && intent.last_payment_error;
        return result("failed", (error && error.message) || "The payment did not go through.", id);
      }
    }
  }

  async function pay(returnUrl) {
    var intentId = intentFromSecret(state.clientSecret);
    if (!state.stripe || !state.card) {
      return result("failed", state.error || "The payment form is not ready.", intentId);
    }
    if (state.paying) {
      return result("failed", "A payment is already in progress.", intentId);
    }
    state.paying = true;
    try {
      var data = { payment_method: { card: state.card } };
      if (returnUrl) {
        data.return_url = returnUrl; // used only when the bank's page must open as a redirect
      }
      var answer = await state.stripe.confirmCardPayment(state.clientSecret, data);
      if (answer && answer.error) {
        var failed = answer.error.payment_intent;
        return result(
          "failed",
          answer.error.message || "The payment did not go through.",
          (failed && failed.id) || intentId
        );
      }
      return fromIntent(answer && answer.paymentIntent, intentId);
    } catch (err) {
      return result("failed", (err && err.message) || String(err), intentId);
    } finally {
      state.paying = false;
    }
  }

  /*
   * Server-confirmed flow (works with Stripe and with localstripe's Stripe.js):
   *   tokenize() -> JSON {"token": "tok_...", "card": "card_...", "message": ""}
   *     turns the card field into a single-use token; the server confirms the intent with it.
   *   authenticate() -> JSON like pay(): runs the 3-D Secure step of an intent that the
   *     server confirmed and that answered requires_action.
   */
  async function tokenize() {
    if (!state.stripe || !state.card) {
      return JSON.stringify({ token: "", card: "", message: state.error || "The payment form is not ready." });
    }
    try {
      var answer = await state.stripe.createToken(state.card);
      if (!answer || answer.error || !answer.token) {
        var message = (answer && answer.error && answer.error.message) || "Check your card details.";
        return JSON.stringify({ token: "", card: "", message: message });
      }
      var card = answer.token.card || {};
      return JSON.stringify({ token: answer.token.id, card: card.id || "", message: "" });
    } catch (err) {
      return JSON.stringify({ token: "", card: "", message: (err && err.message) || String(err) });
    }
  }

  async function authenticate() {
    var intentId = intentFromSecret(state.clientSecret);
    if (!state.stripe) {
      return result("failed", state.error || "The payment form is not ready.", intentId);
    }
    try {
      var answer = await state.stripe.confirmCardPayment(state.clientSecret);
      if (answer && answer.error) {
        return result("failed", answer.error.message || "Authentication failed.", intentId);
      }
      return fromIntent(answer && answer.paymentIntent, intentId);
    } catch (err) {
      return result("failed", (err && err.message) || String(err), intentId);
    }
  }

  /*
   * Wallets (Google Pay, and Apple Pay on a verified HTTPS domain) through Stripe's Payment
   * Request Button:
   *   mountWallet(options) -> Promise<boolean>   options: {country, currency, amount, label}
   *     shows the button in #stripe-wallet when the browser can pay with a wallet (false:
   *     none here; the card field stays the way to pay). Pressing it and choosing a card in
   *     the wallet's sheet makes a PaymentMethod, which then presses #stripe-wallet-submit.
   *   takeWallet() -> JSON {"payment_method": "pm_...", "message": ""}   for the server
   *   walletDone(ok)   closes the wallet's sheet with the server's outcome
   */
  async function mountWallet(options) {
    var holder = document.getElementById("stripe-wallet");
    if (!holder || !state.stripe || typeof state.stripe.paymentRequest !== "function") {
      return false;
    }
    try {
      var request = state.stripe.paymentRequest({
        country: options.country || "US",
        currency: String(options.currency || "usd").toLowerCase(),
        total: { label: options.label || "Total", amount: Number(options.amount) },
      });
      var can = await request.canMakePayment();
      if (!can) {
        return false;
      }
      request.on("paymentmethod", function (event) {
        state.walletEvent = event;
        state.wallet = (event && event.paymentMethod && event.paymentMethod.id) || "";
        var submit = document.getElementById("stripe-wallet-submit");
        if (submit) {
          submit.click();
        }
      });
      holder.textContent = "";
      state.stripe.elements().create("paymentRequestButton", { paymentRequest: request })
        .mount(holder);
      return true;
    } catch (err) {
      return false;
    }
  }

  function takeWallet() {
    var method = state.wallet || "";
    state.wallet = "";
    return JSON.stringify({ payment_method: method,
                            message: method ? "" : "The wallet gave no card." });
  }

  function walletDone(ok) {
    var event = state.walletEvent;
    state.walletEvent = null;
    if (event && typeof event.complete === "function") {
      event.complete(ok ? "success" : "fail");
    }
    return true;
  }

  window.cdStripe = { mount: mount, pay: pay, tokenize: tokenize, authenticate: authenticate,
                      mountWallet: mountWallet, takeWallet: takeWallet, walletDone: walletDone };
})();
