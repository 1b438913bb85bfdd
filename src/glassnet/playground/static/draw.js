// Drawing: the network diagram, unit heatmaps, the decision surface and the curves.
// Plain canvas and SVG, no library. Colours follow glassnet.plots.colors: blue positive, orange
// negative, white zero, purple for "look here" (the lit path, style.css's --hl) and nothing else.
"use strict";

const Draw = (() => {
  const NEG = [232, 135, 30];   // colors.NEGATIVE #e8871e
  const POS = [43, 123, 185];   // colors.POSITIVE #2b7bb9
  // One sigmoid output: its value is drawn on the weights' scale (orange 0, white 0.5, blue 1),
  // so class 0 is orange and class 1 blue. Softmax classes are classes, not signs: their colours
  // are none of blue, orange or the highlight's purple.
  const SIGN_CLASSES = [NEG, POS];
  const CLASS_COLOURS = [[46, 140, 60], [200, 50, 60], [80, 80, 80], [170, 140, 20],
    [210, 90, 160], [20, 160, 140], [120, 80, 40], [20, 90, 60], [130, 30, 60], [150, 150, 150]];
  let palette = SIGN_CLASSES;
  const NODE = 44;
  const SVG = "http://www.w3.org/2000/svg";

  function mix(a, b, t) {
    return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * t));
  }

  // t in [0, 1]: orange (0) -> white (0.5) -> blue (1)
  function diverging(t) {
    t = Math.max(0, Math.min(1, t));
    return t < 0.5 ? mix(NEG, [255, 255, 255], t * 2) : mix([255, 255, 255], POS, (t - 0.5) * 2);
  }

  function rgb(c) { return `rgb(${c[0]},${c[1]},${c[2]})`; }

  // the range a unit's output is drawn on, from its activation
  function range(activation, values) {
    if (activation === "tanh") return [-1, 1];
    if (activation === "sigmoid" || activation === "softmax") return [0, 1];
    let m = 0;
    for (const v of values) m = Math.max(m, Math.abs(v));
    return [-(m || 1), m || 1];
  }

  // colour: none for orange-white-blue, or a class colour (white -> that colour)
  function heatmap(canvas, values, res, lo, hi, colour) {
    canvas.width = res; canvas.height = res;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(res, res);
    for (let p = 0; p < res * res; p++) {
      const t = (values[p] - lo) / (hi - lo || 1);
      const c = colour ? mix([255, 255, 255], colour, Math.max(0, Math.min(1, t))) : diverging(t);
      image.data.set([c[0], c[1], c[2], 255], p * 4);
    }
    ctx.putImageData(image, 0, 0);
  }

  // an input feature over the plane: x0 grows to the right, x1 upwards
  function inputValues(feature, res, extent) {
    const out = new Array(res * res);
    for (let r = 0; r < res; r++) {
      for (let c = 0; c < res; c++) {
        const t = feature === 0 ? c / (res - 1) : 1 - r / (res - 1);
        out[r * res + c] = extent[feature][0] + t * (extent[feature][1] - extent[feature][0]);
      }
    }
    return out;
  }

  // The diagram's structure is made once per architecture and updated in place after.
  let built = null;
  // 1 when the model starts with a Rescaling or Normalization: the trace numbers that layer 1 and
  // the first Dense layer 2, while the diagram draws the Dense layers only (columns 1, 2, ...)
  let shift = 0;
  const column = (layer) => Math.max(0, layer - shift);  // a trace's layer -> a diagram column

  // the class colours of this state's output: one sigmoid unit -> the sign scale, else classes
  function usePalette(state) {
    palette = state.layers[state.layers.length - 1].units === 1 ? SIGN_CLASSES : CLASS_COLOURS;
  }

  function network(container, state, onHover) {
    usePalette(state);
    shift = state.preprocessing ? 1 : 0;
    const sizes = [state.features.length, ...state.layers.map((l) => l.units)];
    const key = [sizes.join("-"), ...state.layers.map((l) => l.activation), ...state.features].join(",");
    if (!built || built.key !== key || !container.contains(built.svg)) {
      built = layout(container, sizes, state, onHover);
      built.key = key;
    }
    update(state);
  }

  function layout(container, sizes, state, onHover) {
    const svg = container.querySelector("svg");
    container.querySelectorAll(".node, .column-label").forEach((n) => n.remove());
    svg.replaceChildren();
    const width = container.clientWidth || 600;
    const height = container.clientHeight || 440;
    const columns = sizes.length;
    const positions = sizes.map((n, l) => {
      const gap = Math.min(66, (height - 60) / n);  // room for a value label under each unit
      const x = 16 + (l * (width - NODE - 32)) / Math.max(columns - 1, 1);
      const top = 28 + (height - 40 - gap * n) / 2;
      return Array.from({ length: n }, (_, j) => [x, top + j * gap]);
    });
    const nodes = [], edges = [];
    for (let l = 1; l < columns; l++) {
      edges[l] = [];
      for (let i = 0; i < sizes[l - 1]; i++) {
        edges[l][i] = [];
        for (let j = 0; j < sizes[l]; j++) {
          const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
          const [x1, y1] = positions[l - 1][i], [x2, y2] = positions[l][j];
          line.setAttribute("x1", x1 + NODE); line.setAttribute("y1", y1 + NODE / 2);
          line.setAttribute("x2", x2); line.setAttribute("y2", y2 + NODE / 2);
          line.dataset.edge = `${l},${i},${j}`;
          line.addEventListener("mousemove", (e) => onHover(e, "edge", l, i, j));
          line.addEventListener("mouseleave", () => onHover(null));
          svg.appendChild(line);
          edges[l][i][j] = line;
        }
      }
    }
    for (let l = 0; l < columns; l++) {
      const label = document.createElement("div");
      label.className = "column-label";
      label.style.left = `${positions[l][0][0] + NODE / 2}px`;
      // hidden columns take the trace's numbers (layer 2 after a scaling layer 1), as the stage
      // titles, the unit labels and the narration do
      label.textContent = l === 0 ? "inputs" : l === columns - 1 ? "output" : `layer ${l + shift}`;
      container.appendChild(label);
      nodes[l] = positions[l].map(([x, y], j) => {
        const node = document.createElement("div");
        // the outer columns' labels align to the diagram's inside edge, so none runs off it
        node.className = l === 0 ? "node first" : l === columns - 1 ? "node last" : "node";
        node.style.left = `${x}px`; node.style.top = `${y}px`;
        node.dataset.node = `${l},${j}`;
        node.append(document.createElement("canvas"),
          Fmt.el("span", { className: "value" }, l === 0 ? state.features[j] : ""));
        if (l > 0) node.append(Fmt.el("span", { className: "bias" }));
        node.addEventListener("mousemove", (e) => onHover(e, "node", l, j));
        node.addEventListener("mouseleave", () => onHover(null));
        container.appendChild(node);
        return node;
      });
    }
    return { svg, nodes, edges, sizes, names: state.features };
  }

  function update(state) {
    let most = 0;
    state.layers.forEach((layer) => layer.kernel.forEach((row) => row.forEach((w) => {
      most = Math.max(most, Math.abs(w));
    })));
    state.layers.forEach((layer, index) => {
      const l = index + 1;
      layer.kernel.forEach((row, i) => row.forEach((w, j) => {
        const line = built.edges[l][i][j];
        line.setAttribute("stroke", rgb(w >= 0 ? POS : NEG));
        line.setAttribute("stroke-width", (0.6 + 5 * Math.abs(w) / (most || 1)).toFixed(2));
        line.setAttribute("opacity", (0.25 + 0.75 * Math.abs(w) / (most || 1)).toFixed(2));
      }));
      layer.bias.forEach((b, j) => {
        const bar = built.nodes[l][j].querySelector(".bias");
        bar.style.background = rgb(b >= 0 ? POS : NEG);
        bar.style.opacity = Math.min(1, 0.2 + Math.abs(b)).toFixed(2);
      });
    });
    const grids = state.grids;
    built.nodes.forEach((column, l) => column.forEach((node, j) => {
      const canvas = node.querySelector("canvas");
      if (!grids) { canvas.style.display = "none"; return; }
      const res = grids.unit_resolution;
      if (l === 0) {
        const values = inputValues(j, res, grids.extent);
        heatmap(canvas, values, res, ...range("linear", values));
      } else {
        const values = grids.units[l - 1][j];
        const activation = state.layers[l - 1].activation;
        const colour = activation === "softmax" ? palette[j % palette.length] : null;  // P(class j)
        heatmap(canvas, values, res, ...range(activation, values), colour);
      }
    }));
  }

  function highlight(stage) {
    if (!built) return;
    built.svg.querySelectorAll("line").forEach((e) => e.classList.remove("active", "back"));
    built.nodes.flat().forEach((n) => n.classList.remove("active", "back"));
    built.svg.classList.toggle("stepping", Boolean(stage));
    if (!stage) return;
    const cls = stage.phase === "backward" ? "back" : "active";
    const last = built.sizes.length - 1;
    const l = stage.phase === "loss" ? last : column(stage.layer);
    const scaling = shift && stage.layer === shift;  // the preprocessing layer: no weights drawn
    if (stage.phase === "update") {
      built.svg.querySelectorAll("line").forEach((e) => e.classList.add("active"));
      return;
    }
    if (!built.nodes[l]) return;
    built.nodes[l].forEach((n) => n.classList.add(cls));
    if (l > 0 && stage.phase !== "loss" && !scaling) {
      built.edges[l].flat().forEach((e) => e.classList.add(cls));
    }
  }

  function labels(values) {
    // values: {l: [text per unit]}; others cleared (inputs keep their names)
    if (!built) return;
    const shown = {};
    for (const [layer, texts] of Object.entries(values || {})) shown[column(Number(layer))] = texts;
    built.nodes.forEach((nodes, l) => nodes.forEach((node, j) => {
      const span = node.querySelector(".value");
      if (shown[l] && shown[l][j] !== undefined) span.textContent = shown[l][j];
      else span.textContent = l === 0 ? built.names[j] : "";
    }));
  }

  function surface(canvas, state, data) {
    usePalette(state);
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    const grids = state.grids;
    if (!grids) {
      ctx.fillStyle = "#5b6673"; ctx.font = "14px system-ui";
      ctx.fillText(`${state.features.length} features: no plane to draw`, 20, H / 2);
      return;
    }
    const k = Math.max(state.classes, 2), res = grids.surface_resolution;
    const image = ctx.createImageData(res, res);
    for (let p = 0; p < res * res; p++) {
      const strength = Math.max(0, (grids.confidence[p] - 1 / k) / (1 - 1 / k));
      const c = mix([255, 255, 255], palette[grids.label[p] % palette.length], 0.15 + 0.6 * strength);
      image.data.set([c[0], c[1], c[2], 255], p * 4);
    }
    const small = document.createElement("canvas");
    small.width = res; small.height = res;
    small.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, W, H);
    const [[x0lo, x0hi], [x1lo, x1hi]] = grids.extent;
    const px = (x) => ((x[0] - x0lo) / (x0hi - x0lo)) * W;
    const py = (x) => (1 - (x[1] - x1lo) / (x1hi - x1lo)) * H;
    const radius = data.x_train.length < 50 ? 7 : 3.5;
    const points = (xs, ys, hollow) => xs.forEach((x, n) => {
      ctx.beginPath();
      ctx.arc(px(x), py(x), radius, 0, 2 * Math.PI);
      const colour = rgb(palette[ys[n] % palette.length]);
      if (hollow) {
        ctx.fillStyle = "#fff"; ctx.fill();
        ctx.lineWidth = 2; ctx.strokeStyle = colour; ctx.stroke();
      } else {
        ctx.fillStyle = colour; ctx.fill();
        ctx.lineWidth = 1; ctx.strokeStyle = "#fff"; ctx.stroke();
      }
    });
    points(data.x_train, data.y_train, false);
    points(data.x_test, data.y_test, true);
  }

  // ticks at round numbers from 0 to at least `top`: a step of 1, 2, 2.5 or 5 times a power of 10
  function ticks(top, count, whole) {
    const raw = (top || 1) / count, power = 10 ** Math.floor(Math.log10(raw));
    let step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= raw * 0.999);
    if (whole) step = Math.max(1, Math.ceil(step));
    const out = [];
    for (let k = 0; out.length < 50; k++) {
      out.push(Number((k * step).toPrecision(6)));
      if (k * step >= (top || 1) * 0.999) break;
    }
    return out;
  }

  function svgNode(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A curve of history[key] (solid, train) and history[`test_${key}`] (dashed) against the step,
  // on an SVG with a labelled axis each ("step"; "loss" or "accuracy") and numbered ticks.
  function chart(svg, history, key, fixedTop) {
    const W = 340, H = 150, left = 46, right = 12, top = 8, bottom = 34;
    const series = [[key, false], [`test_${key}`, true]];
    let most = fixedTop || 0;
    if (!fixedTop) history.forEach((h) => series.forEach(([s]) => {
      if (h[s] != null && Number.isFinite(h[s])) most = Math.max(most, h[s]);
    }));
    const yTicks = ticks(most, 4, false), yTop = yTicks[yTicks.length - 1];
    const last = history.length ? history[history.length - 1].step : 0;
    const xTicks = ticks(last, 4, true).filter((t) => t <= Math.max(last, 1));
    const xTop = Math.max(last, xTicks[xTicks.length - 1], 1);
    const sx = (step) => left + (step / xTop) * (W - left - right);
    const sy = (v) => H - bottom - (Math.min(v, yTop) / yTop) * (H - top - bottom);
    const parts = [];
    yTicks.forEach((t) => {
      parts.push(svgNode("line", { x1: left, x2: W - right, y1: sy(t), y2: sy(t), stroke: "#eef1f5" }));
      parts.push(svgNode("text", { class: "y-tick", x: left - 5, y: sy(t) + 3.5, "text-anchor": "end" }, String(t)));
    });
    xTicks.forEach((t) => {
      parts.push(svgNode("line", { x1: sx(t), x2: sx(t), y1: H - bottom, y2: H - bottom + 4, stroke: "#9aa5b1" }));
      parts.push(svgNode("text", { class: "x-tick", x: sx(t), y: H - bottom + 15, "text-anchor": "middle" }, String(t)));
    });
    parts.push(svgNode("path", { d: `M${left},${top} V${H - bottom} H${W - right}`, stroke: "#9aa5b1", fill: "none" }));
    parts.push(svgNode("text", { class: "x-label", x: (left + W - right) / 2, y: H - 3, "text-anchor": "middle" }, "step"));
    const ty = (top + H - bottom) / 2;
    parts.push(svgNode("text", { class: "y-label", x: 11, y: ty, "text-anchor": "middle",
      transform: `rotate(-90 11 ${ty})` }, key));
    series.forEach(([s, dashed]) => {
      const points = history.filter((h) => h[s] != null && Number.isFinite(h[s]));
      if (!points.length) return;
      const xy = points.map((h) => `${sx(h.step).toFixed(1)},${sy(h[s]).toFixed(1)}`).join(" ");
      parts.push(svgNode("polyline", { points: xy, fill: "none", stroke: "#1d232a", "stroke-width": 1.6,
        "stroke-dasharray": dashed ? "5 4" : "none", class: dashed ? "test" : "train" }));
      if (points.length === 1) {
        const [x, y] = xy.split(",");
        parts.push(svgNode("circle", { cx: x, cy: y, r: 2.5, fill: "#1d232a" }));
      }
    });
    svg.replaceChildren(...parts);
  }

  // class k's colour for this state's output (see usePalette)
  const classColour = (k, state) => {
    if (state) usePalette(state);
    return rgb(palette[k % palette.length]);
  };
  // the input units' names (the features), for the step-through's labels
  const inputNames = () => (built ? built.names : []);

  return { network, highlight, labels, surface, chart, classColour, inputNames, ticks };
})();
