// The playground page: controls -> JSON API -> drawings. The engine runs on the server.
"use strict";

const $ = (id) => document.getElementById(id);
const DEFAULT = {
  dataset: { name: "xor", n_samples: 200, noise: 0.1, classes: 3, test_fraction: 0 },
  layers: [{ units: 4, activation: "tanh", use_bias: true }],
  loss: "binary_crossentropy", optimizer: "sgd", learning_rate: 0.5, batch_size: 4, l2: 0, seed: 0,
  l1: 0, output_bias: true, initializer: "glorot_uniform",
};
let limits = { max_hidden_layers: 6, max_units: 8, min_samples: 10, max_samples: 1000,
  max_csv_bytes: 200000, max_body_bytes: 1000000 };  // until GET /api/limits answers
let choices = {  // what a setup may name, from GET /api/limits
  datasets: ["xor", "xor_seed", "moons", "circles", "spiral", "blobs", "sine", "csv"],
  activations: ["tanh", "relu", "sigmoid", "leaky_relu", "linear"],
  losses: ["binary_crossentropy", "categorical_crossentropy", "mse", "half_sum_squared_error"],
  optimizers: ["sgd", "adam", "rmsprop"],
  initializers: ["glorot_uniform", "seed_notebook"],
};
let presets = {};     // the server's preset setups ("the seed"), from GET /api/limits
const SQUARED = ["mse", "half_sum_squared_error"];  // the losses a regression set takes
let layers = DEFAULT.layers.map((l) => ({ ...l }));
let csv = { text: null, name: "" };
let session = null;   // the latest state from the server
let data = null;      // the session's examples
let playing = false;
let pending = 0;      // requests in flight
let generation = 0;   // builds started; an older build's answer is dropped

const stepperElements = () => ({
  title: $("stage-title"), stage: $("stage"), narration: $("narration"),
  prev: $("prev"), next: $("next"),
});

// -- talking to the server ---------------------------------------------------------------
async function api(method, path, body, raw) {
  pending++;
  document.body.dataset.busy = "1";
  try {
    const options = { method, headers: {} };
    if (raw !== undefined) { options.body = raw; options.headers["Content-Type"] = "application/octet-stream"; }
    else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
    const response = await fetch(path, options);
    let answer;
    try { answer = await response.json(); } catch { answer = null; }
    if (!response.ok || answer === null || typeof answer !== "object") {
      const message = answer && typeof answer.error === "string" ? answer.error : "";
      throw new Error(message || `${response.status} ${response.statusText}`);
    }
    hideError();
    return answer;
  } finally {
    pending--;
    if (!pending) document.body.dataset.busy = "0";
  }
}

function showError(error) {
  $("error-text").textContent = Fmt.plain((error && error.message) || String(error));
  $("error").hidden = false;
  stop();
}
function hideError() { $("error").hidden = true; }

// -- the setup: controls <-> config <-> URL -----------------------------------------------
function readConfig() {
  const name = $("dataset").value;
  const read = (id, where, lo, hi, whole) => Checks.input($(id), where, lo, hi, whole);
  const dataset = {
    name,
    n_samples: read("n-samples", "examples", limits.min_samples, limits.max_samples, true),
    noise: read("noise", $("noise-name").textContent, 0, 1),
    classes: read("classes", "classes", 2, 5, true),
    test_fraction: read("test-fraction", "test share", 0, 0.5),
  };
  if (name === "csv") {
    dataset.csv = csv.text || "";
    if ($("csv-target").value.trim()) dataset.target = $("csv-target").value.trim();
  }
  return {
    dataset,
    layers: layers.map((l) => ({ ...l })),
    loss: $("loss").value,
    optimizer: $("optimizer").value,
    learning_rate: read("learning-rate", "learning rate", 0.000001, 10),
    batch_size: read("batch-size", "batch size", 1, limits.max_samples, true),
    l1: read("l1", "L1", 0, 1),
    l2: read("l2", "L2", 0, 1),
    seed: read("seed", "seed", 0, 2147483647, true),
    output_bias: $("output-bias").checked,
    initializer: $("initializer").value,
  };
}

