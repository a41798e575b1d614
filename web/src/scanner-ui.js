// What the scanner page shows: the counts, the offline banner, the conflict list,
// the full-screen answer and the search results (and the roster searched offline).
// scanner.js owns the state and
// hands it over through create(); nothing here fetches or decides a scan.
(function () {
  "use strict";

  function create(ctx) {
    var root = ctx.root, cfg = ctx.cfg, el = ctx.el, state = ctx.state, Q = ctx.Q;
    var presenceOf = ctx.presenceOf, online = ctx.online;
    var SAME_CODE_MS = ctx.sameCodeMs;

    function t(key, vars) {
      var s = cfg.text[key] || key;
      Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(vars[k]); });
      return s;
    }

    function renderCounts() {
      var c = state.serverCounts;
      if ((state.pending.length || !c) && state.rows) {
        c = { signed_up: 0, present: 0, left: 0 };
        state.rows.forEach(function (r) {
          if (r.status !== "confirmed") return;
          c.signed_up += 1;
          var p = presenceOf(r);
          if (p === "in") c.present += 1;
          if (p === "out") c.left += 1;
        });
      }
      if (!c) return;
      el.signedUp.textContent = c.signed_up;
      el.present.textContent = c.present;
      el.left.textContent = c.left;
    }

    function renderBanner() {
      var n = state.pending.length;
      var offline = !online();
      if (!offline && !n && !state.uploadError) {
        el.banner.hidden = true;
        delete root.dataset.offline;
        return;
      }
      var parts = [];
      if (offline) parts.push(t("offline"));
      if (state.uploading) parts.push(t("uploading"));
      else if (state.uploadError) parts.push(t("upload_failed", { n: state.uploadError }));
      parts.push(t("waiting", { n: n }));
      el.bannerText.textContent = parts.join(" · ");
      el.banner.dataset.waiting = String(n);
      el.retry.hidden = !n || navigator.onLine === false || state.uploading;
      el.banner.hidden = false;
      if (offline) root.dataset.offline = "1"; else delete root.dataset.offline;
    }

    // a family member without a phone: who manages them (and signed them up) instead
    function personLine(person) {
      if (!person) return "";
      if (person.managed_by_name) return t("family_of", { n: person.managed_by_name });
      return person.phone || "";
    }

    function admittedText(direction) { return direction === "exit" ? t("ok_exit") : t("ok"); }

    function renderConflicts() {
      return Q.conflicts(cfg.activityId).then(function (items) {
        el.conflictList.textContent = "";
        items.forEach(function (c) {
          var li = document.createElement("li");
          var who = document.createElement("strong");
          who.textContent = c.person ? c.person.name + " " + personLine(c.person) : "—";
          var what = document.createElement("span");
          var phoneSaid = c.local_result === "queued" ? admittedText(c.direction)
            : t(c.local_result);
          what.textContent = t("conflict", { phone: phoneSaid, server: c.message || c.result });
          var when = document.createElement("time");
          when.dateTime = c.client_time;
          when.textContent = new Date(c.client_time).toLocaleTimeString([], {
            hour: "2-digit", minute: "2-digit" });
          li.dataset.result = c.result;
          li.appendChild(who);
          li.appendChild(when);
          li.appendChild(what);
          el.conflictList.appendChild(li);
        });
        el.conflicts.hidden = !items.length;
      }).catch(function () {});
    }

    // ---- the answer, big -----------------------------------------------------

    function show(answer) {
      clearTimeout(state.overlayTimer);
      el.overlay.classList.toggle("is-ok", !!answer.ok);
      el.overlay.classList.toggle("is-fail", !answer.ok);
      el.overlay.classList.toggle("is-offline", !!answer.offline);
      el.overlay.dataset.result = answer.result || "";
      el.overlay.dataset.direction = answer.direction || "";
      el.verdict.textContent = answer.ok ? "✓" : "✕";
      el.name.textContent = answer.person ? answer.person.name : "";
      el.phone.textContent = personLine(answer.person);
      el.message.textContent = answer.message || t(answer.result);
      state.walkIn = answer.walkIn || null;
      el.walkin.hidden = !state.walkIn;
      el.overlay.hidden = false;
      // a name picked from the search list took its button away: the focus would fall to
      // <body>; the answer's words take it (and a screen reader reads them)
      var active = document.activeElement;
      if (!active || active === document.body || !active.isConnected) {
        el.message.focus();
        state.answerFocused = true;
      }
      window.WusheCamera.feedback(!!answer.ok);
      var ms = state.walkIn ? 8000 : answer.ok ? 2200 : 4000;
      state.overlayTimer = setTimeout(hide, ms);
    }

    function hide() {
      clearTimeout(state.overlayTimer);
      // (a tap on the answer has already moved the focus off it, to <body>)
      var hadFocus = state.answerFocused || el.overlay.contains(document.activeElement);
      state.answerFocused = false;
      el.overlay.hidden = true;
      // back to where the next person is found: the search box after a search, else the
      // direction buttons (no keyboard pops up over the camera)
      if (hadFocus) {
        var back = state.fromSearch ? el.q
          : document.querySelector('.scanner__dir[aria-pressed="true"]');
        if (back) back.focus();
      }
      state.fromSearch = false;
      state.walkIn = null;
      if (state.lastText) {
        var until = Date.now() + SAME_CODE_MS;
        state.recent[state.lastText] = Math.max(state.recent[state.lastText] || 0, until);
      }
    }

    // ---- search results ------------------------------------------------------

    function renderResults(rows) {
      el.results.textContent = "";
      if (!rows.length) {
        var none = document.createElement("li");
        none.className = "scanner__none";
        none.textContent = t("no_match");
        el.results.appendChild(none);
        return;
      }
      rows.forEach(function (r) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "scanner__person";
        b.dataset.userId = r.user_id;
        var name = document.createElement("span");
        name.className = "scanner__person-name";
        name.textContent = r.name;
        var phone = document.createElement("span");
        phone.className = "scanner__person-phone masked";
        phone.textContent = r.phone || "";
        b.appendChild(name);
        b.appendChild(phone);
        var known = state.byId[r.user_id] || r;
        var p = presenceOf(known);
        var tag = r.status !== "confirmed" ? t("waitlisted_tag")
          : p === "in" ? t("present_tag") : p === "out" ? t("left_tag") : "";
        if (tag) {
          var pill = document.createElement("span");
          pill.className = "status-pill";
          pill.textContent = tag;
          b.appendChild(pill);
        }
        li.appendChild(b);
        el.results.appendChild(li);
      });
    }

    // ---- the search's list (offline, from the saved roster) -----------------

    function localSearch(q) {
      var digits = /^\d+$/.test(q);
      return (state.rows || []).filter(function (r) {
        return r.name.indexOf(q) >= 0 || (digits && (r.phone || "").slice(-q.length) === q);
      }).slice(0, 20);
    }

    // someone not on the list who says their whole number (a walk-in without their code)
    function fullPhone(q) {
      var digits = q.normalize("NFKC").replace(/[\s-]/g, "").replace(/^(\+86|0086)/, "");
      return /^1[3-9][0-9]{9}$/.test(digits) ? digits : null;
    }

    function offerPhone(phone, pick) {
      el.results.textContent = "";
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "weui-btn weui-btn_default scanner__by-phone";
      b.textContent = t("by_phone").replace("{n}", phone.slice(0, 3) + "****" + phone.slice(-4));
      b.addEventListener("click", function () {
        el.q.value = "";
        el.results.textContent = "";
        pick();
      });
      li.appendChild(b);
      el.results.appendChild(li);
    }

    // the server's answer to a scan sent online
    function showAnswer(scan, data) {
      // a walk-in is admitted by their own code or their full phone number, never by an
      // id from a list (the server refuses that too)
      var walkIn = data.result === "not_signed_up" && scan.direction === "entry"
        && !scan.walk_in && (scan.code != null || scan.phone != null)
        ? { code: scan.code, phone: scan.phone } : null;
      // a number from beyond the places one serves (or nobody's) admits nobody: the same
      // words either way, and no second offer
      var refused = scan.walk_in && scan.phone != null && data.result === "not_signed_up";
      show({ ok: data.ok, result: data.result,
             message: refused ? t("walk_in_refused") : data.message,
             person: data.person, walkIn: walkIn, direction: data.direction });
    }

    return {
      t: t, renderCounts: renderCounts, renderBanner: renderBanner, showAnswer: showAnswer,
      renderConflicts: renderConflicts, show: show, hide: hide, renderResults: renderResults,
      localSearch: localSearch, fullPhone: fullPhone, offerPhone: offerPhone,
    };
  }

  window.WusheScannerUI = { create: create };
})();
