// Drawing: the network diagram, unit heatmaps, the decision surface and the curves.
// Plain canvas and SVG, no library. Colours: orange is negative (or class 0), blue positive.
"use strict";

const Draw = (() => {
  const NEG = [232, 135, 30];
  const POS = [43, 123, 185];
  const CLASS_COLOURS = [NEG, POS, [76, 160, 90], [140, 90, 180], [200, 60, 70],
    [120, 120, 120], [30, 170, 170], [170, 150, 40], [220, 100, 170], [90, 60, 40]];
  const NODE = 44;

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

  function network(container, state, onHover) {
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
      label.textContent = l === 0 ? "inputs" : l === columns - 1 ? "output" : `layer ${l}`;
      container.appendChild(label);
      nodes[l] = positions[l].map(([x, y], j) => {
        const node = document.createElement("div");
        node.className = "node";
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
        const colour = activation === "softmax" ? CLASS_COLOURS[j % 10] : null;  // P(class j)
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
      const c = mix([255, 255, 255], CLASS_COLOURS[grids.label[p] % 10], 0.15 + 0.6 * strength);
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
      const colour = rgb(CLASS_COLOURS[ys[n] % 10]);
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

  function chart(canvas, history, key, fixedTop) {
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height, pad = 24;
    ctx.clearRect(0, 0, W, H);
    const series = [[key, false], [`test_${key}`, true]];
    let top = fixedTop || 0;
    if (!fixedTop) history.forEach((h) => series.forEach(([s]) => {
      if (h[s] != null) top = Math.max(top, h[s]);
    }));
    top = top || 1;
    const last = history.length ? history[history.length - 1].step : 0;
    const sx = (step) => pad + (last ? (step / last) : 0) * (W - pad - 6);
    const sy = (v) => H - 16 - (v / top) * (H - 26);
    ctx.strokeStyle = "#dde2e8"; ctx.lineWidth = 1; ctx.beginPath();
    ctx.moveTo(pad, 6); ctx.lineTo(pad, H - 16); ctx.lineTo(W - 6, H - 16); ctx.stroke();
    ctx.fillStyle = "#5b6673"; ctx.font = "10px system-ui";
    ctx.fillText(top.toPrecision(2), 0, 12); ctx.fillText("0", 12, H - 14);
    ctx.fillText(`step ${last}`, W - 60, H - 3);
    series.forEach(([s, dashed]) => {
      const points = history.filter((h) => h[s] != null);
      if (!points.length) return;
      ctx.setLineDash(dashed ? [5, 4] : []);
      ctx.strokeStyle = "#1d232a"; ctx.lineWidth = 1.6; ctx.beginPath();
      points.forEach((h, n) => (n ? ctx.lineTo(sx(h.step), sy(h[s])) : ctx.moveTo(sx(h.step), sy(h[s]))));
      if (points.length === 1) ctx.arc(sx(points[0].step), sy(points[0][s]), 2, 0, 7);
      ctx.stroke();
    });
    ctx.setLineDash([]);
  }

  const classColour = (k) => rgb(CLASS_COLOURS[k % 10]);

  return { network, highlight, labels, surface, chart, classColour };
})();
