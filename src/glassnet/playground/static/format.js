// Text helpers shared by the page's scripts: short number labels and HTML escaping.
"use strict";

const Fmt = (() => {
  // 4 significant digits, trailing zeros dropped (0.123456 -> "0.1235", 2.0 -> "2"); "?" for none
  function short(v) {
    if (v == null) return "?";
    return typeof v === "number" ? Number(v.toPrecision(4)).toString() : String(v);
  }

  function escape(text) {
    return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  }

  return { short, escape };
})();
