// Step-through: one example's recorded step, shown stage by stage beside its narration.
"use strict";

const Stepper = (() => {
  let trace = null;
  let index = 0;

  const el = Fmt.el;

  function matrix(value) {
    const rows = Array.isArray(value) ? (Array.isArray(value[0]) ? value : [value]) : [[value]];
    return el("table", {}, ...rows.map((r) => el("tr", {}, ...r.map((v) => el("td", {}, Fmt.short(v))))));
  }

  // The narration arrives as HTML made by glassnet.explain. It is parsed into an inert document
  // (no script runs, nothing loads) and rebuilt here from a short list of tags, each with at most
  // a plain class name: no attribute, handler, style or link of the original survives.
  const NARRATION_TAGS = new Set(["section", "h1", "h2", "h3", "h4", "p", "div", "pre", "code",
    "table", "thead", "tbody", "tr", "td", "th", "ul", "ol", "li", "b", "i", "em", "strong",
    "small", "span", "sub", "sup", "br"]);

  function rebuild(source) {
    const out = document.createDocumentFragment();
    for (const child of source.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) { out.append(child.textContent); continue; }
      if (child.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = child.tagName.toLowerCase();
      if (!NARRATION_TAGS.has(tag)) continue;  // <style>, <script>, <img>, ...: dropped whole
      const node = document.createElement(tag);
      const cls = child.getAttribute("class");
      if (cls && /^[\w -]{1,60}$/.test(cls)) node.className = cls;
      node.append(rebuild(child));
      out.append(node);
    }
    return out;
  }

  function narrationNodes(html) {
    const inert = new DOMParser().parseFromString(html, "text/html");
    return rebuild(inert.body);
  }

  // values to print under each unit at this stage, each named for its own unit as the stage's
  // equations name it: x0=1, x1=0 (the inputs), a1[2]=0.76 (forward), δ2[0]=-0.12 (backward)
  function unitLabels(stage) {
    const out = {};
    const find = (s) => stage.entries.find((e) => e.symbol === s);
    if (stage.phase === "forward" && stage.layer === 0) {
      // a long column name is cut to 12 characters (hover the unit for the whole name)
      const names = Draw.inputNames().map((n) => (n.length > 12 ? `${n.slice(0, 11)}…` : n));
      out[0] = stage.entries[0].value[0].map((v, j) => `${names[j] ?? `x${j}`}=${Fmt.short(v)}`);
    } else if (stage.phase === "forward") {
      const a = find(`a${stage.layer}`);
      if (a) out[stage.layer] = a.value[0].map((v, j) => `a${stage.layer}[${j}]=${Fmt.short(v)}`);
    } else if (stage.phase === "backward") {
      const d = find(`delta${stage.layer}`);
      if (d) out[stage.layer] = d.value[0].map((v, j) => `δ${stage.layer}[${j}]=${Fmt.short(v)}`);
    } else if (stage.phase === "loss") {
      const c = find("C");
      const last = trace.stages.filter((s) => s.phase === "forward").length - 1;
      if (c) out[last] = [`C=${Fmt.short(c.value)}`];
    }
    return out;
  }

  const PHASE_WORDS = [["forward", /forward|looking/i], ["loss", /loss|checking|wrong/i],
    ["backward", /backward|blame/i], ["update", /update|fixing|after/i]];

  // the narration's heading for this stage: its layer's inside its phase, else the phase's
  function narrationHeading(narration, stage) {
    let phase = null, phaseHeading = null, best = null;
    for (const h of narration.querySelectorAll("h2, h3, h4")) {
      const found = PHASE_WORDS.find(([, pattern]) => pattern.test(h.textContent));
      if (found && !/^layer/i.test(h.textContent)) {
        phase = found[0];
        if (phase === stage.phase && !phaseHeading) phaseHeading = h;
      } else if (phase === stage.phase && stage.layer && new RegExp(`^layer ${stage.layer}\\b`, "i").test(h.textContent)) {
        best = best || h;
      }
    }
    return best || phaseHeading;
  }

  // the stage's numbers stay in sight below the sticky controls while the page scrolls down the
  // narration beside them, when they fit in the window (a taller stage scrolls with the page)
  function pin(stage) {
    const controls = stage.closest(".stepper")?.querySelector(".stepper-controls");
    const top = (controls ? controls.offsetHeight : 0) + 8;
    stage.style.top = `${top}px`;
    stage.classList.toggle("pinned", stage.offsetHeight + top < window.innerHeight);
  }

  function follow(elements, stage) {
    elements.narration.querySelectorAll(".current").forEach((h) => h.classList.remove("current"));
    const heading = narrationHeading(elements.narration, stage);
    if (!heading) return;
    heading.classList.add("current");
    // the narration has no scroll box of its own: the page scrolls, and only when the heading
    // is out of sight (under the sticky controls, or below the window)
    const box = heading.getBoundingClientRect();
    const controls = elements.narration.closest(".stepper")?.querySelector(".stepper-controls");
    const covered = controls ? controls.getBoundingClientRect().bottom : 0;
    if (box.top < covered || box.bottom > window.innerHeight) heading.scrollIntoView({ block: "start" });
  }

  function render(elements) {
    const stage = trace.stages[index];
    elements.title.textContent = `${index + 1} / ${trace.stages.length}: ${stage.title}`;
    elements.stage.className = `stage ${stage.phase}`;
    // examples are counted from 0, as NumPy rows and `glassnet explain --example` count them
    const intro = index === 0
      ? el("p", { className: "intro" }, `Example ${trace.example} of the ${trace.split} set ` +
        `(row ${trace.example}, counted from 0): x = (${trace.x.map(Fmt.short).join(", ")}), ` +
        (trace.regression ? `target y = ${Fmt.short(trace.label)}.` : `class ${trace.label}.`))
      : null;
    const parts = stage.entries.flatMap((e) => {
      const line = el("div", { className: "equation" }, el("b", {}, e.symbol),
        e.equation !== e.symbol ? `\u00a0 ${e.equation}` : null,
        " ", el("small", {}, `(${e.shape.join("×") || "scalar"})`));
      line.dataset.symbol = e.symbol;
      return [line, matrix(e.value)];
    });
    elements.stage.replaceChildren(...(intro ? [intro] : []), ...parts);
    elements.prev.disabled = index === 0;
    elements.next.disabled = index === trace.stages.length - 1;
    Draw.highlight(stage);
    Draw.labels(unitLabels(stage));
    pin(elements.stage);
    follow(elements, stage);
  }

  function start(result, elements) {
    trace = result;
    index = 0;
    elements.narration.replaceChildren(result.narration
      ? narrationNodes(result.narration)
      : el("p", {}, "(This glassnet has no narrator: glassnet.explain is missing.)"));
    render(elements);
  }

  function move(delta, elements) {
    if (!trace) return;
    index = Math.max(0, Math.min(trace.stages.length - 1, index + delta));
    render(elements);
  }

  function clear(elements) {
    if (!trace) return;
    trace = null;
    elements.title.textContent = "(training moved on: step through again)";
    elements.prev.disabled = true; elements.next.disabled = true;
    Draw.highlight(null); Draw.labels(null);
  }

  // for hover: the trace stepped through (its per-unit and per-weight numbers), or null
  function current() { return trace; }

  return { start, move, clear, current };
})();
