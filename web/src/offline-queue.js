// The scanner's memory, in IndexedDB so that a reload or a closed tab loses nothing:
// - rosters:   per activity, the list the phone decides from when offline
//              (code hashes, never the codes themselves);
// - queue:     scans made without network, each with its client nonce and time,
//              in the order they were made;
// - conflicts: uploaded scans the server answered differently from the phone.
// upload() sends the queue to POST .../scans/batch (at most 500 a call) and removes
// only what the server answered; a replayed nonce is a no-op on the server, so a
// batch whose answer got lost can simply be sent again.
// Each queued scan names the account that made it (operator_id): list() and upload()
// take only the logged-in operator's, so a phone passed to someone else after logging out
// never sends the first person's scans as the second's; they wait for their own operator.
(function () {
  "use strict";

  var DB_NAME = "wushe-scanner"; // app.js clears its rosters and conflicts on logging out
  var VERSION = 1;
  var BATCH = 500;
  var opening = null;
  var uploading = null;

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        db.createObjectStore("rosters", { keyPath: "activity_id" });
        var queue = db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        queue.createIndex("nonce", "nonce", { unique: true });
        queue.createIndex("activity_id", "activity_id");
        var conflicts = db.createObjectStore("conflicts", { keyPath: "nonce" });
        conflicts.createIndex("activity_id", "activity_id");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
      req.onblocked = function () { reject(new Error("IndexedDB blocked")); };
    });
    opening.catch(function () { opening = null; });
    return opening;
  }

  // Run fn(stores) in one transaction; resolves with fn's value once it is committed.
  function run(names, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var stores = {};
        names.forEach(function (n) { stores[n] = tx.objectStore(n); });
        var value;
        Promise.resolve(fn(stores)).then(function (v) { value = v; }, reject);
        tx.oncomplete = function () { resolve(value); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("aborted")); };
      });
    });
  }

  function saveRoster(activityId, rows) {
    return run(["rosters"], "readwrite", function (s) {
      s.rosters.put({ activity_id: activityId, rows: rows, saved_at: new Date().toISOString() });
    });
  }

  function getRoster(activityId) {
    return run(["rosters"], "readonly", function (s) {
      return promised(s.rosters.get(activityId));
    });
  }

  function add(item) {
    return run(["queue"], "readwrite", function (s) { s.queue.add(item); });
  }

  // The operator's scans, oldest first; all activities unless one is named.
  function list(operatorId, activityId) {
    return run(["queue"], "readonly", function (s) {
      var req = activityId == null ? s.queue.getAll()
        : s.queue.index("activity_id").getAll(activityId);
      return promised(req).then(function (items) {
        return items.filter(function (item) { return item.operator_id === operatorId; })
          .sort(function (a, b) { return a.seq - b.seq; });
      });
    });
  }

  // Scans queued by a build that did not yet name their operator: the operator who opens
  // that activity's scanner takes them (made at its door). Not for other activities, where
  // an operator without the right would have them refused, and so lose them.
  function adopt(activityId, operatorId) {
    return run(["queue"], "readwrite", function (s) {
      return promised(s.queue.index("activity_id").getAll(activityId)).then(function (items) {
        items.forEach(function (item) {
          if (item.operator_id == null) {
            item.operator_id = operatorId;
            s.queue.put(item);
          }
        });
      });
    });
  }

  function remove(nonces) {
    var wanted = new Set(nonces);
    return run(["queue"], "readwrite", function (s) {
      return promised(s.queue.getAll()).then(function (items) {
        items.forEach(function (item) { if (wanted.has(item.nonce)) s.queue.delete(item.seq); });
      });
    });
  }

  function conflicts(activityId) {
    return run(["conflicts"], "readonly", function (s) {
      return promised(s.conflicts.index("activity_id").getAll(activityId));
    }).then(function (items) {
      return items.sort(function (a, b) { return a.client_time < b.client_time ? -1 : 1; });
    });
  }

  function clearConflicts(activityId) {
    return run(["conflicts"], "readwrite", function (s) {
      return promised(s.conflicts.index("activity_id").getAllKeys(activityId)).then(function (keys) {
        keys.forEach(function (k) { s.conflicts.delete(k); });
      });
    });
  }

  // The phone's answer and the server's agree when both admitted, or when the
  // server's refusal is the one the phone gave (a code the phone did not know
  // may be refused for any reason).
  function agrees(local, server) {
    if (local === "queued") return server === "ok";
    if (server === "ok") return false;
    return local === "not_on_roster" || local === server;
  }

  // What a queued item sends: exactly the fields the batch endpoint takes.
  function wire(item) {
    var out = { nonce: item.nonce, direction: item.direction, client_time: item.client_time };
    if (item.device) out.device = item.device;
    if (item.code != null) out.code = item.code;
    if (item.user_id != null) out.user_id = item.user_id;
    return out;
  }

  function failure(kind, message) {
    var err = new Error(message || kind);
    err.kind = kind; // "network" (try again later) or "refused" (a person must look)
    return err;
  }

  // A batch not answered within this (and a tenth of a second more for each scan in it:
  // 500 over a slow line take longer) is given up as a network failure and tried again
  // later: a request that hangs must not leave the banner on "uploading" for good.
  var BATCH_TIMEOUT_MS = 30000;
  var PER_SCAN_MS = 100;

  function postBatch(url, csrf, items) {
    var abort = window.AbortController ? new AbortController() : null;
    var timer = abort ? setTimeout(function () { abort.abort(); },
                                   BATCH_TIMEOUT_MS + PER_SCAN_MS * items.length) : null;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      signal: abort ? abort.signal : undefined,
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrf },
      body: JSON.stringify({ scans: items.map(wire) }),
    }).catch(function () { throw failure("network"); }).then(function (resp) {
      if (resp.status >= 500) throw failure("network");
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (!resp.ok) throw failure("refused", body.message || String(resp.status));
        return body.results || [];
      });
    }).finally(function () { clearTimeout(timer); });
  }

  // Upload the operator's queued scans, oldest first, activity by activity.
  // opts: { operatorId, batchUrl(activityId) -> url, csrf() -> token }
  // Resolves { uploaded, conflicts: [...], remaining, error: null | Error }.
  function upload(opts) {
    if (uploading) return uploading;
    var summary = { uploaded: 0, conflicts: [], remaining: 0, error: null };
    uploading = list(opts.operatorId).then(function (items) {
      var chunks = [];
      var byActivity = {};
      items.forEach(function (item) {
        (byActivity[item.activity_id] = byActivity[item.activity_id] || []).push(item);
      });
      Object.keys(byActivity).forEach(function (id) {
        var all = byActivity[id];
        for (var i = 0; i < all.length; i += BATCH) {
          chunks.push({ activityId: Number(id), items: all.slice(i, i + BATCH) });
        }
      });
      return chunks.reduce(function (prev, chunk) {
        return prev.then(function () {
          return postBatch(opts.batchUrl(chunk.activityId), opts.csrf(), chunk.items)
            .then(function (results) {
              var byNonce = {};
              results.forEach(function (r) { byNonce[r.nonce] = r; });
              var done = [];
              var found = [];
              chunk.items.forEach(function (item) {
                var answer = byNonce[item.nonce];
                if (!answer) return;
                done.push(item.nonce);
                if (!agrees(item.local_result, answer.result)) {
                  found.push({ nonce: item.nonce, activity_id: item.activity_id,
                               client_time: item.client_time, direction: item.direction,
                               local_result: item.local_result, result: answer.result,
                               message: answer.message,
                               person: answer.person || item.person || null });
                }
              });
              return run(["conflicts"], "readwrite", function (s) {
                found.forEach(function (c) { s.conflicts.put(c); });
              }).then(function () { return remove(done); }).then(function () {
                summary.uploaded += done.length;
                summary.conflicts = summary.conflicts.concat(found);
              });
            });
        });
      }, Promise.resolve());
    }).catch(function (err) {
      summary.error = err.kind ? err : failure("network", String(err));
    }).then(function () {
      return list(opts.operatorId).then(function (left) {
        summary.remaining = left.length;
        return summary;
      });
    }).finally(function () { uploading = null; });
    return uploading;
  }

  window.WusheOfflineQueue = {
    open: open, saveRoster: saveRoster, getRoster: getRoster, add: add, list: list,
    remove: remove, upload: upload, conflicts: conflicts, clearConflicts: clearConflicts,
    adopt: adopt,
    agrees: agrees,
  };
})();
