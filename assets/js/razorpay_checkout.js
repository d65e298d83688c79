/*
 * Commerce Dash: pay a Razorpay order with Razorpay Checkout (cards, UPI, net banking,
 * wallets). Plain ES2019, no build step.
 *
 *   window.cdRazorpay.pay(options) -> Promise<string>   (never rejects)
 *     options: {script_url, key, order_id, amount, currency, name, description, email}
 *     Loads Checkout from script_url once (settings.razorpay_checkout_js_url), opens it for
 *     the order and resolves to JSON:
 *       {"status": "paid", "razorpay_payment_id", "razorpay_order_id", "razorpay_signature"}
 *       {"status": "dismissed", "message": "<the last failure, if any>"}
 *       {"status": "unavailable", "message": "..."}   (the script could not load)
 *     A failed attempt keeps Checkout open so the learner can try another method, as
 *     Razorpay does; its reason comes back when they close it. The server checks the
 *     signature with Razorpay before the page says paid: this answer only drives the page.
 */
(function () {
  "use strict";

  var loading = null; // the Promise of the script being loaded, reused

  function load(url) {
    if (window.Razorpay) { return Promise.resolve(true); }
    if (loading) { return loading; }
    loading = new Promise(function (resolve) {
      var tag = document.createElement("script");
      tag.src = url;
      tag.async = true;
      tag.onload = function () { resolve(!!window.Razorpay); };
      tag.onerror = function () { loading = null; resolve(false); };
      document.head.appendChild(tag);
    });
    return loading;
  }

  function answer(data) { return JSON.stringify(data); }

  window.cdRazorpay = {
    pay: function (options) {
      return load(options.script_url).then(function (ok) {
        if (!ok) {
          return answer({status: "unavailable",
                         message: "Razorpay's checkout could not load. Check your " +
                                  "connection and try again."});
        }
        return new Promise(function (resolve) {
          var lastFailure = "";
          var checkout = new window.Razorpay({
            key: options.key,
            order_id: options.order_id,
            amount: Number(options.amount) || undefined,
            currency: options.currency || undefined,
            name: options.name || "",
            description: options.description || "",
            prefill: {email: options.email || ""},
            handler: function (response) {
              resolve(answer({
                status: "paid",
                razorpay_payment_id: response.razorpay_payment_id || "",
                razorpay_order_id: response.razorpay_order_id || "",
                razorpay_signature: response.razorpay_signature || "",
              }));
            },
            modal: {
              ondismiss: function () {
                resolve(answer({status: "dismissed", message: lastFailure}));
              },
            },
          });
          checkout.on("payment.failed", function (response) {
            var error = (response && response.error) || {};
            lastFailure = error.description || "The payment did not go through.";
          });
          checkout.open();
        });
      });
    },
  };
})();
