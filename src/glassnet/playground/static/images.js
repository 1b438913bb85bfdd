// The images tab: shape a small conv net, train it on the 8x8 digits (or the MNIST sample),
// draw a digit for it to read, and step one example through it. The engine runs on the server
// (/api/images/...); every answer is checked on arrival (Checks.image*) and set as text.
// Uses the page's api() and showError() (app.js) and the tabs' buttons.
"use strict";

const Images = (() => {
  const $ = (id) => document.getElementById(id);
  const el = Fmt.el;
  let limits = { max_conv_layers: 2, min_filters: 1, max_filters: 16, min_kernel_size: 2,
    max_kernel_size: 5, pool_size: 2, max_batch_size: 32, max_steps_per_request: 500,
    max_image_sessions: 16, evaluated_examples: 500 };  // until GET /api/limits answers
  let datasets = [{ name: "digits", label: "8x8 digits", unavailable: null }];
  let blocks = [{ filters: 4, kernel_size: 3, pooling: "max" }];
  let session = null, playing = false, generation = 0, opened = false, changeTimer = null;
  let inked = false, predicting = false, again = false, drawing = null;

  const size = (name) => (name === "mnist" ? [28, 28] : [8, 8]);
  const elements = () => ({
    title: $("img-stage-title"), prev: $("img-prev"), next: $("img-next"), slider: $("img-slider"),
    position: $("img-position"), positionLabel: $("img-position-label"), slide: $("img-slide"),
    pictures: $("img-pictures"), words: $("img-words"),
  });

  // -- the setup ---------------------------------------------------------------------------
  function options(values, chosen, label) {
    return values.map((v) => el("option", { value: String(v), selected: v === chosen }, label ? label(v) : String(v)));
  }

  function renderBlocks() {
    const range = (lo, hi) => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
    $("img-layers").replaceChildren(...blocks.map((block, i) => {
      const pick = (key, values, label, parse) => el("select", {
        title: key, onchange: (e) => { block[key] = parse(e.target.value); changed(); },
      }, ...options(values, block[key], label));
      return el("div", { className: "conv-row" },
        el("span", { className: "name" }, `conv ${i + 1}`),
        pick("filters", range(limits.min_filters, limits.max_filters), (v) => `${v} filters`, Number),
        pick("kernel_size", range(limits.min_kernel_size, limits.max_kernel_size), (v) => `${v}x${v}`, Number),
        pick("pooling", ["none", "max", "average"], (v) => ({ none: "no pool", max: "max pool", average: "avg pool" })[v], String),
        el("button", { className: "small", title: "remove this conv layer", disabled: blocks.length === 1,
          onclick: () => { blocks.splice(i, 1); changed(); } }, "×"));
    }));
    $("img-add-layer").disabled = blocks.length >= limits.max_conv_layers;
  }

  function renderDatasets() {
    const chosen = $("img-dataset").value || "digits";
    $("img-dataset").replaceChildren(...datasets.map((d) => el("option", {
      value: d.name, disabled: d.unavailable != null, selected: d.name === chosen,
      title: d.unavailable ? `${d.name} ${d.unavailable}` : "",
    }, d.label + (d.unavailable ? " (not installed)" : ""))));
    const off = datasets.filter((d) => d.unavailable != null);
    $("img-dataset-note").textContent = off.map((d) => `${d.label}: ${d.unavailable}.`).join(" ");
    $("img-dataset-note").hidden = !off.length;
  }

  function readConfig() {
    const read = (id, where, lo, hi, whole) => Checks.input($(id), where, lo, hi, whole);
    const config = {
      dataset: $("img-dataset").value,
      conv: blocks.map((b) => ({ ...b })),
      optimizer: $("img-optimizer").value,
      learning_rate: read("img-learning-rate", "learning rate", 0.000001, 10),
      batch_size: read("img-batch-size", "batch size", 1, limits.max_batch_size, true),
      seed: read("img-seed", "seed", 0, 2147483647, true),
    };
    Checks.imageShapes(config, size(config.dataset), limits);  // the server's own rule
    return config;
  }

  function preview() {
    try {
      const shapes = Checks.imageShapes({ conv: blocks }, size($("img-dataset").value), limits);
      $("img-preview").textContent = shapes.join(" → ");
      $("img-preview").classList.remove("bad");
    } catch (error) {
      $("img-preview").textContent = error.message;
      $("img-preview").classList.add("bad");
    }
  }

  function changed() {
    renderBlocks(); preview();
    clearTimeout(changeTimer);
    changeTimer = setTimeout(build, 300);
  }

  // -- building and training ---------------------------------------------------------------
  async function build() {
    clearTimeout(changeTimer);
    stop();
    let config;
    try { config = readConfig(); } catch (error) { showError(error); return; }
    const mine = ++generation;
    try {
      const state = await api("POST", "/api/images", config);
      if (mine === generation) show(state, true);
    } catch (error) { if (mine === generation) showError(error); }
  }

  async function act(path, body) {
    if (!session) return;
    const mine = generation;
    try {
      const state = await api("POST", `/api/images/${session.id}/${path}`, body);
      if (mine === generation) show(state, false);
    } catch (error) { if (mine === generation) showError(error); }
  }

  const num = (v) => (v == null ? "–" : Number(v).toPrecision(4));
  const pct = (v) => (v == null ? "–" : `${(100 * v).toFixed(1)}%`);

  function show(state, fresh) {
    Checks.imageState(state);
    const sizeChanged = !session || session.input_size[0] !== state.input_size[0];
    session = state;
    const m = state.metrics;
    $("img-step-count").textContent = state.step;
    $("img-epoch-count").textContent = `${state.epoch}` + (state.batch_in_epoch ? ` +${state.batch_in_epoch}/${state.batches_per_epoch}` : "");
    $("img-train-loss").textContent = num(m.loss); $("img-test-loss").textContent = num(m.test_loss);
    $("img-train-acc").textContent = pct(m.accuracy); $("img-test-acc").textContent = pct(m.test_accuracy);
    $("img-shapes").replaceChildren(...state.shapes.map((s) => el("li", {}, s)));
    $("img-params").textContent = `${state.parameters} weights`;
    $("img-eval-note").textContent = `${state.train_size} training and ${state.test_size} test images; ` +
      `loss and accuracy over the first ${state.evaluated[0]} and ${state.evaluated[1]}.`;
    const top = Math.max(1e-12, ...state.kernels.flat(2).map(Math.abs));
    $("img-kernels").replaceChildren(...state.kernels.map((k, f) =>
      ImageSteps.figure(`filter ${f}`, ImageSteps.grid(k, { cell: 12, top }))));
    Draw.chart($("img-loss-chart"), state.history, "loss");
    Draw.chart($("img-acc-chart"), state.history, "accuracy", 1);
    if (fresh) {
      const filters = state.config.conv[0].filters;
      $("img-filter").replaceChildren(...options(Array.from({ length: filters }, (_, f) => f), 0));
      if (sizeChanged) clearPad();
    }
    limitExample();
    ImageSteps.clear(elements());
    if (inked) predictDrawing();
    if (state.stopped) showError(new Error(state.stopped));
  }

  function limitExample() {
    if (!session) return;
    const count = $("img-trace-split").value === "test" ? session.test_size : session.train_size;
    $("img-trace-example").max = count - 1;
  }

  function stop() { playing = false; $("img-play").textContent = "▶ Play"; }

  async function play() {
    if (playing) { stop(); return; }
    playing = true;
    $("img-play").textContent = "❚❚ Pause";
    while (playing && session) {
      await act("train", { steps: Number($("img-speed").value) });
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
  }

  // -- drawing: the pad, downscaled to the input size, read by the net as you draw ----------
  function clearPad() {
    const pad = $("img-pad");
    pad.getContext("2d").clearRect(0, 0, pad.width, pad.height);
    inked = false;
    const [h, w] = session ? session.input_size : [8, 8];
    const blank = Array.from({ length: h }, () => new Array(w).fill(0));
    $("img-small").replaceChildren(ImageSteps.grid(blank, { grey: true, fit: 112 }));
    $("img-probs").replaceChildren(el("p", { className: "note" }, "Draw a digit on the left: the net's probabilities appear here."));
  }

  function point(event) {
    const pad = $("img-pad"), box = pad.getBoundingClientRect();
    return [(event.clientX - box.left) * (pad.width / box.width), (event.clientY - box.top) * (pad.height / box.height)];
  }

  function stroke(event) {
    const ctx = $("img-pad").getContext("2d");
    const [x, y] = point(event);
    ctx.strokeStyle = "#000"; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.lineWidth = session && session.input_size[0] > 10 ? 22 : 30;  // MNIST's strokes are thinner
    ctx.beginPath(); ctx.moveTo(...(drawing || [x, y])); ctx.lineTo(x, y); ctx.stroke();
    drawing = [x, y];
    inked = true;
    predictDrawing();
  }

  // the ink's bounding box, fitted (aspect kept) into the box MNIST's digits fill (20 of 28
  // pixels) or the 8x8 digits fill (all 8), centred, averaged down: rows of numbers in [0, 1]
  function downscale() {
    const pad = $("img-pad"), [h, w] = session.input_size;
    const alpha = pad.getContext("2d").getImageData(0, 0, pad.width, pad.height).data;
    let top = pad.height, bottom = -1, left = pad.width, right = -1;
    for (let y = 0; y < pad.height; y++) for (let x = 0; x < pad.width; x++) {
      if (alpha[(y * pad.width + x) * 4 + 3] > 20) {
        top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
      }
    }
    const out = Array.from({ length: h }, () => new Array(w).fill(0));
    if (bottom < 0) return out;
    const fine = 4, box = (h > 10 ? 20 : h) * fine;
    const bw = right - left + 1, bh = bottom - top + 1, scale = box / Math.max(bw, bh);
    const small = el("canvas", { width: w * fine, height: h * fine });
    const ctx = small.getContext("2d");
    ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = "high";
    ctx.drawImage(pad, left, top, bw, bh, (w * fine - bw * scale) / 2, (h * fine - bh * scale) / 2, bw * scale, bh * scale);
    const data = ctx.getImageData(0, 0, w * fine, h * fine).data;
    let most = 0;
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) {
      let sum = 0;
      for (let i = 0; i < fine; i++) for (let j = 0; j < fine; j++) sum += data[((r * fine + i) * w * fine + c * fine + j) * 4 + 3];
      out[r][c] = sum / (fine * fine * 255);
      most = Math.max(most, out[r][c]);
    }
    return out.map((row) => row.map((v) => Math.round(1000 * Math.min(1, v / (most || 1))) / 1000));
  }

  async function predictDrawing() {
    if (!session || !inked) return;
    if (predicting) { again = true; return; }
    predicting = true;
    const mine = generation;
    try {
      do {
        again = false;
        const pixels = downscale();
        $("img-small").replaceChildren(ImageSteps.grid(pixels, { grey: true, fit: 112 }));
        const answer = Checks.imagePrediction(await api("POST", `/api/images/${session.id}/predict`, { pixels }));
        if (mine !== generation) return;
        ImageSteps.bars($("img-probs"), answer.probabilities);
      } while (again);
    } catch (error) { showError(error); } finally { predicting = false; }
  }

  // -- the step-through ----------------------------------------------------------------------
  async function traceExample() {
    if (!session) return;
    stop();
    try {
      const example = Checks.input($("img-trace-example"), "example", 0, Number($("img-trace-example").max), true);
      const result = await api("POST", `/api/images/${session.id}/trace`, {
        example, split: $("img-trace-split").value, filter: Number($("img-filter").value),
      });
      ImageSteps.start(Checks.imageTrace(result), elements());
    } catch (error) { showError(error); }
  }

  // -- the tabs and the wiring ----------------------------------------------------------------
  async function open() {
    history.replaceState(null, "", "#images");  // a link to the page opens this tab
    window.playground.stop();  // the dense tab's Play stops when it is out of sight
    $("tab-dense").hidden = true; $("tab-images").hidden = false;
    $("tab-dense-button").setAttribute("aria-selected", "false");
    $("tab-images-button").setAttribute("aria-selected", "true");
    if (opened) return;
    opened = true;
    try {
      const info = Checks.imageLimits((await api("GET", "/api/limits")).images, Object.keys(limits));
      limits = info.limits;
      datasets = info.datasets;
    } catch (error) { showError(error); }
    const L = limits;
    $("img-limits").textContent = `Limits: ${L.max_conv_layers} conv layers of ${L.min_filters} to ` +
      `${L.max_filters} filters, stamps ${L.min_kernel_size}x${L.min_kernel_size} to ` +
      `${L.max_kernel_size}x${L.max_kernel_size}, batches of at most ${L.max_batch_size}, ` +
      `${L.max_steps_per_request} steps per request, ${L.max_image_sessions} live image sessions.`;
    renderDatasets(); renderBlocks(); preview(); clearPad();
    await build();
  }

  function close() {
    stop();
    $("tab-images").hidden = true; $("tab-dense").hidden = false;
    if (window.playground.session) saveUrl(window.playground.session.config);  // the dense link
    $("tab-images-button").setAttribute("aria-selected", "false");
    $("tab-dense-button").setAttribute("aria-selected", "true");
  }

  function wire() {
    $("tab-images-button").onclick = open;
    $("tab-dense-button").onclick = close;
    $("img-build").onclick = build;
    $("img-reset").onclick = () => { stop(); act("reset"); };
    $("img-step").onclick = () => { stop(); act("train", { steps: 1 }); };
    $("img-play").onclick = play;
    $("img-speed").oninput = () => { $("img-speed-label").textContent = `${$("img-speed").value} steps / frame`; };
    $("img-add-layer").onclick = () => { blocks.push({ filters: 4, kernel_size: 2, pooling: "none" }); changed(); };
    for (const id of ["img-dataset", "img-optimizer", "img-learning-rate", "img-batch-size", "img-seed"]) {
      $(id).addEventListener("change", changed);
    }
    $("img-trace-split").onchange = limitExample;
    $("img-trace").onclick = traceExample;
    $("img-prev").onclick = () => ImageSteps.move(-1, elements());
    $("img-next").onclick = () => ImageSteps.move(1, elements());
    $("img-position").oninput = () => ImageSteps.goTo(Number($("img-position").value), elements());
    $("img-slide").onclick = () => ImageSteps.slide(elements());
    $("img-clear").onclick = clearPad;
    const pad = $("img-pad");
    pad.addEventListener("pointerdown", (e) => { pad.setPointerCapture(e.pointerId); drawing = null; stroke(e); });
    pad.addEventListener("pointermove", (e) => { if (drawing) stroke(e); });
    for (const end of ["pointerup", "pointercancel"]) pad.addEventListener(end, () => { drawing = null; });
    document.addEventListener("keydown", (e) => {
      if ($("tab-images").hidden || ["INPUT", "SELECT", "BUTTON", "A", "LABEL"].includes(e.target.tagName)) return;
      if (e.key === "ArrowRight") ImageSteps.move(1, elements());
      if (e.key === "ArrowLeft") ImageSteps.move(-1, elements());
    });
  }

  wire();
  if (location.hash === "#images") open();
  return { open, get session() { return session; } };
})();