function writeConfig(config) {
  const d = { ...DEFAULT.dataset, ...(config.dataset || {}) };
  $("dataset").value = d.name;
  $("n-samples").value = d.n_samples; $("noise").value = d.noise;
  $("classes").value = d.classes; $("test-fraction").value = d.test_fraction;
  if (d.target) $("csv-target").value = d.target;
  layers = (config.layers || DEFAULT.layers).map((l) => ({ use_bias: true, ...l }));
  for (const key of ["loss", "optimizer", "initializer"]) $(key).value = config[key] ?? DEFAULT[key];
  $("l1").value = config.l1 ?? 0; $("output-bias").checked = config.output_bias ?? true;
  $("learning-rate").value = config.learning_rate ?? DEFAULT.learning_rate;
  $("batch-size").value = config.batch_size ?? DEFAULT.batch_size;
  $("l2").value = config.l2 ?? 0; $("seed").value = config.seed ?? 0;
  showDatasetFields(); renderLayers();
}

// the setup a shared link carries, validated field by field: {config, problems}
function configFromUrl() {
  const hash = location.hash.slice(1);
  if (!hash || hash === "images") return { config: DEFAULT, problems: [] };  // #images: images.js
  let raw;
  try { raw = JSON.parse(decodeURIComponent(hash)); } catch {
    return { config: DEFAULT, problems: ["the setup is not readable JSON"] };
  }
  return Checks.setup(raw, DEFAULT, choices, limits);
}

function saveUrl(config) {
  if (!$("tab-images").hidden) return;  // the images tab's link is #images
  const shared = JSON.parse(JSON.stringify(config));
  delete shared.dataset.csv; // a file does not fit in a link
  if ($("discretize").checked) shared.discretize = true;  // a view setting: the page's own
  history.replaceState(null, "", "#" + encodeURIComponent(JSON.stringify(shared)));
}

function showDatasetFields() {
  const name = $("dataset").value;
  document.querySelectorAll(".for-generated").forEach((e) => (e.hidden = ["csv", "xor", "xor_seed"].includes(name)));
  document.querySelectorAll(".for-classes").forEach((e) => (e.hidden = !["spiral", "blobs"].includes(name)));
  document.querySelectorAll(".for-csv").forEach((e) => (e.hidden = name !== "csv"));
  $("noise-name").textContent = name === "blobs" ? "spread (std)" : "noise";
}

function renderLayers() {
  const el = Fmt.el;
  $("layers").replaceChildren(...layers.map((layer, i) => {
    const button = (text, title, act) => el("button", { className: "small", title, onclick: act }, text);
    const select = el("select", { onchange: (e) => { layer.activation = e.target.value; changed(); } },
      ...choices.activations.map((a) => el("option", { value: a, selected: a === layer.activation }, a)));
    // "b": this layer's bias; untick for none, z = a W, as the seed's layers have it
    const bias = el("label", { className: "bias-switch", title: "bias b (untick: none, z = a W, as the seed's layers)" },
      el("input", { type: "checkbox", checked: layer.use_bias !== false, ariaLabel: `layer ${i + 1} bias`,
        onchange: (e) => { layer.use_bias = e.target.checked; changed(); } }), "b");
    return el("div", { className: "layer-row" },
      el("span", { className: "name" }, `layer ${i + 1}`),
      button("−", "one unit fewer", () => { layer.units = Math.max(1, layer.units - 1); changed(); }),
      el("span", { className: "units" }, String(layer.units)),
      button("+", "one unit more", () => { layer.units = Math.min(limits.max_units, layer.units + 1); changed(); }),
      select, bias,
      button("×", "remove this layer", () => { layers.splice(i, 1); changed(); }));
  }));
  $("add-layer").disabled = layers.length >= limits.max_hidden_layers;
}

