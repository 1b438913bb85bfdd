// Validation on arrival: a setup from the address's hash (a shared link anyone can craft), and the
// server's answers. A value that fails is never shown as markup: it is named in a message (as
// text) and the field keeps its default. The rules mirror the server's (config.py), which checks
// everything again.
"use strict";

const Checks = (() => {
  const isInt = (v) => typeof v === "number" && Number.isInteger(v);
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  // choices: {datasets, activations, losses, optimizers} and limits, from GET /api/limits
  function setup(raw, defaults, choices, limits) {
    const problems = [];
    const config = JSON.parse(JSON.stringify(defaults));
    const bad = (where, expected, value) =>
      problems.push(`${where}: expected ${expected}, got ${Fmt.quote(value)}`);
    const unknown = (where, key) => problems.push(`${where}unknown field ${Fmt.quote(key)}`);
    if (!isObj(raw)) {
      bad("setup", "a JSON object", raw);
      return { config, problems };
    }
    const known = ["dataset", "layers", "loss", "optimizer", "learning_rate", "batch_size", "l2", "seed",
      "l1", "output_bias", "initializer", "discretize"];
    for (const key of Object.keys(raw)) if (!known.includes(key)) unknown("", key);
    // one field: keep the value if ok(value), else say what was expected
    const take = (target, key, value, where, ok, expected) => {
      if (value === undefined) return;
      if (ok(value)) target[key] = value; else bad(where, expected, value);
    };
    const intIn = (lo, hi) => [(v) => isInt(v) && v >= lo && v <= hi, `an integer from ${lo} to ${hi}`];
    const numIn = (lo, hi) => [(v) => isNum(v) && v >= lo && v <= hi, `a number from ${lo} to ${hi}`];
    const oneOf = (list) => [(v) => typeof v === "string" && list.includes(v), `one of ${list.join(", ")}`];
    const yesNo = [(v) => typeof v === "boolean", "true or false"];

    if (raw.dataset !== undefined) {
      const d = raw.dataset;
      if (!isObj(d)) bad("dataset", "a JSON object", d);
      else {
        const fields = {
          name: oneOf(choices.datasets),
          n_samples: intIn(limits.min_samples, limits.max_samples),
          noise: numIn(0, 1),
          classes: intIn(2, 5),
          test_fraction: numIn(0, 0.5),
          target: [(v) => typeof v === "string" && v.length <= 200 && !/[<>]/.test(v) && !Fmt.hasHidden(v),
            "a column name (at most 200 characters, no < or >, no control or bidi characters)"],
        };
        for (const key of Object.keys(d)) {
          if (key === "csv") continue;  // a link cannot carry a file; the page says so
          if (key === "target" && d[key] === null) continue;  // the server's "no target given"
          if (!Object.hasOwn(fields, key)) { unknown("dataset: ", key); continue; }
          take(config.dataset, key, d[key], `dataset.${key}`, ...fields[key]);
        }
      }
    }
    if (raw.layers !== undefined) {
      const layers = raw.layers;
      if (!Array.isArray(layers) || layers.length > limits.max_hidden_layers) {
        bad("layers", `a list of at most ${limits.max_hidden_layers} layers`, layers);
      } else {
        config.layers = [];
        layers.forEach((layer, i) => {
          const where = `layers[${i}]`;
          const kept = { units: 4, activation: "tanh", use_bias: true };
          if (!isObj(layer)) { bad(where, "a JSON object like {\"units\": 4}", layer); }
          else {
            for (const key of Object.keys(layer)) {
              if (!["units", "activation", "use_bias"].includes(key)) unknown(`${where}: `, key);
            }
            take(kept, "units", layer.units, `${where}.units`, ...intIn(1, limits.max_units));
            take(kept, "activation", layer.activation, `${where}.activation`, ...oneOf(choices.activations));
            take(kept, "use_bias", layer.use_bias, `${where}.use_bias`, ...yesNo);
          }
          config.layers.push(kept);
        });
      }
    }
    take(config, "loss", raw.loss, "loss", ...oneOf(choices.losses));
    take(config, "optimizer", raw.optimizer, "optimizer", ...oneOf(choices.optimizers));
    take(config, "learning_rate", raw.learning_rate, "learning_rate", ...numIn(1e-6, 10));
    take(config, "batch_size", raw.batch_size, "batch_size", ...intIn(1, limits.max_samples));
    take(config, "l2", raw.l2, "l2", ...numIn(0, 1));
    take(config, "seed", raw.seed, "seed", ...intIn(0, 2147483647));
    take(config, "l1", raw.l1, "l1", ...numIn(0, 1));
    take(config, "output_bias", raw.output_bias, "output_bias", ...yesNo);
    take(config, "initializer", raw.initializer, "initializer", ...oneOf(choices.initializers));
    take(config, "discretize", raw.discretize, "discretize", ...yesNo);
    return { config, problems };
  }

  // The server's answers: the shapes the page relies on, or an Error naming what is off.
  function fail(what, value) {
    throw new Error(`The server sent an unexpected ${what}: ${Fmt.quote(value)}. Reload the page.`);
  }
  const texts = (v) => Array.isArray(v) && v.every((s) => typeof s === "string");
  const numbers = (v) => Array.isArray(v) ? v.every(numbers) : v === null || typeof v === "number";

  function state(s, activations) {
    if (!isObj(s)) fail("answer", s);
    if (typeof s.id !== "string" || !/^[0-9a-f]{32}$/.test(s.id)) fail("session id", s.id);
    for (const key of ["step", "epoch", "batch_in_epoch", "batches_per_epoch", "classes"]) {
      if (!isInt(s[key]) || s[key] < 0) fail(key, s[key]);
    }
    if (!texts(s.features)) fail("list of feature names", s.features);
    if (!texts(s.class_names)) fail("list of class names", s.class_names);
    // a CSV's names as the page shows them: control and bidi characters escaped (\u202e)
    s.features = s.features.map(Fmt.visible);
    s.class_names = s.class_names.map(Fmt.visible);
    const known = [...activations, "sigmoid", "softmax"];
    if (!Array.isArray(s.layers) || !s.layers.length) fail("list of layers", s.layers);
    for (const layer of s.layers) {
      if (!isObj(layer) || !isInt(layer.units) || !known.includes(layer.activation)) fail("layer", layer);
      for (const key of ["kernel", "bias", "kernel_gradient", "bias_gradient"]) {
        if (!numbers(layer[key])) fail(`layer ${key}`, layer[key]);
      }
    }
    if (!isObj(s.metrics) || !Array.isArray(s.history)) fail("metrics", s.metrics);
    if (s.stopped !== undefined && typeof s.stopped !== "string") fail("note", s.stopped);
    if (s.preprocessing != null && typeof s.preprocessing !== "string") fail("note", s.preprocessing);
    if (s.predictions != null && !(Array.isArray(s.predictions) && s.predictions.every(
      (row) => Array.isArray(row) && row.length > 0 && row.every((v) => v === null || isNum(v))))) fail("predictions", s.predictions);
    const c = s.curve;
    if (c != null && !(isObj(c) && numbers(c.x) && numbers(c.y) && c.x.length === c.y.length &&
        Array.isArray(c.extent) && c.extent.length === 2 && c.extent.every(isNum) &&
        Array.isArray(c.y_extent) && c.y_extent.length === 2 && c.y_extent.every(isNum))) fail("curve", c);
    return s;
  }

  function trace(t) {
    if (!isObj(t) || !Array.isArray(t.stages) || !isInt(t.example) || !numbers(t.x)) fail("trace", t);
    if (!["train", "test"].includes(t.split) || !isNum(t.label)) fail("trace", t);
    for (const stage of t.stages) {
      if (!isObj(stage) || typeof stage.title !== "string" || !Array.isArray(stage.entries)) fail("stage", stage);
      for (const e of stage.entries) {
        if (!isObj(e) || typeof e.symbol !== "string" || typeof e.equation !== "string" ||
            !numbers(e.value) || !Array.isArray(e.shape) || !e.shape.every(isInt)) fail("trace entry", e);
      }
    }
    if (t.narration != null && typeof t.narration !== "string") fail("narration", t.narration);
    return t;
  }

  // A number typed in one of the page's inputs, or an Error in words: empty, too large, not a
  // number, out of range (Number("") is 0, and a number input empties itself on "1e999").
  function input(element, where, lo, hi, whole) {
    const text = element.value.trim();
    const range = `${whole ? "a whole number" : "a number"} from ${lo} to ${hi}`;
    const refuse = (what) => { throw new Error(`${where}: ${what}; enter ${range}.`); };
    if (text === "") refuse(element.validity && element.validity.badInput ? "too large or not a number" : "empty");
    const value = Number(text);
    if (Number.isNaN(value)) refuse(`${Fmt.quote(text)} is not a number`);
    if (!Number.isFinite(value)) refuse("too large");
    if (whole && !Number.isInteger(value)) refuse(`${Fmt.quote(text)} is not a whole number`);
    if (value < lo || value > hi) refuse(`${Fmt.quote(text)} is out of range`);
    return value;
  }

  // -- the images tab --------------------------------------------------------------------
  // The network's shapes, as the server's images.describe_shapes writes them, or an Error with
  // its message: a stamp or a 2x2 pooling window larger than the maps that reach it.
  function imageShapes(config, size, limits) {
    let [h, w] = size, channels = 1;
    const shapes = [`${h}x${w}x1`];
    const pool = limits.pool_size;
    config.conv.forEach((block, index) => {
      const k = block.kernel_size;
      if (!isInt(block.filters) || block.filters < limits.min_filters || block.filters > limits.max_filters) {
        throw new Error(`conv[${index}].filters: expected an integer from ${limits.min_filters} to ${limits.max_filters}, got ${Fmt.quote(block.filters)}.`);
      }
      if (!isInt(k) || k < limits.min_kernel_size || k > limits.max_kernel_size) {
        throw new Error(`conv[${index}].kernel_size: expected an integer from ${limits.min_kernel_size} to ${limits.max_kernel_size}, got ${Fmt.quote(k)}.`);
      }
      if (k > Math.min(h, w)) {
        throw new Error(`conv[${index}].kernel_size: a ${k}x${k} stamp does not fit on the ` +
          `${h}x${w}x${channels} maps that reach it (${shapes.join(" -> ")}). Use a kernel of at ` +
          `most ${Math.min(h, w)}, less pooling, or one conv layer.`);
      }
      h = h - k + 1; w = w - k + 1; channels = block.filters;
      shapes.push(`conv ${k}x${k}, ${channels} filters, relu: ${h}x${w}x${channels}`);
      if (block.pooling !== "none") {
        if (Math.min(h, w) < pool) {
          throw new Error(`conv[${index}].pooling: a ${pool}x${pool} pooling window does not fit on the ` +
            `${h}x${w}x${channels} maps of conv ${index + 1} (${shapes.join(" -> ")}). Choose pooling ` +
            `'none' there, or a smaller kernel.`);
        }
        h = Math.floor(h / pool); w = Math.floor(w / pool);
        shapes.push(`${block.pooling} pool ${pool}x${pool}: ${h}x${w}x${channels}`);
      }
    });
    shapes.push(`flatten: ${h * w * channels}`, "dense 10, softmax: 10");
    return shapes;
  }

  // a grid: rows of numbers (null for a NaN), all rows as long; optionally of a given size
  const grid = (v, rows, cols) => Array.isArray(v) && v.length > 0 && (rows === undefined || v.length === rows) &&
    v.every((r) => Array.isArray(r) && r.length === (cols === undefined ? v[0].length : cols) &&
      r.every((x) => x === null || typeof x === "number"));
  const probabilities = (p) => Array.isArray(p) && p.length === 10 && p.every(isNum);

  // GET /api/limits's "images": every bound the page uses a whole number, the data sets known
  function imageLimits(info, keys) {
    if (!isObj(info) || !isObj(info.limits) || !Array.isArray(info.datasets)) fail("images limits", info);
    for (const key of keys) if (!isInt(info.limits[key]) || info.limits[key] < 0) fail(`limit ${key}`, info.limits[key]);
    for (const d of info.datasets) {
      if (!isObj(d) || !["digits", "mnist"].includes(d.name) || typeof d.label !== "string" ||
          (d.unavailable !== null && typeof d.unavailable !== "string")) fail("data set", d);
    }
    return info;
  }

  function imageState(s) {
    if (!isObj(s) || typeof s.id !== "string" || !/^[0-9a-f]{32}$/.test(s.id)) fail("images session", s && s.id);
    for (const key of ["step", "epoch", "batch_in_epoch", "batches_per_epoch", "train_size", "test_size", "parameters"]) {
      if (!isInt(s[key]) || s[key] < 0) fail(key, s[key]);
    }
    if (!Array.isArray(s.input_size) || s.input_size.length !== 2 || !s.input_size.every(isInt)) fail("input size", s.input_size);
    if (!texts(s.shapes)) fail("list of shapes", s.shapes);
    if (!isObj(s.metrics) || !Array.isArray(s.history)) fail("metrics", s.metrics);
    if (!Array.isArray(s.kernels) || !s.kernels.every((k) => grid(k))) fail("kernels", s.kernels);
    if (!Array.isArray(s.evaluated) || !s.evaluated.every(isInt)) fail("evaluated counts", s.evaluated);
    if (s.stopped !== undefined && typeof s.stopped !== "string") fail("note", s.stopped);
    return s;
  }

  function imagePrediction(p) {
    if (!isObj(p) || !probabilities(p.probabilities) || !isInt(p.prediction)) fail("prediction", p);
    return p;
  }

  function imageTrace(t) {
    if (!isObj(t) || !["train", "test"].includes(t.split) || !isInt(t.example) || !isInt(t.label)) fail("trace", t);
    if (!grid(t.x) || !probabilities(t.probabilities) || !isNum(t.loss) || !isNum(t.reference_gap)) fail("trace", t);
    const s = t.stamp;
    if (!isObj(s) || !isInt(s.filter) || !grid(s.kernel) || !isNum(s.bias) || !grid(s.z) || !grid(s.a) ||
        !grid(s.delta, s.z.length, s.z[0].length) || !grid(s.kernel_gradient) || !grid(s.kernel_new) ||
        typeof s.optimizer !== "string") fail("stamp", s);
    const positions = s.z.length * s.z[0].length, size = s.kernel.length * s.kernel[0].length;
    if (!grid(s.terms, positions, size) || !grid(s.partials, positions, size)) fail("stamp's sums", s.terms);
    if (!Array.isArray(t.maps)) fail("maps", t.maps);
    for (const m of t.maps) {
      if (!isObj(m) || !["forward", "backward"].includes(m.phase) || !isInt(m.layer) ||
          typeof m.symbol !== "string" || typeof m.kind !== "string" || typeof m.equation !== "string" ||
          !Array.isArray(m.channels) || !m.channels.every((c) => grid(c))) fail("map", m);
      if (m.winners !== undefined && !(Array.isArray(m.winners) && m.winners.every((c) => grid(c)))) fail("winners", m.winners);
    }
    return t;
  }

  return { setup, state, trace, input, imageShapes, imageLimits, imageState, imagePrediction, imageTrace };
})();
