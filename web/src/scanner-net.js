// The scanner's plumbing, with no state of its own: ids, the code hash the roster
// carries, and fetch with a timeout and the CSRF token. Used by scanner.js.
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return [h.slice(0, 4), h.slice(4, 6), h.slice(6, 8), h.slice(8, 10), h.slice(10)]
      .map(function (p) { return p.join(""); }).join("-");
  }

  var memoryDevice = null;
  function deviceId() {
    var key = "wushe-scanner-device";
    try {
      var id = localStorage.getItem(key);
      if (!id) { id = "web-" + uuid(); localStorage.setItem(key, id); }
      return id;
    } catch (e) { // private mode: one id for this page's life
      return memoryDevice || (memoryDevice = "web-" + uuid());
    }
  }

  // What the roster carries instead of codes: the first 20 hex of SHA-256.
  function codeHash(text) {
    if (!(window.crypto && crypto.subtle)) return Promise.resolve(null);
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buf) {
      return Array.prototype.map.call(new Uint8Array(buf), function (x) {
        return (x + 0x100).toString(16).slice(1);
      }).join("").slice(0, 20);
    });
  }

  function request(url, options, ms) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, ms || 8000) : null;
    var opts = Object.assign({ credentials: "same-origin" }, options || {});
    opts.headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    if (ctrl) opts.signal = ctrl.signal;
    return fetch(url, opts).finally(function () { if (timer) clearTimeout(timer); });
  }

  function postJSON(url, body) {
    return request(url, { method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() } });
  }

  window.WusheScannerNet = {
    csrf: csrf, uuid: uuid, deviceId: deviceId, codeHash: codeHash,
    request: request, postJSON: postJSON,
  };
})();
