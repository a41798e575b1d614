// The pages' Alpine components. Alpine's CSP build reads x-* attributes with its own small
// parser (property reads, comparisons, assignments, method calls) instead of compiling them
// with new Function, and it cannot reach globals such as Number, Date or JSON. So anything
// more than "open" or "picked.kind === 'money'" lives here, and what the server knows
// arrives in data-* attributes or in the inputs it rendered, never as JavaScript source.
// Every page works without these: the server checks every choice either way.
document.addEventListener("alpine:init", function () {
  "use strict";
  var Alpine = window.Alpine;

  // The chosen radio of each group inside the component, as picked[name], for x-show.
  // It starts from what the server checked and follows every change (@change="pick").
  Alpine.data("choices", function () {
    return {
      picked: {},
      init: function () {
        var picked = this.picked;
        this.$el.querySelectorAll("input[type=radio]:checked").forEach(function (radio) {
          picked[radio.name] = radio.value;
        });
      },
      pick: function (event) {
        var input = event && event.target;
        if (input && input.type === "radio" && input.checked) this.picked[input.name] = input.value;
      },
    };
  });

  // The pledge form's goods lines: add a copy of the <template x-ref="tpl"> with the next
  // index in place of __i__, or remove a line (@click="removeLine" on a button inside it).
  Alpine.data("goodsLines", function () {
    return {
      next: 0,
      init: function () { this.next = parseInt(this.$el.dataset.next, 10) || 0; },
      add: function () {
        var html = this.$refs.tpl.innerHTML.split("__i__").join(String(this.next));
        this.next += 1;
        this.$refs.lines.insertAdjacentHTML("beforeend", html);
        // the button that was pressed stays, but the person's next step is the new line:
        // its first field takes the focus (a screen reader says which line it is)
        var line = this.$refs.lines.lastElementChild;
        var first = line && line.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
      },
      removeLine: function () {
        var line = this.$el.closest("[data-goods-line]");
        if (!line) return;
        // the focus was on the removed line's button: it goes to the line before
        var before = line.previousElementSibling;
        line.remove();
        var next = before && before.querySelector("input:not([type=hidden]), select, textarea");
        if (next) next.focus();
      },
    };
  });

  // The new-activity form: places and programmes are offered only for the chosen
  // organisation (x-model="org" on its select; :disabled on each option).
  Alpine.data("activityForm", function () {
    return {
      org: "",
      init: function () {
        var select = this.$el.querySelector("select[name=organisation_id]");
        this.org = select ? select.value : "";
      },
      // a place option: data-orgs lists the organisations working there
      placeUnavailable: function () {
        var orgs = JSON.parse(this.$el.dataset.orgs || "[]");
        return orgs.indexOf(Number(this.org)) === -1;
      },
      // a programme option: data-org is the organisation that runs it
      programmeUnavailable: function () {
        return Number(this.$el.dataset.org) !== Number(this.org);
      },
    };
  });

  // Registration: the guardian rows show when the birth date (x-model="birth") makes the
  // person younger than data-guardian-age.
  Alpine.data("registerForm", function () {
    return {
      birth: "",
      limit: 0,
      init: function () {
        var input = this.$el.querySelector("input[name=birth_date]");
        this.birth = input ? input.value : "";
        this.limit = parseInt(this.$el.dataset.guardianAge, 10) || 0;
      },
      get minor() {
        if (!this.birth) return false;
        var born = new Date(this.birth + "T00:00:00");
        var today = new Date();
        if (isNaN(born)) return false;
        var age = today.getFullYear() - born.getFullYear();
        if (today.getMonth() < born.getMonth() ||
            (today.getMonth() === born.getMonth() && today.getDate() < born.getDate())) age--;
        return age < this.limit;
      },
    };
  });

  // The venue code's countdown to its successor. htmx replaces the element every step:
  // destroy() stops the old timer, the new element starts its own.
  Alpine.data("countdown", function () {
    return {
      left: 0,
      text: "",
      timer: null,
      init: function () {
        var self = this;
        this.left = parseInt(this.$el.dataset.secondsLeft, 10) || 0;
        this.text = this.$el.dataset.text || "";
        this.timer = window.setInterval(function () { if (self.left > 0) self.left -= 1; }, 1000);
      },
      destroy: function () { window.clearInterval(this.timer); },
      get label() { return this.text.replace("{n}", this.left); },
    };
  });

  // "Send a new code" (accounts/code_enter.html): disabled while data-seconds-left (the
  // server's own limit) counts down, labelled from data-wait-text ("{n}" is the seconds) or,
  // for waits over 90 seconds, data-wait-minutes ("{n}" the minutes, rounded up); then its
  // own text again. The server refuses a press that comes too early anyway.
  Alpine.data("resendCode", function () {
    return {
      left: 0,
      waitText: "",
      waitMinutes: "",
      sendText: "",
      timer: null,
      init: function () {
        var self = this;
        var button = this.$el.querySelector("button");
        this.sendText = button ? button.textContent.trim() : "";
        this.waitText = this.$el.dataset.waitText || "";
        this.waitMinutes = this.$el.dataset.waitMinutes || this.waitText;
        this.left = parseInt(this.$el.dataset.secondsLeft, 10) || 0;
        this.timer = window.setInterval(function () {
          if (self.left > 0) self.left -= 1;
          else window.clearInterval(self.timer);
        }, 1000);
      },
      destroy: function () { window.clearInterval(this.timer); },
      get waiting() { return this.left > 0; },
      get label() {
        if (!this.waiting) return this.sendText;
        if (this.left > 90) return this.waitMinutes.replace("{n}", Math.ceil(this.left / 60));
        return this.waitText.replace("{n}", this.left);
      },
    };
  });
});
