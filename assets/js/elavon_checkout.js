/*
 * Commerce Dash: pay with Elavon Converge's Lightbox. Plain ES2019, no build step.
 *
 *   window.cdElavon.pay(options) -> Promise<string>   (never rejects)
 *     options: {script_url, token}: the Lightbox script (settings.elavon_api_host) and a
 *     single-use session token the server asked Converge for (it needs the PIN).
 *     Resolves to JSON:
 *       {"status": "paid", "ssl_txn_id": "..."}       approved (the server reads it back)
 *       {"status": "declined", "ssl_txn_id": "...", "message": "..."}
 *       {"status": "dismissed", "message": ""}
 *       {"status": "unavailable", "message": "..."}
 *     The server reads the transaction back from Converge: this answer only drives the page.
 */
(function () {
  "use strict";

  var loading = null;

  function load(url) {
    if (window.PayWithConverge) { return Promise.resolve(true); }
    if (loading) { return loading; }
    loading = new Promise(function (resolve) {
      var tag = document.createElement("script");
      tag.src = url;
      tag.async = true;
      tag.onload = function () { resolve(!!window.PayWithConverge); };
      tag.onerror = function () { loading = null; resolve(false); };
      document.head.appendChild(tag);
    });
    return loading;
  }

  function answer(data) { return JSON.stringify(data); }

  window.cdElavon = {
    pay: function (options) {
      return load(options.script_url).then(function (ok) {
        if (!ok) {
          return answer({status: "unavailable",
                         message: "Elavon's checkout could not load. Check your connection " +
                                  "and try again."});
        }
        return new Promise(function (resolve) {
          window.PayWithConverge.open({ssl_txn_auth_token: options.token}, {
            onApproval: function (response) {
              resolve(answer({status: "paid", ssl_txn_id: (response || {}).ssl_txn_id || ""}));
            },
            onDeclined: function (response) {
              response = response || {};
              resolve(answer({status: "declined", ssl_txn_id: response.ssl_txn_id || "",
                              message: response.ssl_result_message || ""}));
            },
            onCancelled: function () { resolve(answer({status: "dismissed", message: ""})); },
            onError: function (error) {
              resolve(answer({status: "unavailable",
                              message: "The payment could not start. Try again."}));
            },
          });
        });
      });
    },
  };
})();
