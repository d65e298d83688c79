/*
 * Razorpay Checkout emulation for tests, served by tests/payments/razorpay_fake.py at
 * GET /v1/checkout.js. Same surface as the real checkout.js:
 *
 *   var rzp = new Razorpay({key, amount, currency, order_id, name, description,
 *                           prefill: {email, contact}, handler: fn(response),
 *                           modal: {ondismiss: fn()}});
 *   rzp.on("payment.failed", fn(response));
 *   rzp.open();
 *
 * The modal is built with DOM APIs only (no inline script, no eval, inline styles via
 * element.style) and talks to the fake at the origin this script was loaded from.
 */
(function () {
  "use strict";

  var current = document.currentScript;
  var FAKE_ORIGIN = current && current.src ? new URL(current.src).origin : window.location.origin;
  var METHODS = [
    ["card", "Card"],
    ["upi", "UPI"],
    ["netbanking", "Netbanking"],
    ["wallet", "Wallet"],
  ];
  var counter = 0;

  function formatAmount(amount, currency) {
    var value = (Number(amount || 0) / 100).toFixed(2);
    if (!currency || currency === "INR") {
      return "\u20B9" + value;
    }
    return value + " " + currency;
  }

  function el(tag, styles, text) {
    var node = document.createElement(tag);
    if (styles) {
      Object.keys(styles).forEach(function (name) {
        node.style[name] = styles[name];
      });
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function button(id, label, primary, danger) {
    var b = el("button", {
      display: "block",
      width: "100%",
      minHeight: "44px",
      marginTop: "8px",
      padding: "10px 12px",
      fontSize: "16px",
      fontWeight: "600",
      borderRadius: "6px",
      cursor: "pointer",
      border: primary ? "2px solid #0b3d91" : "2px solid " + (danger ? "#a40000" : "#333333"),
      background: primary ? "#0b3d91" : "#ffffff",
      color: primary ? "#ffffff" : danger ? "#a40000" : "#1a1a1a",
    }, label);
    b.type = "button";
    b.id = id;
    return b;
  }

  function Razorpay(options) {
    if (!(this instanceof Razorpay)) {
      return new Razorpay(options);
    }
    this.options = options || {};
    this._callbacks = {};
    this._overlay = null;
    this._busy = false;
  }

  Razorpay.prototype.on = function (event, callback) {
    if (typeof callback === "function") {
      (this._callbacks[event] = this._callbacks[event] || []).push(callback);
    }
    return this;
  };

  Razorpay.prototype._emit = function (event, payload) {
    (this._callbacks[event] || []).forEach(function (callback) {
      callback(payload);
    });
  };

  Razorpay.prototype.close = function () {
    if (this._overlay && this._overlay.parentNode) {
      this._overlay.parentNode.removeChild(this._overlay);
    }
    this._overlay = null;
  };

  Razorpay.prototype._method = function () {
    var checked = this._overlay && this._overlay.querySelector("input[name='razorpay-fake-method']:checked");
    return checked ? checked.value : "card";
  };

  Razorpay.prototype._setBusy = function (busy) {
    this._busy = busy;
    if (!this._overlay) {
      return;
    }
    Array.prototype.forEach.call(this._overlay.querySelectorAll("button"), function (b) {
      b.disabled = busy;
      b.setAttribute("aria-disabled", busy ? "true" : "false");
    });
  };

  Razorpay.prototype._say = function (message) {
    if (this._status) {
      this._status.textContent = message;
    }
  };

  Razorpay.prototype._submit = function (outcome) {
    var self = this;
    var opts = this.options;
    if (this._busy) {
      return;
    }
    this._setBusy(true);
    this._say(outcome === "failed" ? "Failing payment\u2026" : "Processing payment\u2026");
    var prefill = opts.prefill || {};
    fetch(FAKE_ORIGIN + "/_fake/pay", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        order_id: opts.order_id,
        method: this._method(),
        outcome: outcome,
        email: prefill.email || null,
        contact: prefill.contact || null,
      }),
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        self._setBusy(false);
        var data = result.data || {};
        if (!result.ok) {
          var err = (data.error && data.error.description) || "Payment could not be processed";
          self._say(err);
          return;
        }
        if (outcome === "failed") {
          var p = data.payment || {};
          self._say(p.error_description || "Payment failed");
          self._emit("payment.failed", {
            error: {
              code: p.error_code,
              description: p.error_description,
              source: p.error_source,
              step: p.error_step,
              reason: p.error_reason,
              metadata: { order_id: data.razorpay_order_id, payment_id: data.razorpay_payment_id },
            },
          });
          return;
        }
        self.close();
        if (typeof opts.handler === "function") {
          opts.handler({
            razorpay_payment_id: data.razorpay_payment_id,
            razorpay_order_id: data.razorpay_order_id,
            razorpay_signature: data.razorpay_signature,
          });
        }
      })
      .catch(function (error) {
        self._setBusy(false);
        self._say("Network error: " + (error && error.message ? error.message : String(error)));
      });
  };

  Razorpay.prototype._dismiss = function () {
    if (this._busy) {
      return;
    }
    this.close();
    var modal = this.options.modal || {};
    if (typeof modal.ondismiss === "function") {
      modal.ondismiss();
    }
  };

  Razorpay.prototype.open = function () {
    var self = this;
    var opts = this.options;
    if (this._overlay) {
      return this;
    }
    counter += 1;
    var titleId = "razorpay-fake-title-" + counter;

    var overlay = el("div", {
      position: "fixed",
      top: "0",
      left: "0",
      right: "0",
      bottom: "0",
      background: "rgba(0, 0, 0, 0.65)",
      display: "flex",
      alignItems: "center",
      justifyContent: "center",
      zIndex: "2147483647",
      padding: "8px",
      boxSizing: "border-box",
      overflowY: "auto",
    });
    overlay.id = "razorpay-fake-overlay";

    var dialog = el("div", {
      background: "#ffffff",
      color: "#1a1a1a",
      width: "100%",
      maxWidth: "360px",
      maxHeight: "100%",
      overflowY: "auto",
      boxSizing: "border-box",
      padding: "16px",
      borderRadius: "8px",
      fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      fontSize: "16px",
      lineHeight: "1.4",
    });
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", titleId);

    var title = el("h2", { margin: "0 0 8px", fontSize: "20px", color: "#1a1a1a" },
      "Razorpay test checkout");
    title.id = titleId;
    dialog.appendChild(title);

    if (opts.name) {
      dialog.appendChild(el("p", { margin: "0 0 4px", fontWeight: "600" }, String(opts.name)));
    }
    if (opts.description) {
      dialog.appendChild(el("p", { margin: "0 0 4px", color: "#333333" }, String(opts.description)));
    }
    var amountText = formatAmount(opts.amount, opts.currency);
    dialog.appendChild(el("p", { margin: "0 0 12px", fontSize: "18px", fontWeight: "700" },
      amountText));

    var fieldset = el("fieldset", {
      border: "1px solid #555555",
      borderRadius: "6px",
      margin: "0 0 8px",
      padding: "8px 12px",
    });
    fieldset.appendChild(el("legend", { padding: "0 4px", fontWeight: "600" }, "Payment method"));
    var group = el("div", {});
    group.setAttribute("role", "radiogroup");
    METHODS.forEach(function (pair, index) {
      var id = "razorpay-fake-method-" + pair[0] + "-" + counter;
      var row = el("div", { display: "flex", alignItems: "center", minHeight: "32px" });
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "razorpay-fake-method";
      input.value = pair[0];
      input.id = id;
      input.checked = index === 0;
      input.style.width = "20px";
      input.style.height = "20px";
      input.style.margin = "0 8px 0 0";
      var label = el("label", { cursor: "pointer" }, pair[1]);
      label.htmlFor = id;
      row.appendChild(input);
      row.appendChild(label);
      group.appendChild(row);
    });
    fieldset.appendChild(group);
    dialog.appendChild(fieldset);

    var status = el("p", { minHeight: "1.4em", margin: "4px 0", color: "#a40000" });
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    this._status = status;
    dialog.appendChild(status);

    var pay = button("razorpay-fake-pay", "Pay " + amountText, true, false);
    var fail = button("razorpay-fake-fail", "Fail payment", false, true);
    var cancel = button("razorpay-fake-cancel", "Cancel", false, false);
    pay.addEventListener("click", function () { self._submit("captured"); });
    fail.addEventListener("click", function () { self._submit("failed"); });
    cancel.addEventListener("click", function () { self._dismiss(); });
    dialog.appendChild(pay);
    dialog.appendChild(fail);
    dialog.appendChild(cancel);

    overlay.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        self._dismiss();
      }
    });

    overlay.appendChild(dialog);
    document.body.appendChild(overlay);
    this._overlay = overlay;
    pay.focus();
    return this;
  };

  window.Razorpay = Razorpay;
})();
