/*
 * Commerce Dash: pay a Square order with the Web Payments SDK: a card field, and Google Pay
 * where the browser offers it. Plain ES2019, no build step.
 *
 *   window.cdSquare.mount(options) -> Promise<boolean>
 *     options: {script_url, application_id, location_id, currency, amount_decimal, country}
 *     Loads the SDK once (settings.square_web_sdk_url), attaches the card field to
 *     #square-card and the Google Pay button to #square-google-pay (left empty when the
 *     browser cannot pay with it). Resolves false when the card field could not load.
 *
 *   window.cdSquare.tokenize() -> Promise<string>   (never rejects)
 *     The card field's one-time token: {"status": "paid", "source_id": "cnon:..."} or
 *     {"status": "invalid", "message": "..."} for the learner.
 *
 *   window.cdSquare.take() -> string
 *     The Google Pay token made when the learner pressed Google Pay's own button (the button
 *     then presses #square-wallet-submit so the page sends it), in the same JSON shape.
 *
 * The server pays the order with the token; this answer only drives the page.
 */
(function () {
  "use strict";

  var state = {loading: null, payments: null, card: null, wallet: "", key: ""};

  function load(url) {
    if (window.Square) { return Promise.resolve(true); }
    if (state.loading) { return state.loading; }
    state.loading = new Promise(function (resolve) {
      var tag = document.createElement("script");
      tag.src = url;
      tag.async = true;
      tag.onload = function () { resolve(!!window.Square); };
      tag.onerror = function () { state.loading = null; resolve(false); };
      document.head.appendChild(tag);
    });
    return state.loading;
  }

  function answer(data) { return JSON.stringify(data); }

  function message(result) {
    var errors = (result && result.errors) || [];
    return (errors[0] && errors[0].message) || "Check your card details.";
  }

  async function mountWallet(options) {
    var holder = document.getElementById("square-google-pay");
    if (!holder) { return; }
    try {
      var request = state.payments.paymentRequest({
        countryCode: options.country || "US",
        currencyCode: options.currency,
        total: {amount: options.amount_decimal, label: "Total"},
      });
      var googlePay = await state.payments.googlePay(request);
      await googlePay.attach("#square-google-pay");
      holder.addEventListener("click", async function () {
        var result = await googlePay.tokenize();
        state.wallet = result && result.status === "OK"
          ? answer({status: "paid", source_id: result.token})
          : answer({status: "invalid", message: message(result)});
        var submit = document.getElementById("square-wallet-submit");
        if (submit) { submit.click(); }
      });
    } catch (error) {
      holder.textContent = "";  // Google Pay is not offered in this browser
    }
  }

  // Apple Pay: Square offers it only in Safari, on an HTTPS page of a domain verified with
  // Square; elsewhere payments.applePay() refuses and no button is shown. Apple Pay has no
  // button of Square's: the page shows one and tokenizes on its press.
  async function mountApplePay(options) {
    var holder = document.getElementById("square-apple-pay");
    if (!holder || typeof state.payments.applePay !== "function") { return; }
    try {
      var request = state.payments.paymentRequest({
        countryCode: options.country || "US",
        currencyCode: options.currency,
        total: {amount: options.amount_decimal, label: "Total"},
      });
      var applePay = await state.payments.applePay(request);
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = "Pay with Apple Pay";
      button.style.width = "100%";
      button.style.minHeight = "44px";
      button.style.background = "#000";
      button.style.color = "#fff";
      button.style.border = "0";
      button.style.borderRadius = "4px";
      button.addEventListener("click", async function () {
        var result = await applePay.tokenize();
        state.wallet = result && result.status === "OK"
          ? answer({status: "paid", source_id: result.token})
          : answer({status: "invalid", message: message(result)});
        var submit = document.getElementById("square-wallet-submit");
        if (submit) { submit.click(); }
      });
      holder.textContent = "";
      holder.appendChild(button);
    } catch (error) {
      holder.textContent = "";  // not offered here
    }
  }

  window.cdSquare = {
    mount: async function (options) {
      if (!(await load(options.script_url))) { return false; }
      var key = options.application_id + "/" + options.location_id;
      try {
        if (!state.payments || state.key !== key) {
          state.payments = window.Square.payments(options.application_id, options.location_id);
          state.key = key;
        }
        if (state.card) { await state.card.destroy(); }
        state.card = await state.payments.card();
        await state.card.attach("#square-card");
      } catch (error) {
        return false;
      }
      await mountWallet(options);
      await mountApplePay(options);
      return true;
    },
    tokenize: async function () {
      if (!state.card) {
        return answer({status: "invalid", message: "The card form did not load. Reload."});
      }
      try {
        var result = await state.card.tokenize();
        if (result && result.status === "OK") {
          return answer({status: "paid", source_id: result.token});
        }
        return answer({status: "invalid", message: message(result)});
      } catch (error) {
        return answer({status: "invalid", message: "The card could not be read. Try again."});
      }
    },
    take: function () {
      var token = state.wallet;
      state.wallet = "";
      return token || answer({status: "invalid", message: ""});
    },
  };
})();
