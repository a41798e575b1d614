// Entering a paper sign-in sheet by scanning its rows' QR codes: each code read ticks
// that row's check-in or check-out box in the form, and the form is sent once, as one
// batch, like ticks typed by hand. The camera and decoder are the scanner's
// (scanner-camera.js). A code that is not a row of this sheet is refused on the spot
// (the server checks every row again when the batch arrives).
// Texts come translated from the page (#paper-scan-config).
(function () {
  "use strict";

  var root = document.getElementById("paper-scan");
  var configEl = document.getElementById("paper-scan-config");
  if (!root || !configEl || !window.WusheCamera) return;
  var cfg = JSON.parse(configEl.textContent);
  var video = document.getElementById("paper-scan-video");
  var status = document.getElementById("paper-scan-status");
  var startBtn = document.getElementById("paper-scan-start");
  var direction = "entry";
  var recent = {};
  var started = false;

  function say(text, ok) {
    status.textContent = text;
    status.dataset.ok = ok ? "1" : "0";
  }

  function rowOf(text) {
    var rows = document.querySelectorAll("tr[data-token]");
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].dataset.token === text) return rows[i];
    }
    return null;
  }

  function onText(text) {
    var now = Date.now();
    if (!text || (recent[text] || 0) > now) return;
    recent[text] = now + 2500;
    var row = rowOf(text.trim());
    if (!row) {
      window.WusheCamera.feedback(false);
      say(text.indexOf("WSP1:") === 0 ? cfg.text.personal : cfg.text.not_this_sheet, false);
      return;
    }
    var box = row.querySelector('input[type="checkbox"][name="' + direction + '"]');
    box.checked = true;
    row.classList.add("paper-entry__row--scanned");
    window.WusheCamera.feedback(true);
    say(cfg.text[direction].replace("{name}", row.dataset.name), true);
  }

  function setDirection(d) {
    direction = d;
    root.querySelectorAll("[data-direction]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.direction === d));
    });
  }

  root.querySelectorAll("[data-direction]").forEach(function (b) {
    b.addEventListener("click", function () { setDirection(b.dataset.direction); });
  });
  startBtn.addEventListener("click", function () {
    window.WusheCamera.unlockAudio();
    if (started) return;
    started = true;
    video.hidden = false;
    startBtn.disabled = true;
    window.WusheCamera.start({
      video: video, ponyfill: cfg.urls.ponyfill, wasm: cfg.urls.wasm,
      ready: function () { return true; },
      onText: onText,
      onDecoder: function (name) { root.dataset.decoder = name; },
      onCamera: function (on) {
        root.dataset.camera = on ? "on" : "off";
        if (!on) say(cfg.text.no_camera, false);
      },
    });
  });
  setDirection("entry");
  root.dataset.ready = "1";
})();