// XOR's four points are all for training; other sets keep a quarter aside for testing
function datasetChanged() {
  const xor = ["xor", "xor_seed"].includes($("dataset").value);
  if (xor) $("test-fraction").value = 0;
  else if (Number($("test-fraction").value) === 0) $("test-fraction").value = 0.25;
  if (["spiral", "blobs"].includes($("dataset").value) && Number($("classes").value) > 2 &&
      $("loss").value === "binary_crossentropy") $("loss").value = "categorical_crossentropy";
  if ($("dataset").value === "sine" && !SQUARED.includes($("loss").value)) $("loss").value = "mse";
  changed();
}

let changeTimer = null;
function changed() {
  renderLayers(); showDatasetFields();
  clearTimeout(changeTimer);
  changeTimer = setTimeout(build, 250);
}

// -- building and training ----------------------------------------------------------------
async function build() {
  clearTimeout(changeTimer);
  stop();
  let config;
  try { config = readConfig(); } catch (error) { showError(error); return; }
  if (config.dataset.name === "csv" && !csv.text) {
    showError(new Error("Choose a CSV file first (a header row, numeric features, a class column)."));
    return;
  }
  const mine = ++generation;
  try {
    const state = await api("POST", "/api/sessions", config);
    if (mine !== generation) return;
    show(state);
  } catch (error) { if (mine === generation) showError(error); }
}

async function act(path, body) {
  if (!session) return;
  const mine = generation;  // a build while this was in flight makes its answer stale
  try {
    const state = await api("POST", `/api/sessions/${session.id}/${path}`, body);
    if (mine === generation) show(state);
  } catch (error) { if (mine === generation) showError(error); }
}

function show(state) {
  Checks.state(state, choices.activations);
  if (state.data) data = state.data;
  const first = !session || session.id !== state.id;
  session = state;
  if (first || state.data) {
    writeConfig(state.config);
    saveUrl(state.config);
  }
  const m = state.metrics;
  $("step-count").textContent = state.step;
  $("epoch-count").textContent = `${state.epoch}` + (state.batch_in_epoch ? ` +${state.batch_in_epoch}/${state.batches_per_epoch}` : "");
  $("train-loss").textContent = num(m.loss);
  $("test-loss").textContent = m.test_loss == null ? "–" : num(m.test_loss);
  $("train-acc").textContent = pct(m.accuracy);
  $("test-acc").textContent = m.test_accuracy == null ? "–" : pct(m.test_accuracy);
  const sizes = [state.features.length, ...state.layers.map((l) => l.units)];
  $("shape").textContent = sizes.join("-") + (state.imported ? " (imported weights)" : "");
  $("preprocessing-note").textContent = state.preprocessing || "";  // a Normalization first
  $("preprocessing-note").hidden = !state.preprocessing;
  const out = state.layers[state.layers.length - 1];
  $("output-note").textContent = state.regression
    ? `Output: Dense(${out.units}, ${out.activation}): a number to fit, not a class.`
    : `Output: Dense(${out.units}, ${out.activation}), from the loss and the ${state.classes} classes.`;
  $("class-legend").replaceChildren(...state.class_names.map((name, k) => {
    const dot = Fmt.el("span", { className: "dot" }, "●");
    dot.style.color = Draw.classColour(k, state);
    return Fmt.el("span", { className: "class-name" }, dot, ` ${name}`);
  }));
  $("surface-note").textContent = out.units === 1
    ? "Shade: the output's value on the weights' scale: orange toward 0 (class 0), white at 0.5, " +
      "blue toward 1 (class 1)."
    : "Shade: the likeliest class's colour, paler where the net is less sure (class colours, " +
      "not signs).";
  if (state.config.dataset.name === "csv" && data) {  // the rows read, not the header
    $("csv-name").textContent = `${Fmt.visible(csv.name)}: ${data.x_train.length + data.x_test.length} rows`;
  }
  $("export-py").href = `/api/sessions/${state.id}/export.py`;
  $("export-model").href = `/api/sessions/${state.id}/export.glassnet`;
  Draw.network($("diagram"), state, hover);
  drawOutput(state);
  Draw.chart($("loss-chart"), state.history, "loss");
  Draw.chart($("acc-chart"), state.history, "accuracy", 1);
  $("trace-example").max = Math.max(0, data.x_train.length - 1);
  Stepper.clear(stepperElements());
  if (state.stopped) showError(new Error(state.stopped));
}

