// The scanner's roster and queue, kept in step with the server: the roster (a delta since
// the last fetch, cached in IndexedDB for offline decisions), the counts, the presence this
// phone has admitted and not yet uploaded, and the upload of the queue (offline-queue.js).
// scanner.js owns the state and hands it over through create(); what is drawn is
// scanner-ui.js's, through ctx.renderCounts, ctx.renderBanner and ctx.renderConflicts.
(function () {
  "use strict";

  function create(ctx) {
    var root = ctx.root, cfg = ctx.cfg, state = ctx.state, Q = ctx.Q;
    var request = ctx.request, csrf = ctx.csrf, REFRESH_MS = ctx.refreshMs;
    function renderCounts() { ctx.renderCounts(); }
    function renderBanner() { ctx.renderBanner(); }
    function renderConflicts() { return ctx.renderConflicts(); }

    // ---- roster, presence and counts ----------------------------------------

    function setRoster(rows) {
      state.rows = rows;
      state.byId = {};
      state.byHash = {};
      rows.forEach(function (r) {
        state.byId[r.user_id] = r;
        if (r.code_hash) state.byHash[r.code_hash] = r;
      });
    }

    // A delta (data.full false): the rows changed since the cursor replace theirs (by
    // sign-up), the sign-ups in data.removed leave; a full answer replaces the list.
    function mergeRoster(data) {
      if (data.full || !state.rows) return data.roster;
      var bySignup = {};
      state.rows.forEach(function (r) { bySignup[r.signup_id] = r; });
      data.removed.forEach(function (id) { delete bySignup[id]; });
      data.roster.forEach(function (r) { bySignup[r.signup_id] = r; });
      return Object.keys(bySignup).map(function (id) { return bySignup[id]; });
    }

    function stateUrl() {
      if (state.cursor === null || !state.rows) return cfg.urls.state;
      return cfg.urls.state + (cfg.urls.state.indexOf("?") < 0 ? "?" : "&") +
        "since=" + encodeURIComponent(state.cursor);
    }

    // The roster's presence, moved on by what this phone admitted and has not uploaded.
    function presenceOf(row) {
      var p = row.presence || "none";
      state.pending.forEach(function (item) {
        if (item.roster_user_id === row.user_id && item.local_result === "queued") {
          p = item.direction === "entry" ? "in" : "out";
        }
      });
      return p;
    }

    function loadState() {
      // ask the server whenever the browser thinks it is online: a success ends netDown
      var fromServer = navigator.onLine === false ? Promise.reject(new Error("offline"))
        : request(stateUrl(), {}, 10000).then(function (resp) {
          if (!resp.ok) throw new Error(String(resp.status));
          return resp.json();
        });
      return fromServer.then(function (data) {
        state.netDown = false;
        var rows = mergeRoster(data);
        setRoster(rows);
        state.cursor = data.cursor;
        state.serverCounts = data.counts;
        root.dataset.roster = "server";
        root.dataset.rosterFetch = data.full ? "full" : "delta";
        return Q.saveRoster(cfg.activityId, rows).catch(function () {});
      }).catch(function () {
        if (state.rows) return null;
        return Q.getRoster(cfg.activityId).then(function (saved) {
          if (saved) { setRoster(saved.rows); root.dataset.roster = "saved"; }
        }).catch(function () {});
      }).then(function () { renderCounts(); renderBanner(); });
    }

    function loadCounts() {
      return request(cfg.urls.counts, {}, 6000).then(function (resp) {
        if (!resp.ok) throw new Error(String(resp.status));
        return resp.json();
      }).then(function (counts) {
        state.netDown = false;
        state.serverCounts = counts;
      }).catch(function () {}).then(function () { renderCounts(); renderBanner(); });
    }

    // After a scan: one roster fetch for a burst of scans, not one per scan.
    var refreshTimer = null;
    function refreshSoon() {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(loadState, 1200);
    }

    function refreshPending() {
      return Q.list(cfg.operatorId, cfg.activityId).then(function (items) {
        state.pending = items;
      }).catch(function () {}).then(function () { renderCounts(); renderBanner(); });
    }

    // ---- uploading the queue -------------------------------------------------

    // one upload at a time; after a batch is given up the next try is the timer's, not the
    // tick's, so the retry is offered in between
    var retryTimer = null;
    var inflight = null;
    function upload() {
      if (inflight) return inflight;
      clearTimeout(retryTimer);
      retryTimer = null;
      if (navigator.onLine === false) { renderBanner(); return Promise.resolve(); }
      inflight = Q.list(cfg.operatorId).then(function (all) {
        if (!all.length) return null;
        state.uploading = true;
        renderBanner();
        return Q.upload({
          operatorId: cfg.operatorId,
          batchUrl: function (id) { return cfg.urls.batch.replace("{id}", id); },
          csrf: csrf,
        }).then(function (summary) {
          state.uploading = false;
          var err = summary.error;
          state.netDown = !!(err && err.kind === "network");
          state.uploadError = err && err.kind === "refused" ? err.message : null;
          if (err && err.kind === "network") {
            retryTimer = setTimeout(function () { retryTimer = null; upload(); }, REFRESH_MS);
          }
          return refreshPending().then(renderConflicts).then(function () {
            return summary.uploaded ? loadState() : null;
          });
        });
      }).catch(function () { state.uploading = false; renderBanner(); })
        .then(function () { inflight = null; });
      return inflight;
    }

    return {
      presenceOf: presenceOf, loadState: loadState, loadCounts: loadCounts,
      refreshSoon: refreshSoon, refreshPending: refreshPending, upload: upload,
      inflight: function () { return inflight; },
      retrying: function () { return retryTimer !== null; },
    };
  }

  window.WusheScannerSync = { create: create };
})();
