// Wushe page glue: CSRF for htmx, which responses htmx swaps, success toasts,
// a dialog when the server or the network fails, and where the focus goes after a swap.
// Nothing else lives here.
(function () {
  "use strict";

  // Texts come from the server (data-* on <body>, translated by Babel);
  // the fallbacks cover pages that do not carry them.
  function text(key, zh, en) {
    var body = document.body;
    var value = body && body.dataset ? body.dataset[key] : "";
    if (value) return value;
    return /^zh/i.test(document.documentElement.lang || "zh") ? zh : en;
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // ---- toast (success only: errors get a dialog or a result page) ----------

  function toast(message, ms) {
    if (!message) return;
    var root = document.createElement("div");
    root.className = "wushe-toast";
    root.setAttribute("role", "status");
    root.setAttribute("aria-live", "polite");
    var box = document.createElement("div");
    box.className = "weui-toast";
    var icon = document.createElement("i");
    icon.className = "weui-icon-success-no-circle weui-icon_toast";
    icon.setAttribute("aria-hidden", "true");
    var p = document.createElement("p");
    p.className = "weui-toast__content";
    p.textContent = message;
    box.appendChild(icon);
    box.appendChild(p);
    root.appendChild(box);
    document.body.appendChild(root);
    window.setTimeout(function () { root.remove(); }, ms || 2000);
  }

  // ---- dialog --------------------------------------------------------------

  var dialogOpen = false;

  function dialog(message, title) {
    if (dialogOpen) return; // one failure, one dialog: not a stack of them
    dialogOpen = true;
    var opener = document.activeElement;
    var root = document.createElement("div");
    root.className = "wushe-dialog";
    root.setAttribute("role", "alertdialog");
    root.setAttribute("aria-modal", "true");
    var mask = document.createElement("div");
    mask.className = "weui-mask";
    var box = document.createElement("div");
    box.className = "weui-dialog";
    if (title) {
      var hd = document.createElement("div");
      hd.className = "weui-dialog__hd";
      var strong = document.createElement("strong");
      strong.className = "weui-dialog__title";
      strong.textContent = title;
      hd.appendChild(strong);
      box.appendChild(hd);
    }
    var bd = document.createElement("div");
    bd.className = "weui-dialog__bd";
    bd.textContent = message;
    var ft = document.createElement("div");
    ft.className = "weui-dialog__ft";
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "weui-dialog__btn weui-dialog__btn_primary";
    ok.textContent = text("msgOk", "知道了", "OK");
    ok.addEventListener("click", function () {
      root.remove();
      dialogOpen = false;
      if (opener && opener.focus) opener.focus();
    });
    ft.appendChild(ok);
    box.appendChild(bd);
    box.appendChild(ft);
    root.appendChild(mask);
    root.appendChild(box);
    document.body.appendChild(root);
    ok.focus();
  }

  function networkProblem() {
    dialog(text("msgNetwork", "网络异常，请稍后再试", "Network problem. Please try again later."));
  }

  window.wushe = { toast: toast, dialog: dialog };

  // ---- htmx ----------------------------------------------------------------

  if (window.htmx) {
    // 4xx carry an error fragment (errors/fragment.html) that the person must
    // see, so swap them; 5xx bodies are not meant for people: show the dialog.
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: true },
      { code: "5..", swap: false, error: true },
      { code: "...", swap: false },
    ];
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    var token = csrfToken();
    if (token) evt.detail.headers["X-CSRFToken"] = token;
  });

  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (!xhr || xhr.status >= 500) networkProblem();
  });
  document.addEventListener("htmx:sendError", networkProblem);
  document.addEventListener("htmx:timeout", networkProblem);

  // ---- a page seen logged out: the scanner's rosters and conflicts go ------------
  // (the database and stores of offline-queue.js; a phone that never scanned has no such
  // database, and opening one by name would make it). Queued scans stay, for the operator
  // who made them: nobody else's scanner sends them.
  if (document.body && document.body.hasAttribute("data-anonymous")
      && window.indexedDB && indexedDB.databases) {
    indexedDB.databases().then(function (all) {
      if (!all.some(function (d) { return d.name === "wushe-scanner"; })) return;
      var req = indexedDB.open("wushe-scanner");
      req.onsuccess = function () {
        var kept = req.result;
        try {
          var tx = kept.transaction(["rosters", "conflicts"], "readwrite");
          tx.objectStore("rosters").clear();
          tx.objectStore("conflicts").clear();
          tx.oncomplete = tx.onabort = function () { kept.close(); };
        } catch (e) { kept.close(); }
      };
    }).catch(function () {});
  }

  // ---- offline: the service worker (/sw.js) -------------------------------
  // Pages that must open without network (the scanner, 我的码) carry data-offline-page
  // on <body>: they install the worker and ask it to keep them. Other pages never install
  // it; one seen by nobody logged in (data-anonymous) asks a worker already there to
  // forget the kept pages: a shared phone keeps nothing personal after logging out.
  if ("serviceWorker" in navigator && document.body) {
    var body = document.body;
    if (body.hasAttribute("data-offline-page")) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) {
          registration.active.postMessage(
            { type: "keep-page", url: window.location.href.split("#")[0] });
        }
      });
    } else if (body.hasAttribute("data-anonymous")) {
      navigator.serviceWorker.getRegistration("/").then(function (registration) {
        if (registration && registration.active) {
          registration.active.postMessage({ type: "forget-pages" });
        }
      });
    }
  }

  // "Go back" on the result page of a refused form: the browser's back keeps what
  // was typed in the form; the link itself (a fresh form) is for a tab opened on it.
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest ? evt.target.closest("a[data-history-back]") : null;
    if (!link || window.history.length < 2) return;
    evt.preventDefault();
    window.history.back();
  });

  // ---- the focus after a swap ------------------------------------------------
  // A swap that removes the focused element (a review row's Approve) or a refused form
  // sent back whole would leave the focus on <body>. It goes instead to what the server
  // marked data-take-focus, else the form's error summary or first invalid field, else
  // the swapped content. Polls (badge, progress) move nothing: only a lost focus is given.

  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function focusOn(el) {
    if (!el || !el.isConnected) return false;
    if (!el.matches(FOCUSABLE)) el.setAttribute("tabindex", "-1");
    el.focus();
    return document.activeElement === el;
  }

  function placeToGoOn(scope) {
    var marked = scope.matches("[data-take-focus]") ? scope
      : scope.querySelector("[data-take-focus]");
    if (marked) return marked;
    if (scope.matches("form")) {
      return scope.querySelector(".error-tip[role=alert]")
        || scope.querySelector("[aria-invalid=true]");
    }
    // any refused form (not only the first), else a warning the page came back with
    return scope.querySelector("form .error-tip[role=alert]")
      || scope.querySelector("form [aria-invalid=true]")
      || scope.querySelector(".flash-tips[role=alert]");
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  function settleFocus(scope, fallback) {
    var el = placeToGoOn(scope) || fallback;
    if (el && focusOn(el) && el.hasAttribute("data-take-focus")) {
      el.removeAttribute("data-take-focus"); // once: a later swap does not come back here
    }
  }

  window.wushe.takeFocus = settleFocus;

  // a whole page: a refused form, or a result the server marked
  document.addEventListener("DOMContentLoaded", function () {
    if (focusLost() && document.body) settleFocus(document.body, null);
  });

  var hadFocus = null;
  document.addEventListener("htmx:beforeSwap", function () { hadFocus = document.activeElement; });
  document.addEventListener("htmx:afterSettle", function (evt) {
    var lost = hadFocus && hadFocus !== document.body && !hadFocus.isConnected;
    hadFocus = null;
    var elt = evt.detail && evt.detail.elt;
    if (!lost || !focusLost() || !elt || !elt.isConnected) return;
    settleFocus(elt, elt);
  });

  // Server side: HX-Trigger: {"wushe:toast": {"message": "..."}}
  document.addEventListener("wushe:toast", function (evt) {
    var detail = evt.detail || {};
    toast(typeof detail === "string" ? detail : detail.message || detail.value);
  });
})();
