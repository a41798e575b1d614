// The organiser's scanner page: QR text (scanner-camera.js) → POST .../scans → a
// full-screen green or red answer, with a beep and a buzz.
// Without network it decides from the roster cached in IndexedDB, queues the scan
// (offline-queue.js) and uploads the queue when the network is back.
// Texts come translated from the page (#scanner-config); nothing here is in a language.
// Helpers live in scanner-net.js, the roster and the queue's upload in scanner-sync.js,
// what is drawn on screen in scanner-ui.js.
(function () {
  "use strict";

  var root = document.getElementById("scanner");
  var configEl = document.getElementById("scanner-config");
  if (!root || !configEl) return;
  var cfg = JSON.parse(configEl.textContent);
  var Q = window.WusheOfflineQueue;
  var SAME_CODE_MS = 3000;
  var REFRESH_MS = 15000;
  var ROSTER_EVERY = 8;

  var $ = function (id) { return document.getElementById(id); };
  var el = {
    video: $("scanner-video"), cameraMsg: $("scanner-camera-msg"),
    signedUp: $("count-signed-up"), present: $("count-present"), left: $("count-left"),
    banner: $("scanner-banner"), bannerText: $("scanner-banner-text"), retry: $("scanner-retry"),
    conflicts: $("scanner-conflicts"), conflictList: $("scanner-conflict-list"),
    conflictsClear: $("scanner-conflicts-clear"),
    search: $("scanner-search"), q: $("scanner-q"), results: $("scanner-results"),
    overlay: $("scanner-overlay"), verdict: $("scanner-verdict"), name: $("scanner-name"),
    phone: $("scanner-phone"), message: $("scanner-message"), walkin: $("scanner-walkin"),
  };

  var state = {
    direction: "entry",
    rows: null, byId: {}, byHash: {},
    cursor: null,         // the last roster answer's cursor: the next asks what changed
    serverCounts: null,
    pending: [],          // this activity's queued scans, oldest first
    netDown: false,       // a request failed although the browser says it is online
    uploading: false,
    uploadError: null,
    busy: false,          // a scan is being decided
    recent: {},           // scanned text -> ignore until (ms)
    lastText: null,
    walkIn: null,         // the scan a "Walk-in: admit" tap would resend
    overlayTimer: null,
    fromSearch: false,    // the answer on screen is for a name picked from the search
    answerFocused: false, // the answer took the focus (scanner-ui.js gives it back)
  };

  var N = window.WusheScannerNet;
  var csrf = N.csrf, uuid = N.uuid, deviceId = N.deviceId, codeHash = N.codeHash;
  var request = N.request, postJSON = N.postJSON;

  function online() { return navigator.onLine !== false && !state.netDown; }

  // the roster and the queue (scanner-sync.js) draw through the ui, made after them
  var ui = null;
  var sync = window.WusheScannerSync.create({
    root: root, cfg: cfg, state: state, Q: Q, request: request, csrf: csrf,
    refreshMs: REFRESH_MS,
    renderCounts: function () { ui.renderCounts(); },
    renderBanner: function () { ui.renderBanner(); },
    renderConflicts: function () { return ui.renderConflicts(); },
  });
  var presenceOf = sync.presenceOf, loadState = sync.loadState, loadCounts = sync.loadCounts;
  var refreshSoon = sync.refreshSoon, refreshPending = sync.refreshPending;
  var upload = sync.upload;

  ui = window.WusheScannerUI.create({
    root: root, cfg: cfg, el: el, state: state, Q: Q,
    presenceOf: presenceOf, online: online, sameCodeMs: SAME_CODE_MS,
  });
  var t = ui.t, renderBanner = ui.renderBanner;
  var renderConflicts = ui.renderConflicts, show = ui.show, hide = ui.hide;
  var renderResults = ui.renderResults;

  // ---- deciding a scan -----------------------------------------------------

  // the server's window (services.window_of), on the phone's clock
  function outsideWindow(direction, at) {
    var w = cfg.window;
    if (at < Date.parse(w.opens)) return "too_early";
    var closes = Date.parse(direction === "exit" ? w.exitCloses : w.entryCloses);
    return at > closes ? "too_late" : null;
  }

  function decideLocally(row, direction) {
    var outside = outsideWindow(direction, Date.now());
    if (outside) return outside;
    if (!row) return "not_on_roster";
    if (row.status !== "confirmed") return "waitlisted";
    var p = presenceOf(row);
    if (direction === "entry" && p === "in") return "already_checked_in";
    if (direction === "exit" && p === "out") return "already_checked_out";
    if (direction === "exit" && p !== "in") return "not_checked_in";
    return "queued";
  }

  function queueOffline(scan, clientTime) {
    var lookup = scan.user_id != null ? Promise.resolve(state.byId[scan.user_id] || null)
      : codeHash(scan.code).then(function (h) { return (h && state.byHash[h]) || null; });
    return lookup.then(function (row) {
      var local = decideLocally(row, scan.direction);
      var item = {
        activity_id: cfg.activityId, operator_id: cfg.operatorId, nonce: scan.nonce,
        direction: scan.direction,
        device: scan.device, client_time: clientTime, local_result: local,
        roster_user_id: row ? row.user_id : null,
        person: row ? { name: row.name, phone: row.phone } : null,
      };
      if (scan.code != null) item.code = scan.code;
      if (scan.user_id != null) item.user_id = scan.user_id;
      return Q.add(item).then(refreshPending).then(function () {
        show({ ok: local === "queued", offline: true, result: local, person: item.person,
               direction: scan.direction,
               message: local === "queued" ? t("queued") : t(local) });
      });
    });
  }

  function submit(body) {
    if (state.busy) return Promise.resolve();
    state.busy = true;
    var scan = Object.assign({ direction: state.direction, nonce: uuid(), device: deviceId() },
                             body);
    var clientTime = new Date().toISOString();
    var done;
    if (navigator.onLine === false) {
      done = queueOffline(scan, clientTime);
    } else {
      done = postJSON(cfg.urls.scan, scan).then(function (resp) {
        if (resp.status >= 500) throw new Error("server " + resp.status);
        state.netDown = false;
        return resp.json().catch(function () { return {}; }).then(function (data) {
          if (!resp.ok) {
            show({ ok: false, result: data.code, message: data.message || t("network") });
            return;
          }
          ui.showAnswer(scan, data);
          refreshSoon();
          if (state.pending.length) upload();
        });
      }, function () {
        // no answer: the same nonce goes in the queue, so if the server did get it,
        // the upload is answered with the original scan and changes nothing
        state.netDown = true;
        return queueOffline(scan, clientTime);
      }).catch(function () { return queueOffline(scan, clientTime); });
    }
    return done.catch(function () {
      show({ ok: false, result: "network", message: t("network") });
    }).finally(function () { state.busy = false; });
  }

  function onText(text) {
    var now = Date.now();
    if (!text || state.busy || !el.overlay.hidden || (state.recent[text] || 0) > now) return;
    state.recent[text] = now + SAME_CODE_MS;
    state.lastText = text;
    var prefix = cfg.personalPrefix;  // codes.PERSONAL_PREFIX
    var token = text.indexOf(prefix) === 0 ? text.slice(prefix.length).trim() : "";
    if (token.length < cfg.tokenLength[0] || token.length > cfg.tokenLength[1]) {
      // not a Wushe personal code (a payment code, a poster, a text too long to be one,
      // which offline would have been queued and refused with the whole batch): say so,
      // do not record it
      state.recent[text] = now + 10000;
      show({ ok: false, result: "invalid_code", message: t("invalid_code") });
      return;
    }
    submit({ code: text });
  }

  // ---- camera --------------------------------------------------------------

  function startCamera() {
    window.WusheCamera.start({
      video: el.video,
      ponyfill: cfg.urls.ponyfill,
      wasm: cfg.urls.wasm,
      // decode only while nothing is on screen and no scan is being decided
      ready: function () { return !state.busy && el.overlay.hidden; },
      onText: onText,
      onDecoder: function (name) { root.dataset.decoder = name; },
      onCamera: function (on) {
        root.dataset.camera = on ? "on" : "off";
        if (!on) {
          el.cameraMsg.textContent = t("no_camera");
          el.cameraMsg.hidden = false;
        }
      },
    });
  }

  // ---- search --------------------------------------------------------------

  var searchSeq = 0;
  var searchTimer = null;

  function search() {
    var q = el.q.value.trim();
    var seq = ++searchSeq;
    if (!q) { el.results.textContent = ""; return Promise.resolve(); }
    var remote = !online() ? Promise.resolve(null)
      : request(cfg.urls.search + "?q=" + encodeURIComponent(q), {}, 6000).then(function (r) {
        return r.ok ? r.json() : null;
      }).catch(function () { return null; });
    return remote.then(function (rows) {
      if (seq !== searchSeq) return;
      rows = rows || ui.localSearch(q);
      renderResults(rows);
      var phone = ui.fullPhone(q);
      if (!rows.length && phone && online()) {
        ui.offerPhone(phone, function () { submit({ phone: phone }); });
      }
    });
  }

  // ---- wiring --------------------------------------------------------------

  function setDirection(direction) {
    state.direction = direction;
    root.dataset.direction = direction;
    document.querySelectorAll(".scanner__dir").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.direction === direction));
    });
  }

  function bind() {
    // browsers let a page make sound only after a tap
    document.addEventListener("pointerdown", window.WusheCamera.unlockAudio);
    document.addEventListener("keydown", window.WusheCamera.unlockAudio);
    document.querySelectorAll(".scanner__dir").forEach(function (b) {
      b.addEventListener("click", function () { setDirection(b.dataset.direction); });
    });
    el.overlay.addEventListener("click", function (evt) {
      if (evt.target !== el.walkin) hide();
    });
    el.walkin.addEventListener("click", function () {
      var again = state.walkIn;
      hide();
      if (!again) return;
      var body = { walk_in: true, direction: "entry" };
      if (again.code != null) body.code = again.code;
      if (again.phone != null) body.phone = again.phone;
      submit(body);
    });
    el.search.addEventListener("submit", function (evt) { evt.preventDefault(); search(); });
    el.q.addEventListener("input", function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 250);
    });
    el.results.addEventListener("click", function (evt) {
      var b = evt.target.closest(".scanner__person");
      if (!b) return;
      el.q.value = "";
      el.results.textContent = "";
      el.q.blur();
      state.fromSearch = true;
      submit({ user_id: Number(b.dataset.userId) });
    });
    el.retry.addEventListener("click", function () {
      state.netDown = false;
      Promise.resolve(sync.inflight()).then(upload); // after the one under way, if any
    });
    el.conflictsClear.addEventListener("click", function () {
      Q.clearConflicts(cfg.activityId).then(renderConflicts);
    });
    window.addEventListener("online", function () {
      state.netDown = false;
      renderBanner();
      loadState().then(upload);
    });
    window.addEventListener("offline", renderBanner);
  }

  function start() {
    bind();
    setDirection("entry");
    startCamera();
    var adopted = Q.adopt(cfg.activityId, cfg.operatorId).catch(function () {});
    adopted.then(refreshPending).then(renderConflicts).then(loadState).then(function () {
      root.dataset.ready = "1";
      return upload(); // scans left from an earlier visit go first
    });
    // counts every tick; the roster (for offline decisions) every ROSTER_EVERY ticks, and
    // then only what changed since the last fetch: a 5,000-person activity downloads its
    // list once, not every two minutes
    var tick = 0;
    setInterval(function () {
      tick += 1;
      var refresh = tick % ROSTER_EVERY === 0 || !online() ? loadState() : loadCounts();
      refresh.then(function () { if (state.pending.length && online() && !sync.retrying()) upload(); });
    }, REFRESH_MS);
  }

  start();
})();