// the decision surface, or a regression's fitted curve; the outputs of a small set, listed
function drawOutput(state) {
  $("surface-title").textContent = state.curve ? "Fitted curve" : "Decision surface";
  $("discretize-row").hidden = Boolean(state.curve);
  if (state.curve) Curve.draw($("surface"), state, data);
  else if (state.grids && $("discretize").checked) {  // each point at full strength: its class
    const grids = { ...state.grids, confidence: state.grids.confidence.map(() => 1) };
    Draw.surface($("surface"), { ...state, grids }, data);
  } else Draw.surface($("surface"), state, data);
  const rows = state.predictions;
  $("predictions").hidden = !rows;
  if (rows) {
    $("predictions-count").textContent = String(rows.length);
    const fixed = (v) => (v == null ? "nan" : v.toFixed(3));  // null: a NaN or inf in JSON
    const shown = (row) => row.length === 1 ? fixed(row[0]) : `(${row.map(fixed).join(", ")})`;
    $("predictions-values").textContent = `[${rows.map(shown).join(" ")}]`;
  }
}

function seedPreset() {
  if (!presets.seed) return;
  writeConfig(presets.seed);
  build();
}

async function trainSteps() {
  let steps;
  try { steps = Checks.input($("train-steps"), "steps", 1, limits.max_steps_per_request || 5000, true); }
  catch (error) { showError(error); return; }
  stop();
  await act("train", { steps });
}

function num(v) { return v == null ? "–" : Number(v).toPrecision(6); }
function pct(v) { return v == null ? "–" : `${(100 * v).toFixed(1)}%`; }

function stop() {
  playing = false;
  $("play").textContent = "▶ Play";
}

async function play() {
  if (playing) { stop(); return; }
  playing = true;
  $("play").textContent = "❚❚ Pause";
  while (playing && session) {
    await act("train", { steps: Number($("speed").value) });
    await new Promise((resolve) => setTimeout(resolve, 80));
  }
}

