// The images tab's pictures and its step-through: grids of numbers drawn on canvases, and one
// example's recorded step walked stage by stage (the stamp sliding over the input with its sum,
// the feature maps, pooling's winners, backward with the kernel gradient filling in).
// Colours (glassnet.plots.colors): grey for pixels (ink dark), orange negative / blue positive for
// everything signed, purple (LIT, the page's one highlight) only for "where the stamp is now",
// black dots only for max pooling's winners.
"use strict";

const ImageSteps = (() => {
  const el = Fmt.el;
  const NEG = [232, 135, 30], POS = [43, 123, 185];
  const LIT = "#7c3aed";  // colors.HIGHLIGHT (style.css --hl): means nothing else on the page
  const short = Fmt.short;

  function signColour(v, top) {
    const t = Math.max(-1, Math.min(1, v / (top || 1)));
    const end = t < 0 ? NEG : POS, a = Math.abs(t);
    return end.map((c) => Math.round(255 + (c - 255) * a));
  }

  // values (rows x cols) on a canvas; options: cell (px), grey (pixels in [0, 1]), top (the
  // signed range), lit {y, x, h, w}, upto (cells after this reading-order index left blank),
  // marks (rows x cols of 0/1: black dots), numbers (write each value in its cell)
  function grid(values, options = {}) {
    const rows = values.length, cols = values[0].length;
    const cell = options.cell || Math.max(4, Math.min(34, Math.floor((options.fit || 200) / Math.max(rows, cols))));
    const canvas = el("canvas", { className: "grid", width: cols * cell + 1, height: rows * cell + 1 });
    const ctx = canvas.getContext("2d");
    let top = options.top;
    if (!options.grey && !top) top = Math.max(1e-12, ...values.flat().map((v) => Math.abs(v || 0)));
    ctx.font = `${Math.min(11, Math.floor(cell / 3))}px ui-monospace, monospace`;
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = values[r][c];
        const blank = options.upto !== undefined && r * cols + c > options.upto;
        let rgb = [255, 255, 255];
        if (!blank && v != null) rgb = options.grey ? [0, 1, 2].map(() => Math.round(255 * (1 - Math.max(0, Math.min(1, v))))) : signColour(v, top);
        ctx.fillStyle = `rgb(${rgb.join(",")})`;
        ctx.fillRect(c * cell, r * cell, cell, cell);
        if (options.numbers && cell >= 26 && !blank && v != null) {
          const dark = rgb[0] * 0.3 + rgb[1] * 0.59 + rgb[2] * 0.11 < 128;
          ctx.fillStyle = dark ? "#fff" : "#1d232a";
          ctx.fillText(cellText(v), c * cell + cell / 2, r * cell + cell / 2);
        }
        if (options.marks && options.marks[r][c] && v) {  // a window of zeros: not dotted
          // a cell with its number written gets the dot in its corner, clear of the number
          const written = options.numbers && cell >= 26;
          const [cx, cy, radius] = written ? [c * cell + 5, r * cell + 5, 3]
            : [c * cell + cell / 2, r * cell + cell / 2, Math.max(1.5, cell / 6)];
          ctx.fillStyle = "#000";
          ctx.beginPath(); ctx.arc(cx, cy, radius, 0, 7); ctx.fill();
        }
      }
    }
    ctx.strokeStyle = "#c8ced6"; ctx.lineWidth = 1;
    ctx.strokeRect(0.5, 0.5, cols * cell, rows * cell);
    if (options.lit) {
      const { y, x, h, w } = options.lit;
      ctx.strokeStyle = LIT; ctx.lineWidth = 3;
      ctx.strokeRect(x * cell + 1.5, y * cell + 1.5, w * cell - 2, h * cell - 2);
    }
    return canvas;
  }

  // a number in at most 5 characters: .25, -.41, 1, 3e-4 (the full value is in the words)
  function cellText(v) {
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a < 0.01 || a >= 100) return v.toExponential(0).replace("e+", "e");
    return Number(v.toPrecision(2)).toString().replace(/^(-?)0\./, "$1.");
  }

  function figure(caption, canvas) {
    return el("figure", { className: "grid-figure" }, canvas, el("figcaption", {}, caption));
  }

  function bars(container, probabilities, marked) {
    const best = probabilities.indexOf(Math.max(...probabilities));
    container.replaceChildren(...probabilities.map((p, k) => {
      const bar = el("span", { className: "bar" });
      bar.style.width = `${(100 * p).toFixed(1)}%`;
      return el("div", { className: `prob${k === best ? " best" : ""}${k === marked ? " label" : ""}` },
        el("b", {}, String(k)), el("span", { className: "track" }, bar), el("small", {}, `${(100 * p).toFixed(1)}%`));
    }));
  }

  // -- the step-through --------------------------------------------------------------------
  let trace = null, stages = [], index = 0, position = 0, sliding = null;

  function makeStages(t) {
    const out = [{ kind: "input", title: "input" }, { kind: "stamp", title: "conv 1 forward: the stamp slides" }];
    const layerTitle = (m) => `${m.kind} (layer ${m.layer})`;
    for (const m of t.maps.filter((m) => m.phase === "forward")) out.push({ kind: "maps", title: `forward: ${layerTitle(m)}`, maps: [m] });
    out.push({ kind: "output", title: "forward: flatten, dense, softmax" }, { kind: "loss", title: "loss" });
    const backward = t.maps.filter((m) => m.phase === "backward" && m.symbol !== "delta1");
    for (const layer of [...new Set(backward.map((m) => m.layer))]) {
      const maps = backward.filter((m) => m.layer === layer);
      out.push({ kind: "maps", title: `backward: ${layerTitle(maps[0])}`, maps });
    }
    out.push({ kind: "gradient", title: "conv 1 backward: the kernel gradient fills in" }, { kind: "update", title: "update" });
    return out;
  }

  function positions() { return trace.stamp.z.length * trace.stamp.z[0].length; }

  function where(p) {
    const cols = trace.stamp.z[0].length;
    return { y: Math.floor(p / cols), x: p % cols };
  }

  const KIND_WORDS = {
    Conv2D: "Each filter's stamp slid over every channel below it: one map per filter, then relu (negative sums become 0).",
    MaxPooling2D: "Each 2x2 window keeps its largest number; the black dots mark the winners in the maps that came in " +
      "(in a window of zeros the first zero wins, reading row by row, as in PyTorch: it is not dotted).",
    AveragePooling2D: "Each 2x2 window keeps the mean of its four numbers.",
    Flatten: "The maps are read row by row into one long list for the dense layer: nothing is computed.",
  };
  const BACK_WORDS = {
    MaxPooling2D: "Max pooling sends each delta to its window's winner; the three losers get 0.",
    AveragePooling2D: "Average pooling shares each delta equally among its window's four inputs.",
    Flatten: "Flatten's backward only puts the numbers back into the maps' shape.",
    Conv2D: "delta = dC/da × relu'(z): where the sum was negative, relu passed nothing forward and passes nothing back.",
  };

  function mapFigures(m, options = {}) {
    const top = Math.max(1e-12, ...m.channels.flat(2).map((v) => Math.abs(v || 0)));
    const small = m.channels[0].length <= 6;  // the digits' maps: big enough to write in
    return m.channels.map((channel, c) => figure(`${m.symbol}[…, ${c}]`, grid(channel,
      { fit: small ? 6 * 26 : 120, numbers: small, top, marks: options.marks && options.marks[c] })));
  }

  // a forward map's rule in words-and-symbols (the engine's trace names the symbols)
  function rule(m) {
    const l = m.layer, p = `a${l - 1}`;
    return {
      Conv2D: `${m.symbol} = relu(stamps of K${l} over ${p} + b${l})`,
      MaxPooling2D: `${m.symbol} = the largest of each 2x2 window of ${p}`,
      AveragePooling2D: `${m.symbol} = the mean of each 2x2 window of ${p}`,
    }[m.kind] || m.equation;
  }

  function render(e) {
    const t = trace, s = t.stamp, stage = stages[index];
    const n = positions(), { y, x } = where(position);
    const [kh, kw] = s.kernel_size;
    e.title.textContent = `${index + 1} / ${stages.length}: ${stage.title}`;
    e.prev.disabled = index === 0; e.next.disabled = index === stages.length - 1;
    const sliding_ = stage.kind === "stamp" || stage.kind === "gradient";
    e.slider.hidden = !sliding_;
    e.position.max = n - 1; e.position.value = position;
    e.positionLabel.textContent = `position ${position + 1} of ${n}: (row ${y}, column ${x})`;
    const fit = t.x.length > 10 ? 224 : 240;
    const pictures = [], words = [];
    const lit = { y, x, h: kh, w: kw };
    if (stage.kind === "input") {
      pictures.push(figure(`a0 = x (${t.x.length}x${t.x[0].length}x1), a ${t.label}`, grid(t.x, { grey: true, fit, numbers: true })));
      words.push(`Example ${t.example} of the ${t.split} set (counted from 0), a handwritten ${t.label}: ` +
        `${t.x.length}x${t.x[0].length} pixels from 0 (paper) to 1 (ink). This is a look at one step: nothing in the network changes.`);
    } else if (stage.kind === "stamp") {
      const window = [];
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) window.push(t.x[y + i][x + j]);
      const flat = s.kernel.flat();
      const z = s.z[y][x];
      pictures.push(figure("a0 = x: the stamp's place, lit", grid(t.x, { grey: true, fit, lit, numbers: true })),
        figure(`K1[…, ${s.filter}]: the stamp (${kh}x${kw})`, grid(s.kernel, { fit: 130, numbers: true })),
        figure(`z1[…, ${s.filter}] so far`, grid(s.z, { fit: 190, upto: position, lit: { y, x, h: 1, w: 1 }, numbers: true })));
      const shown = Math.min(window.length, 9);
      const terms = window.slice(0, shown).map((v, k) => `${short(v)}×${short(flat[k])}`).join(" + ");
      const more = window.length > shown ? ` + … (${window.length - shown} more terms; all ${window.length} products add up to ${short(s.terms[position].reduce((a, b) => a + b, 0))})` : "";
      words.push(`The ${kh}x${kw} stamp of filter ${s.filter} sits on rows ${y} to ${y + kh - 1}, columns ${x} to ${x + kw - 1}. ` +
        "It multiplies each pixel under it by its own number, and adds them up with the bias:");
      words.push(el("code", { className: "sum" }, `z1[${y}, ${x}, ${s.filter}] = ${terms}${more} + ${short(s.bias)} = ${short(z)}`));
      words.push(`Then relu: a1 = max(0, ${short(z)}) = ${short(s.a[y][x])}. Slide the stamp one step right (then to the next row) and do it again: ` +
        `${n} places, ${n} numbers, one feature map. The readable loop and the fast path that trains give the same numbers (largest difference ${t.reference_gap.toExponential(1)}).`);
    } else if (stage.kind === "maps") {
      for (const m of stage.maps) {
        const previous = t.maps.find((o) => o.phase === "forward" && o.layer === m.layer - 1);
        if (m.winners && previous) {
          pictures.push(el("div", { className: "map-row" }, el("h4", {}, `in: ${previous.symbol}, winners dotted`), ...mapFigures(previous, { marks: m.winners })));
        }
        pictures.push(el("div", { className: "map-row" }, el("h4", {}, `${m.symbol} (${m.shape.join("x")}): ${m.phase === "forward" ? rule(m) : m.equation}`), ...mapFigures(m)));
      }
      const kind = stage.maps[0].kind;
      words.push((stage.maps[0].phase === "forward" ? KIND_WORDS : BACK_WORDS)[kind] || "");
      if (stage.maps[0].phase === "backward") words.push("Orange is negative, blue positive: the blame each number gets for the loss.");
    } else if (stage.kind === "output" || stage.kind === "loss") {
      const box = el("div", { className: "probs" });
      bars(box, t.probabilities, t.label);
      pictures.push(box);
      const p = t.probabilities[t.label];
      words.push(stage.kind === "output"
        ? `The dense layer turns the flattened maps into 10 scores; softmax turns them into probabilities that add up to 1. The net says ${t.prediction} (${(100 * t.probabilities[t.prediction]).toFixed(1)}%); the answer is ${t.label}.`
        : `The loss is how surprised the net is by the right answer: C = −log p[${t.label}] = −log(${short(p)}) = ${short(t.loss)}. A sure right answer costs 0.`);
    } else if (stage.kind === "gradient") {
      const d = s.delta[y][x];
      pictures.push(figure("a0 = x: the window, lit", grid(t.x, { grey: true, fit, lit, numbers: true })),
        figure(`delta1[…, ${s.filter}]`, grid(s.delta, { fit: 190, lit: { y, x, h: 1, w: 1 }, numbers: true })),
        figure(`dC/dK1[…, ${s.filter}] so far`, grid(s.partials[position].length ? unflat(s.partials[position], kw) : s.kernel_gradient, { fit: 130, numbers: true, top: Math.max(1e-12, ...s.kernel_gradient.flat().map(Math.abs)) })));
      words.push(`Backward, the stamp slides again. At (row ${y}, column ${x}) delta1 = ${short(d)}: how much the loss moves when this z moves. ` +
        `Each kernel number multiplied a pixel of this window, so it takes that pixel × ${short(d)} of blame:`);
      words.push(el("code", { className: "sum" }, `dC/dK1 += window × ${short(d)}` + (Math.abs(d) < 1e-12 ? "  (0 here: this z sent nothing on, cut by relu or not picked by the pooling, so it takes no blame)" : "")));
      words.push(position === n - 1
        ? `All ${n} places added: this is dC/dK1 for filter ${s.filter}, the engine's own (the bias gets the sum of delta1: ${short(s.bias_gradient)}).`
        : `After all ${n} places it is the kernel's gradient: each kernel number gets one blame, so dC/dK has K's shape.`);
    } else if (stage.kind === "update") {
      const change = s.kernel_new.map((row, i) => row.map((v, j) => v - s.kernel[i][j]));
      pictures.push(figure("K1 before", grid(s.kernel, { fit: 130, numbers: true })),
        figure("dC/dK1", grid(s.kernel_gradient, { fit: 130, numbers: true })),
        figure("K1 after", grid(s.kernel_new, { fit: 130, numbers: true })),
        figure("change", grid(change, { fit: 130, numbers: true })));
      words.push(`${s.optimizer} (learning rate ${short(s.learning_rate)}) moves each kernel number against its gradient. ` +
        "This was a look: the page's network is unchanged until you train.");
    }
    e.pictures.replaceChildren(...pictures);
    e.words.replaceChildren(...words.map((w) => (w instanceof Node ? w : el("p", {}, w))));
  }

  function unflat(list, cols) {
    const out = [];
    for (let i = 0; i < list.length; i += cols) out.push(list.slice(i, i + cols));
    return out;
  }

  function start(t, e) {
    trace = t; stages = makeStages(t); index = 0; position = 0; stopSliding(e);
    render(e);
  }
  function move(delta, e) {
    if (!trace) return;
    index = Math.max(0, Math.min(stages.length - 1, index + delta));
    position = 0; stopSliding(e);
    render(e);
  }
  function goTo(p, e) {
    if (!trace) return;
    position = Math.max(0, Math.min(positions() - 1, p));
    render(e);
  }
  function stopSliding(e) {
    clearInterval(sliding); sliding = null;
    if (e) e.slide.textContent = "▶ slide";
  }
  function slide(e) {
    if (!trace) return;
    if (sliding) { stopSliding(e); return; }
    if (position >= positions() - 1) position = -1;
    e.slide.textContent = "❚❚ pause";
    sliding = setInterval(() => {
      if (position >= positions() - 1) { stopSliding(e); return; }
      goTo(position + 1, e);
    }, positions() > 100 ? 40 : 250);
  }
  function clear(e) {
    if (!trace) return;
    trace = null; stopSliding(e);
    e.title.textContent = "(the network changed: step through again)";
    e.prev.disabled = true; e.next.disabled = true;
  }
  const current = () => trace;
  const stageKind = () => (trace ? stages[index].kind : null);

  return { grid, figure, bars, start, move, goTo, slide, clear, current, stageKind, LIT };
})();
