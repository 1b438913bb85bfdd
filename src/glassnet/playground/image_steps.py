"""Step through one image: the engine's recorded step on one example, with the first conv
layer's stamp worked position by position, for the images tab.

``image_step`` runs ``model.trace_step`` on one example (the step is recorded, not applied: the
model is left as it was) and returns, as JSON-ready lists:

- ``x``: the input image (h, w); its label, the net's probabilities, prediction and loss C;
- ``stamp``: for one filter f of conv layer 1, every output position (y, x) in reading order
  with the window's products ``a0[y+i, x+j] * K1[i, j, 0, f]`` (the terms of the sum
  z1[y, x, f] = sum of the terms + b1[f]), worked by the readable loop of
  ``conv_forward_loop``; then backward, the kernel gradient filling in: after position p,
  ``sum_{q <= p} window_q * delta1[q]`` (``conv_backward_loop``'s sum, stopped part way), whose
  last value is the engine's dC/dK1[:, :, 0, f];
- ``maps``: every image-shaped activation forward (a1, a2, ...) and every image-shaped gradient
  backward (dC/da, delta), per channel, with each max pooling's winners (where the engine's
  backward routes each delta) marked;
- ``reference_gap``: the largest difference between the loop reference and the fast path that
  trains (z1 and dC/dK1, over every filter): they are the same numbers.

>>> from glassnet.playground.images import ImageSession, parse_image_config
>>> session = ImageSession("demo", parse_image_config({}))
>>> step = image_step(session, "train", 0, 0)
>>> len(step["stamp"]["terms"]), len(step["stamp"]["terms"][0]), step["reference_gap"] < 1e-5
(36, 9, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import glassnet as gn
from glassnet.layers.convolution import conv_backward_loop, conv_forward_loop

Array = NDArray[Any]


def rounded(value: Any, digits: int = 6) -> Any:
    """``value`` as lists of floats with ``digits`` significant digits: the page shows 4, and a
    float32 holds about 7, so the answer is half the size of float32's 17-digit reprs."""
    a = np.asarray(value, dtype=np.float64)
    magnitude = np.floor(np.log10(np.abs(a), out=np.zeros_like(a), where=a != 0))
    scale = 10.0 ** (digits - 1 - magnitude)
    return (np.round(a * scale) / scale).tolist()


def _channels(value: Array) -> list[Any]:
    """(1, h, w, c) -> c maps of (h, w), as lists."""
    return rounded(np.moveaxis(np.asarray(value)[0], -1, 0))


def _winners(layer: Any, a_prev: Array) -> list[Any]:
    """Per channel, 1 where the max pooling ``layer``'s backward sends its window's delta (the
    window's first maximum, reading row by row), else 0: the engine's own rule, run on a copy
    of the layer with an upstream gradient of ones."""
    pool = gn.layers.MaxPooling2D(layer.pool_size, strides=layer.strides, padding=layer.padding)
    pool.build(a_prev.shape[1:], a_prev.dtype, None)
    routed = pool.backward(np.ones_like(pool.forward(a_prev)))
    return _channels((routed != 0).astype(int))


def _stamp(a0: Array, kernel: Array, bias: Array, delta: Array, f: int) -> dict[str, Any]:
    """Conv layer 1's filter f worked position by position, forward and backward."""
    image = a0[0, :, :, 0]  # (h, w): the playground's images have one channel
    k = kernel[:, :, 0, f]  # (kh, kw)
    kh, kw = k.shape
    out_h, out_w = delta.shape[1:3]
    terms, partials = [], []
    gradient = np.zeros_like(k)
    for y in range(out_h):
        for x in range(out_w):
            window = image[y : y + kh, x : x + kw]  # the stamp's place: (kh, kw)
            terms.append((window * k).ravel())
            gradient = gradient + window * delta[0, y, x, f]  # dC/dK += window * delta
            partials.append(gradient.ravel())
    return {
        "filter": f,
        "kernel_size": [kh, kw],
        "kernel": rounded(k),
        "bias": float(bias[f]),
        "terms": rounded(terms),
        "partials": rounded(partials),
    }


def image_step(session: Any, split: str, example: int, f: int) -> dict[str, Any]:
    """One example's recorded step, as the images tab walks it (see the module's text)."""
    data = session.data
    x = (data.x_train if split == "train" else data.x_test)[example : example + 1]
    labels = session.y_train if split == "train" else session.y_test
    y = labels[example : example + 1]
    model = session.model
    trace = model.trace_step(x, y)
    value = {(e.phase, e.symbol): np.asarray(e.value) for e in trace}
    last = len(model.layers)
    a0 = value[("forward", "a0")]
    kernel, bias = value[("forward", "K1")], value[("forward", "b1")]
    z1, delta1 = value[("forward", "z1")], value[("backward", "delta1")]
    # the readable loops against the fast path that trains: the same numbers
    loop_z = conv_forward_loop(a0, kernel, bias, 1, "valid")
    loop_gradient, _, _ = conv_backward_loop(a0, kernel, delta1, 1, "valid")
    gap = max(
        float(np.max(np.abs(loop_z - z1))),
        float(np.max(np.abs(loop_gradient - value[("backward", "dC/dK1")]))),
    )
    stamp = _stamp(a0, kernel, bias, delta1, f)
    stamp.update(
        z=rounded(z1[0, :, :, f]),
        a=rounded(value[("forward", "a1")][0, :, :, f]),
        delta=rounded(delta1[0, :, :, f]),
        kernel_gradient=rounded(value[("backward", "dC/dK1")][:, :, 0, f]),
        bias_gradient=float(value[("backward", "dC/db1")][f]),
        kernel_new=rounded(value[("update", "K1_new")][:, :, 0, f]),
        learning_rate=float(model.optimizer.learning_rate),
        optimizer=model.optimizer.__class__.__name__,
    )
    maps = []
    for entry in trace:
        shape = tuple(entry.shape)
        if len(shape) != 4 or entry.symbol == "a0" or entry.symbol[0] not in "ad":
            continue  # the images only: a, dC/da and delta (not x, z, K or dC/dK)
        if entry.symbol.startswith("dC/dK"):
            continue
        if entry.phase not in ("forward", "backward"):
            continue
        layer = model.layers[entry.layer - 1]
        item: dict[str, Any] = {
            "phase": entry.phase,
            "layer": entry.layer,
            "kind": layer.kind,
            "symbol": entry.symbol,
            "equation": entry.equation,
            "shape": list(shape[1:]),
            "channels": _channels(entry.value),
        }
        if entry.phase == "forward" and layer.kind == "MaxPooling2D":
            a_prev = value[("forward", f"a{entry.layer - 1}")]
            item["winners"] = _winners(layer, a_prev)
        maps.append(item)
    probabilities = value[("forward", f"a{last}")][0]
    return {
        "split": split,
        "example": example,
        "label": int(y[0]),
        "x": rounded(a0[0, :, :, 0]),
        "probabilities": rounded(probabilities),
        "prediction": int(np.argmax(probabilities)),
        "loss": float(value[("loss", "C")]),
        "stamp": stamp,
        "maps": maps,
        "reference_gap": gap,
        "layers": [
            {"index": i + 1, "kind": layer.kind, "name": layer.name}
            for i, layer in enumerate(model.layers)
        ],
    }
