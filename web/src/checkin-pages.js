// Small helpers for the check-in pages:
// - [data-wake-lock]: keep the screen on while a QR is shown or the scanner runs
//   (Screen Wake Lock API where the browser has it; it is released when the tab
//   is hidden, so ask again when it comes back).
// - form[data-geolocate]: fill hidden latitude/longitude from the browser if the
//   person allows it (WGS-84; the server converts to GCJ-02). Never blocks: the
//   form is sent with or without a position.
// - [data-print]: a button that prints the page (the poster); a listener here, since the
//   CSP refuses onclick="" attributes.
(function () {
  "use strict";

  function keepAwake() {
    if (!document.querySelector("[data-wake-lock]")) return;
    if (!("wakeLock" in navigator)) return;
    var lock = null;
    function request() {
      if (document.visibilityState !== "visible" || lock) return;
      navigator.wakeLock.request("screen").then(function (l) {
        lock = l;
        lock.addEventListener("release", function () { lock = null; });
      }).catch(function () { /* battery saver or no permission: the page still works */ });
    }
    document.addEventListener("visibilitychange", request);
    // some browsers grant it only after a tap
    document.addEventListener("click", request);
    request();
  }

  function geolocate(form) {
    var lat = form.querySelector("input[name=latitude]");
    var lng = form.querySelector("input[name=longitude]");
    var button = form.querySelector("button[type=submit]");
    var sent = false;
    form.addEventListener("submit", function (evt) {
      if (sent) { evt.preventDefault(); return; } // one tap, one check-in
      sent = true;
      if (button) button.setAttribute("aria-disabled", "true");
    });
    if (!lat || !lng || !("geolocation" in navigator)) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
    }, function () { /* refused or unavailable: recorded without a location */ },
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  function start() {
    keepAwake();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("form[data-geolocate]").forEach(geolocate);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
