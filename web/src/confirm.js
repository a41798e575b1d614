// Every confirmation on every page: a WeUI dialog, never the browser's own dialog.
//  - htmx elements with hx-confirm="question": htmx asks us (htmx:confirm) before it sends;
//  - plain forms (or their submit button) with data-confirm="question": we stop the submit,
//    ask, and submit again once the person said yes.
// Optional on the same element: data-confirm-detail (a sentence under the question),
// data-confirm-ok (the yes button's label, e.g. "Withdraw"), data-confirm-cancel (the no
// button's), data-confirm-kind="warn" (a red yes). Labels default to the body's
// data-msg-confirm / data-msg-cancel, which the server translates.
// Without JavaScript every form still posts and the server checks everything: the dialog
// only saves a person from a slip of the finger.
(function () {
  "use strict";

  var open = null; // the dialog on screen, at most one
  var seq = 0;

  function text(key, zh, en) {
    var body = document.body;
    var value = body && body.dataset ? body.dataset[key] : "";
    if (value) return value;
    return /^zh/i.test(document.documentElement.lang || "zh") ? zh : en;
  }

  function attr(elements, name) {
    for (var i = 0; i < elements.length; i++) {
      var el = elements[i];
      if (el && el.getAttribute && el.hasAttribute(name)) return el.getAttribute(name);
    }
    return "";
  }

  function close(ok) {
    if (!open) return;
    var current = open;
    open = null;
    document.removeEventListener("keydown", current.onKey, true);
    current.root.remove();
    if (current.opener && current.opener.focus && document.contains(current.opener)) {
      current.opener.focus();
    }
    if (ok) current.then();
  }

  // ask(question, sources, then): sources are the elements whose data-confirm-* apply,
  // the most specific first; then runs only after "yes".
  function ask(question, sources, then) {
    if (open) close(false);
    seq += 1;
    var id = "wushe-confirm-" + seq;
    var detail = attr(sources, "data-confirm-detail");
    var warn = attr(sources, "data-confirm-kind") === "warn";

    var root = document.createElement("div");
    root.className = "wushe-dialog wushe-confirm";
    root.setAttribute("role", "alertdialog");
    root.setAttribute("aria-modal", "true");
    root.setAttribute("aria-labelledby", id + "-title");
    var mask = document.createElement("div");
    mask.className = "weui-mask";
    var box = document.createElement("div");
    box.className = "weui-dialog";
    var hd = document.createElement("div");
    hd.className = "weui-dialog__hd";
    var title = document.createElement("strong");
    title.className = "weui-dialog__title";
    title.id = id + "-title";
    title.textContent = question;
    hd.appendChild(title);
    box.appendChild(hd);
    if (detail) {
      var bd = document.createElement("div");
      bd.className = "weui-dialog__bd";
      bd.id = id + "-detail";
      bd.textContent = detail;
      box.appendChild(bd);
      root.setAttribute("aria-describedby", bd.id);
    }
    var ft = document.createElement("div");
    ft.className = "weui-dialog__ft";
    var no = document.createElement("button");
    no.type = "button";
    no.className = "weui-dialog__btn weui-dialog__btn_default";
    no.textContent = attr(sources, "data-confirm-cancel") || text("msgCancel", "暂不", "Not now");
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "weui-dialog__btn " + (warn ? "weui-dialog__btn_warn" : "weui-dialog__btn_primary");
    yes.textContent = attr(sources, "data-confirm-ok") || text("msgConfirm", "确定", "Confirm");
    ft.appendChild(no);
    ft.appendChild(yes);
    box.appendChild(ft);
    root.appendChild(mask);
    root.appendChild(box);

    var current = {
      root: root,
      opener: document.activeElement,
      then: then,
      onKey: function (event) {
        if (event.key === "Escape" || event.key === "Esc") {
          event.preventDefault();
          event.stopPropagation();
          close(false);
        } else if (event.key === "Tab") {
          // focus stays inside the dialog while it is open
          event.preventDefault();
          (document.activeElement === no ? yes : no).focus();
        }
      },
    };
    no.addEventListener("click", function () { close(false); });
    mask.addEventListener("click", function () { close(false); });
    yes.addEventListener("click", function () { close(true); });
    document.addEventListener("keydown", current.onKey, true);
    open = current;
    document.body.appendChild(root);
    // "no" has the focus: Enter on a destructive question must not say yes by itself
    no.focus();
  }

  // htmx asks before every request; we answer only where there is a question
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    var question = event.detail.question || attr([elt], "data-confirm");
    if (!question) return;
    event.preventDefault();
    var sources = [elt];
    var trigger = event.detail.triggeringEvent;
    if (trigger && trigger.submitter) sources.unshift(trigger.submitter);
    ask(question, sources, function () { event.detail.issueRequest(true); });
  });

  var HTMX = "[hx-post],[hx-put],[hx-patch],[hx-delete],[hx-get],[data-hx-post]";

  // plain forms: capture, so we decide before anything else sees the submit
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM" || form.matches(HTMX)) return;
    var submitter = event.submitter || null;
    var sources = [submitter, form];
    var question = attr(sources, "data-confirm");
    if (!question) return;
    if (form.__wusheConfirmed) {
      form.__wusheConfirmed = false;
      return;
    }
    event.preventDefault();
    ask(question, sources, function () {
      form.__wusheConfirmed = true;
      if (form.requestSubmit) form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      else form.submit();
    });
  }, true);
})();
