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

  // a value as it is shown in a message: JSON, cut short
  function quote(value) {
    let text;
    try { text = JSON.stringify(value); } catch { text = String(value); }
    if (text === undefined) text = String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }

  return { short, el, quote };
})();
