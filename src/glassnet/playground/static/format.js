// Text helpers shared by the page's scripts: short number labels, and elements built as DOM nodes.
// Nothing here (or anywhere in the page) parses a string as HTML: every value is set as text.
"use strict";

const Fmt = (() => {
  // 4 significant digits, trailing zeros dropped (0.123456 -> "0.1235", 2.0 -> "2"); "?" for none
  function short(v) {
    if (v == null) return "?";
    return typeof v === "number" ? Number(v.toPrecision(4)).toString() : String(v);
  }

  // el("span", {className: "x", title: "..."}, "text", otherNode): children are nodes or text
  function el(tag, properties, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, properties || {});
    for (const child of children) {
      if (child == null) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // Unicode bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E/F) and C0/C1 controls reorder or
  // hide text (a column "\u202Eevil" draws as "live"): names and values show them escaped instead
  const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  const escape = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  function visible(text) { return String(text).replace(HIDDEN, escape); }
  // a message's text: bidi controls escaped (its line breaks kept)
  function plain(text) { return String(text).replace(BIDI, escape); }
  const hasHidden = (text) => new RegExp(HIDDEN.source).test(text);

  // a value as it is shown in a message: JSON, cut short, bidi controls escaped
  function quote(value) {
    // JSON.stringify(Infinity) is "null": a link's 1e999 reads as Infinity, and is named so
    if (typeof value === "number" && !Number.isFinite(value)) return `${value} (too large)`;
    let text;
    try { text = JSON.stringify(value); } catch { text = String(value); }
    if (text === undefined) text = String(value);
    text = visible(text);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }

  return { short, el, quote, visible, plain, hasHidden };
})();
