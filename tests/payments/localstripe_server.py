"""localstripe (a stateful fake Stripe server) run in-process for the payment tests.

localstripe's CLI binds every interface and keeps its state in ``/tmp/localstripe.pickle``.
Here a copy of its aiohttp ``app`` runs on 127.0.0.1 (an ephemeral port) in a thread with its own event
loop, and its store is pickled into a private temporary directory instead. Its state is
module-global, so one server runs per process at a time.

Besides the Stripe API it has two configuration routes, wrapped below:
``POST /_config/webhooks/{id}`` (url, secret, events: it then POSTs signed events there, one
second after they happen) and ``DELETE /_config/data`` (forget every object). Webhook
endpoints cannot be removed over HTTP; :meth:`LocalStripe.unregister_webhook` does it
in-process.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import shutil
import tempfile
import threading
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from localstripe import resources, webhooks

with warnings.catch_warnings():
    # Its module-level routes use plain functions: "Bare functions are deprecated".
    warnings.simplefilter("ignore", DeprecationWarning)
    from localstripe import server as ls_server

_RUNNING = threading.Lock()  # localstripe's store and webhooks are module globals


# localstripe's Stripe.js has no Payment Request Button. This adds one as Stripe documents
# it (stripe.paymentRequest(options) with canMakePayment(), on("paymentmethod"), show(); an
# elements().create("paymentRequestButton", {paymentRequest}) that mounts a button): a
# browser "with Google Pay" whose sheet returns localstripe's test card pm_card_visa, and
# whose complete(status) is recorded in window.__walletCompleted.
WALLET_JS = """
(function () {
  var base = Stripe;
  Stripe = function (key) {
    var stripe = base(key);
    var elements = stripe.elements;
    stripe.paymentRequest = function (options) {
      var handlers = {};
      return {
        options: options,
        canMakePayment: function () {
          return Promise.resolve({ googlePay: true, applePay: false });
        },
        on: function (name, handler) { handlers[name] = handler; },
        show: function () {
          var handler = handlers.paymentmethod;
          if (handler) {
            handler({ paymentMethod: { id: "pm_card_visa" }, walletName: "googlePay",
                      complete: function (status) { window.__walletCompleted = status; } });
          }
        },
      };
    };
    stripe.elements = function () {
      var group = elements();
      var create = group.create;
      group.create = function (type, options) {
        if (type !== "paymentRequestButton") { return create.call(this, type, options); }
        return {
          mount: function (target) {
            var host = typeof target === "string" ? document.querySelector(target) : target;
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = "Google Pay";
            button.style.width = "100%";
            button.style.minHeight = "44px";
            button.style.background = "#000";
            button.style.color = "#fff";
            button.style.border = "0";
            button.style.borderRadius = "4px";
            button.addEventListener("click", function () { options.paymentRequest.show(); });
            host.appendChild(button);
          },
          destroy: function () {},
        };
      };
      return group;
    };
    return stripe;
  };
})();
"""


async def _stripe_js(request: web.Request) -> web.Response:
    source = Path(ls_server.__file__).with_name("localstripe-v3.js").read_text()
    return web.Response(text=source + WALLET_JS, content_type="application/javascript")


def _fresh_app() -> web.Application:
    """A copy of localstripe's ``app``: an aiohttp Application is bound to its first loop."""
    source = ls_server.app
    app = web.Application(middlewares=list(source.middlewares))
    app.on_response_prepare.append(ls_server.add_cors_headers)
    app.router.add_get("/js.stripe.com/v3/", _stripe_js)  # before localstripe's own
    for route in source.router.routes():  # registration order: its extra routes come first
        if route.resource is not None:
            app.router.add_route(route.method, route.resource.canonical, _async(route.handler))
    return app