// -- hovering: a unit's or a weight's value and gradient ----------------------------------
function hover(event, kind, l, i, j) {
  const tip = $("tooltip");
  if (!event) { tip.hidden = true; return; }
  const lines = [];
  const trace = Stepper.current();
  // the trace numbers a leading Rescaling/Normalization as layer 1: its Dense layers come after
  const t = (n) => n + (session.preprocessing ? 1 : 0);
  const n = t(l);  // this layer's number in the narration and the stage titles (W2 after a scaling)
  const pick = (symbol, r, c) => {
    if (!trace) return null;
    for (const s of trace.stages) for (const e of s.entries) {
      if (e.symbol === symbol) return c === undefined ? e.value[r] : e.value[r][c];
    }
    return null;
  };
  if (kind === "edge") {
    const layer = session.layers[l - 1];
    lines.push(`W${n}[${i},${j}] = ${num(layer.kernel[i][j])}`);
    lines.push(`dC/dW${n}[${i},${j}] = ${num(layer.kernel_gradient[i][j])}  (last batch)`);
    const a = pick(`a${t(l - 1)}`, 0, i), d = pick(`delta${t(l)}`, 0, j), g = pick(`dC/dW${t(l)}`, i, j);
    if (a != null) {  // the formulas with this example's numbers plugged in
      const w = layer.kernel[i][j];
      lines.push(`forward:  a${n - 1}[${i}] * W${n}[${i},${j}] = ${Fmt.short(a)} * ${Fmt.short(w)} = ${Fmt.short(a * w)}`);
      lines.push(`backward: dC/dW${n}[${i},${j}] = a${n - 1}[${i}] * delta${n}[${j}] = ${Fmt.short(a)} * ${Fmt.short(d)} = ${num(g)}`);
    }
  } else if (l === 0) {
    lines.push(`input ${session.features[i]}`);
    const x = pick("a0", 0, i);
    if (x != null) lines.push(`a0 = x = ${num(x)}`);
    const scaled = session.preprocessing ? pick("a1", 0, i) : null;
    if (scaled != null) lines.push(`a1 = ${num(scaled)}  (scaled inside the model)`);
  } else {
    const layer = session.layers[l - 1];
    lines.push(`layer ${n}, unit ${i} (${layer.activation})`);
    if (layer.use_bias === false) lines.push(`no bias: z${n} = a${n - 1} W${n}`);
    else {
      lines.push(`b${n}[${i}] = ${num(layer.bias[i])}`);
      lines.push(`dC/db${n}[${i}] = ${num(layer.bias_gradient[i])}  (last batch)`);
    }
    if (session.grids) {
      const values = session.grids.units[l - 1][i];
      lines.push(`a${n}[${i}] over the plane: ${Fmt.short(Math.min(...values))} to ${Fmt.short(Math.max(...values))}`);
    }
    const z = pick(`z${t(l)}`, 0, i);
    if (z != null) {  // the formulas with this example's numbers plugged in
      const terms = layer.kernel.map((row, k) => `${Fmt.short(pick(`a${t(l - 1)}`, 0, k))}·${Fmt.short(row[i])}`);
      const b = layer.use_bias === false ? "" : ` + ${Fmt.short(layer.bias[i])}`;
      lines.push(`z${n}[${i}] = ${terms.join(" + ")}${b} = ${num(z)}`);
      lines.push(`a${n}[${i}] = ${layer.activation}(${Fmt.short(z)}) = ${num(pick(`a${t(l)}`, 0, i))}`);
      lines.push(`delta${n}[${i}] = dC/dz${n}[${i}] = ${num(pick(`delta${t(l)}`, 0, i))}`);
    }
  }
  tip.textContent = lines.join("\n");
  tip.hidden = false;
  tip.style.left = `${event.clientX + 14}px`;
  tip.style.top = `${event.clientY + 12}px`;
}

// -- wiring -------------------------------------------------------------------------------
async function traceExample() {
  if (!session) return;
  stop();
  try {
    const result = await api("POST", `/api/sessions/${session.id}/trace`, {
      example: Number($("trace-example").value), split: $("trace-split").value, level: $("level").value,
    });
    Stepper.start(Checks.trace(result), stepperElements());
  } catch (error) { showError(error); }
}

// a file too large is refused before the page reads it (the server refuses it too)
function tooLarge(file, most, what) {
  if (file.size <= most) return false;
  showError(new Error(`${file.name} has ${file.size} bytes; the playground takes ${what} of at ` +
    `most ${most} bytes. Choose a smaller file.`));
  return true;
}

async function importModel(file) {
  if (!session || !file || tooLarge(file, limits.max_body_bytes, "a .glassnet file")) return;
  try { show(await api("POST", `/api/sessions/${session.id}/import`, undefined, await file.arrayBuffer())); }
  catch (error) { showError(error); }
}

