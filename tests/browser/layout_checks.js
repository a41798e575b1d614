// What test_layout.py measures in a page, run through the DevTools protocol (the page's CSP
// is not involved). Returns one line per problem. `width` is the phone's width in CSS px;
// `care` whether the page is in care mode.
([width, care]) => {
  const problems = [];
  const visible = (el) => {
    if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.classList.length) s += "." + [...el.classList].join(".");
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
    return `${s} "${text.slice(0, 30).replace(/\s+/g, " ")}"`;
  };
  const ownText = (el) => [...el.childNodes].some(
    (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
  // a box of text: its own words, or words only in inline elements (an amount's span)
  const textBox = (el) => el.textContent.trim() && [...el.children].every(
    (c) => getComputedStyle(c).display.startsWith("inline") && !c.querySelector("img, svg"));

  // 1. nothing wider than the phone
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > width) {
    // where it starts: a box wider than the phone inside one that is not
    const out = (el) => el && el.getBoundingClientRect().right > width + 0.5;
    const wide = [...document.body.querySelectorAll("*")].filter(
      (el) => visible(el) && out(el) && !out(el.parentElement)).slice(0, 3);
    problems.push(`overflow: page ${scrollWidth}px wide; ${wide.map(name).join("; ")}`);
  }

  // 2. every money amount is marked (.money) and on one line
  const amount = /[¥￥]\s*-?[0-9][0-9,]*(\.[0-9]+)?/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (amount.test(n.textContent) && visible(el) && !el.closest(".money")) {
      problems.push(`unmarked amount: ${name(el)}`);
    }
  }
  for (const el of document.querySelectorAll(".money")) {
    if (visible(el) && el.getClientRects().length !== 1) {
      problems.push(`amount split over ${el.getClientRects().length} lines: ${name(el)}`);
    }
  }

  // 3. a label wraps, if at all, only between words: at a space or beside Chinese
  // punctuation, never between two Chinese characters or inside a Latin word
  const LABELS = [".weui-label", ".weui-cells__title", ".weui-cell__bd > h2",
    ".weui-cell__bd > h3", ".weui-tabbar__label", ".weui-navbar__item",
    ".weui-form-preview__label", ".weui-btn", ".status-pill", ".state-pill", ".flag-pill",
    ".stats-chip", ".stat-card__label", ".choice span", ".notice-filter a", "dt",
    "th[scope=col]", ".stats-table th:not(.stats-table__record)", ".gift-field", ".hours-field",
    ".rating-choice label"].join(",");
  const breakable = /[\s（）()，,、：:；;。.·・\/—–-]/;
  for (const el of document.querySelectorAll(LABELS)) {
    if (!visible(el)) continue;
    // where each character of the label's words lands (a space at a line's end collapses
    // to nothing: it still counts as the gap between the words around it)
    const chars = [];
    let gap = false;
    const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {
      acceptNode: (t) => t.parentElement.closest("select, textarea, option, .visually-hidden")
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
    for (let t = w.nextNode(); t; t = w.nextNode()) {
      for (let i = 0; i < t.textContent.length; i++) {
        const c = t.textContent[i];
        const range = document.createRange();
        range.setStart(t, i);
        range.setEnd(t, i + 1);
        const r = range.getClientRects()[0];
        if (!r || r.width === 0 || /\s/.test(c)) {
          gap = true;
          continue;
        }
        chars.push({c, top: r.top, bottom: r.bottom, gap});
        gap = false;
      }
    }
    for (let i = 1; i < chars.length; i++) {
      const [a, b] = [chars[i - 1], chars[i]];
      if (b.top >= a.bottom - 2 && !b.gap && !breakable.test(a.c) && !breakable.test(b.c)) {
        problems.push(`label wrapped mid-word between "${a.c}" and "${b.c}": ${name(el)}`);
        break;
      }
    }
  }

  // 4. no text clipped: a box that hides its overflow shows all its text, unless it
  // ends in an ellipsis and its title carries the whole text
  for (const el of document.body.querySelectorAll("*")) {
    if (!(ownText(el) || textBox(el)) || !visible(el) || el.closest(".visually-hidden")) {
      continue;
    }
    const s = getComputedStyle(el);
    const hides = (v) => v === "hidden" || v === "clip";
    const box = !s.display.startsWith("inline") && s.display !== "contents";
    // text that sticks out of its box overlaps what is beside it even when not hidden
    if (box && s.overflowX === "visible" && el.clientWidth &&
        el.scrollWidth > el.clientWidth + 1) {
      problems.push(`text sticks out (${el.scrollWidth} in ${el.clientWidth}): ${name(el)}`);
      continue;
    }
    const overX = hides(s.overflowX) && el.scrollWidth > el.clientWidth + 1;
    const overY = hides(s.overflowY) && el.scrollHeight > el.clientHeight + 1;
    if (!overX && !overY) continue;
    const titled = (el.getAttribute("title") || "").trim() === el.textContent.trim();
    if (!(overX && !overY && s.textOverflow === "ellipsis" && titled)) {
      problems.push(`text clipped (${el.scrollWidth}x${el.scrollHeight} in ` +
                    `${el.clientWidth}x${el.clientHeight}): ${name(el)}`);
    }
  }

  // 5. touch targets: in care mode every control at least 48x48; otherwise the primary
  // ones at least 44x44. Links inside a sentence are exempt (WCAG 2.5.8's inline case).
  const CONTROLS = ["button", "a.weui-btn", ".weui-btn", "input[type=submit]",
    "input[type=button]", ".weui-tabbar__item", ".stats-chip", ".choice span",
    ".rating-choice label", ".notice-filter a", ".weui-navbar__item", "summary",
    "select", "label:has(> input[type=checkbox])", "label:has(> input[type=radio])",
    "input[type=checkbox]:not(.weui-check):not([style*=opacity])",
    "input[type=radio]:not(.weui-check)"].join(",");
  const least = care ? 48 : 44;
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (!visible(el)) continue;
    let r = el.getBoundingClientRect();
    // a hidden-looking input stands for its label (the label is what is tapped)
    if ((el.type === "checkbox" || el.type === "radio") && el.labels && el.labels[0]) {
      const label = el.labels[0].getBoundingClientRect();
      if (label.width * label.height > r.width * r.height) r = label;
    }
    if (r.width < least - 0.5 || r.height < least - 0.5) {
      problems.push(`target ${Math.round(r.width)}x${Math.round(r.height)} < ${least}: ` +
                    name(el));
    }
  }

  // 6. a link standing alone (all the text of its block: a "history" link beside a title,
  // a count in a table, a download) is tapped like a button: the same sizes. A link with
  // words of a sentence around it is the inline case above, and exempt.
  const block = (el) => {
    let b = el.parentElement;
    while (b && getComputedStyle(b).display.startsWith("inline")) b = b.parentElement;
    return b;
  };
  for (const el of document.querySelectorAll("a[href]")) {
    if (!visible(el) || el.matches(CONTROLS) || el.closest(".visually-hidden")) continue;
    const b = block(el);
    if (!b || b.textContent.trim() !== el.textContent.trim()) continue;
    const r = el.getBoundingClientRect();
    if (r.width < least - 0.5 || r.height < least - 0.5) {
      problems.push(`link target ${Math.round(r.width)}x${Math.round(r.height)} < ${least}: ` +
                    name(el));
    }
  }
  return problems;
}