def _async(handler: Any) -> Any:
    """localstripe's GET handlers are plain functions, which aiohttp deprecates."""
    if asyncio.iscoroutinefunction(handler):
        return handler

    async def wrapped(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = handler(request)
        return response

    return wrapped


class LocalStripe:
    """A running localstripe; ``base_url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pickle_path = data_dir / "localstripe.pickle"
        self.base_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._saved: dict[str, Any] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        if not _RUNNING.acquire(blocking=False):
            raise RuntimeError("a localstripe server already runs in this process")
        try:
            self._redirect_persistence()
            resources.store.clear()
            webhooks._webhooks.clear()
            loop = asyncio.new_event_loop()
            self._loop = loop
            ready = threading.Event()
            failure: list[BaseException] = []

            def run() -> None:
                asyncio.set_event_loop(loop)
                try:
                    loop.run_until_complete(self._serve())
                except BaseException as exc:  # reported to start()
                    failure.append(exc)
                    ready.set()
                    return
                ready.set()
                loop.run_forever()

            self._thread = threading.Thread(target=run, name="localstripe", daemon=True)
            self._thread.start()
            if not ready.wait(timeout):
                raise TimeoutError(f"localstripe did not start within {timeout} s")
            if failure:
                raise RuntimeError("localstripe failed to start") from failure[0]
        except BaseException:
            self.stop()
            raise

    async def _serve(self) -> None:
        runner = web.AppRunner(_fresh_app(), access_log=None, handle_signals=False)
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, host="127.0.0.1", port=0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    def stop(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        try:
            if loop is not None and thread is not None and thread.is_alive():
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                try:
                    future.result(timeout)
                finally:
                    loop.call_soon_threadsafe(loop.stop)
                    thread.join(timeout)
            if loop is not None and not loop.is_running():
                loop.close()
        finally:
            self._loop = self._thread = self._runner = None
            resources.store.clear()
            webhooks._webhooks.clear()
            self._restore_persistence()
            if _RUNNING.locked():
                _RUNNING.release()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        # Webhook deliveries still waiting (localstripe sleeps 1 s before sending).
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _redirect_persistence(self) -> None:
        """Point Store's pickle file (hard-coded /tmp/localstripe.pickle) into data_dir."""
        path = self.pickle_path
        store_cls = resources.Store
        self._saved = {
            "dump_to_disk": store_cls.__dict__["dump_to_disk"],
            "try_load_from_disk": store_cls.__dict__["try_load_from_disk"],
        }

        def dump_to_disk(store: resources.Store) -> None:
            with open(path, "wb") as f:
                pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)

        def try_load_from_disk(store: resources.Store) -> None:
            if path.exists():
                with open(path, "rb") as f:
                    old = pickle.load(f)
                store.clear()
                store.update(old)

        # On the class, not the instance: the instance is pickled with its __dict__.
        store_cls.dump_to_disk = dump_to_disk
        store_cls.try_load_from_disk = try_load_from_disk

    def _restore_persistence(self) -> None:
        for name, original in self._saved.items():
            setattr(resources.Store, name, original)
        self._saved = {}

    # -- configuration routes ------------------------------------------------------------

    def _post_config(self, method: str, path: str, payload: dict[str, Any] | None) -> None:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise RuntimeError(f"localstripe {method} {path} answered {response.status}")

    def register_webhook(
        self, endpoint_id: str, url: str, secret: str, events: list[str] | None = None
    ) -> None:
        """Have localstripe POST events (all, or those listed) signed with ``secret`` to url."""
        payload: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            payload["events"] = events
        self._post_config("POST", f"/_config/webhooks/{endpoint_id}", payload)

    def unregister_webhook(self, endpoint_id: str, timeout: float = 10.0) -> None:
        """Remove an endpoint (no HTTP route for this): done on the server's loop."""
        if self._loop is None:
            return

        async def remove() -> None:
            webhooks._webhooks.pop(endpoint_id, None)

        asyncio.run_coroutine_threadsafe(remove(), self._loop).result(timeout)

    def flush(self) -> None:
        """Forget every Stripe object (``DELETE /_config/data``); webhooks stay registered."""
        self._post_config("DELETE", "/_config/data", None)


@contextmanager
def running_localstripe(timeout: float = 10.0) -> Iterator[LocalStripe]:
    """Start localstripe on 127.0.0.1 with its state in a temporary directory; stop it after."""
    data_dir = Path(tempfile.mkdtemp(prefix="localstripe-"))
    server = LocalStripe(data_dir)
    try:
        server.start(timeout)
        yield server
    finally:
        server.stop(timeout)
        shutil.rmtree(data_dir, ignore_errors=True)