function wire() {
  $("build").onclick = build;
  $("reset").onclick = () => { stop(); act("reset"); };
  $("step").onclick = () => { stop(); act("train", { steps: 1 }); };
  $("epoch").onclick = () => { stop(); act("train", { epochs: 1 }); };
  $("play").onclick = play;
  $("speed").oninput = () => { $("speed-label").textContent = `${$("speed").value} steps / frame`; };
  $("add-layer").onclick = () => { layers.push({ units: 4, activation: "tanh", use_bias: true }); changed(); };
  $("preset-seed").onclick = seedPreset;
  $("train-n").onclick = trainSteps;
  $("discretize").addEventListener("change", () => {
    if (session) { drawOutput(session); saveUrl(session.config); }
  });
  $("error-close").onclick = hideError;
  $("dataset").addEventListener("change", datasetChanged);
  for (const id of ["n-samples", "noise", "classes", "test-fraction", "loss",
    "optimizer", "learning-rate", "batch-size", "l1", "l2", "seed", "csv-target", "output-bias",
    "initializer"]) {
    $(id).addEventListener("change", changed);
  }
  $("csv-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";  // the same file can be chosen again
    if (!file || tooLarge(file, limits.max_csv_bytes, "a CSV file")) return;
    csv = { text: await file.text(), name: file.name };
    $("csv-name").textContent = Fmt.visible(file.name);  // its rows are counted once it is read
    $("dataset").value = "csv";
    datasetChanged();
  });
  $("import-file").addEventListener("change", async (e) => {
    await importModel(e.target.files[0]);
    e.target.value = "";  // the same file can be imported again
  });
  $("trace").onclick = traceExample;
  $("prev").onclick = () => Stepper.move(-1, stepperElements());
  $("next").onclick = () => Stepper.move(1, stepperElements());
  $("level").onchange = () => { if (Stepper.current()) traceExample(); };
  document.addEventListener("keydown", (e) => {
    if (["INPUT", "SELECT", "BUTTON", "A", "LABEL"].includes(e.target.tagName)) return;
    if ($("tab-dense").hidden) return;  // the images tab has its own keys (images.js)
    if (e.key === " ") { e.preventDefault(); play(); }
    if (e.key === "s") { stop(); act("train", { steps: 1 }); }
    if (e.key === "ArrowRight") Stepper.move(1, stepperElements());
    if (e.key === "ArrowLeft") Stepper.move(-1, stepperElements());
  });
}

async function start() {
  wire();
  try {
    const info = await api("GET", "/api/limits");
    limits = info.limits;
    choices = { datasets: info.datasets, activations: info.activations, losses: info.losses,
      optimizers: info.optimizers, initializers: info.initializers };
    presets = Checks.setup(info.presets.seed, DEFAULT, choices, limits).problems.length ? {} : info.presets;
    const L = limits;
    $("limits").textContent = `Limits: at most ${L.max_hidden_layers} hidden layers of ${L.max_units} units; ` +
      `${L.min_samples} to ${L.max_samples} examples; a CSV of at most ${L.max_csv_bytes / 1000} kB ` +
      `and ${L.max_csv_features} features; ${L.max_steps_per_request} steps per request; ` +
      `${L.max_sessions} live sessions (the least recently used is forgotten; one idle for ` +
      `${L.session_idle_seconds / 60} minutes ends); a request trains for at most ` +
      `${L.max_request_seconds} seconds.`;
  } catch (error) { showError(error); }
  const { config, problems } = configFromUrl();
  $("discretize").checked = config.discretize === true;
  delete config.discretize;  // a view setting, not the server's
  if (config.dataset.name === "csv") {
    config.dataset = { ...DEFAULT.dataset };
    problems.push("it was made with a CSV file, which links cannot carry: upload the file again");
  }
  writeConfig(config);
  if (problems.length) {  // built from the defaults for those fields; the message says which
    await build();
    showError(new Error(`This link's setup has bad values, replaced by the defaults: ${problems.join("; ")}.`));
    return;
  }
  await build();
}

window.playground = { get session() { return session; }, stop };  // for tests and images.js
start();
