"""How each phase of a traced step is written down: the entries, their symbols and equations.

``glassnet.trace`` runs the engine's step and then calls these three, in the order the data
flowed: ``record_forward`` (a0, W, b, z, a per layer), ``record_loss_and_backward`` (C, dC/da_L,
the deltas, dC/dW, dC/db, dC/da_{l-1}, penalties) and ``record_update`` (the optimizer's state and
each parameter's new value). They only read what the layers and the optimizer kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from glassnet import activations as activations_module

if TYPE_CHECKING:
    from glassnet.model import Sequential
    from glassnet.trace import Trace, _Snapshot

Array = NDArray[Any]
_PARAMETER_SYMBOLS = {"kernel": "W", "bias": "b"}  # gamma and beta keep their names
#: the optimizer's state lists, by optimizer name: (attribute, symbol prefix, equation)
OPTIMIZER_STATE: dict[str, list[tuple[str, str, str]]] = {
    "sgd": [("momentums", "momentum", "momentum_{p} = mu * momentum_{p} + dC/d{p}")],
    "rmsprop": [
        ("averages", "mean", "mean_{p} = rho * mean_{p} + (1 - rho) * dC/d{p}"),
        ("velocities", "v", "v_{p} = rho * v_{p} + (1 - rho) * (dC/d{p})**2"),
        (
            "momentums",
            "momentum",
            "momentum_{p} = mu * momentum_{p} + dC/d{p} / (sqrt(v_{p}{centered}) + eps)",
        ),
    ],
    "adam": [
        ("first_moments", "m", "m_{p} = beta_1 * m_{p} + (1 - beta_1) * dC/d{p}"),
        ("second_moments", "v", "v_{p} = beta_2 * v_{p} + (1 - beta_2) * (dC/d{p})**2"),
        ("max_second_moments", "vmax", "vmax_{p} = max(vmax_{p}, v_{p})"),
    ],
    "adagrad": [("accumulators", "acc", "acc_{p} = acc_{p} + (dC/d{p})**2")],
}
OPTIMIZER_STATE["adamw"] = OPTIMIZER_STATE["adam"]
#: how each optimizer writes the new parameter value
UPDATE_EQUATIONS: dict[str, str] = {
    "sgd": "{p}_new = {p} - learning_rate * dC/d{p}",
    "sgd_momentum": "{p}_new = {p} - learning_rate * momentum_{p}",
    "sgd_nesterov": "{p}_new = {p} - learning_rate * (dC/d{p} + mu * momentum_{p})",
    "rmsprop": "{p}_new = {p} - learning_rate * dC/d{p} / (sqrt(v_{p}) + eps)",
    "rmsprop_momentum": "{p}_new = {p} - learning_rate * momentum_{p}",
    "rmsprop_centered": "{p}_new = {p} - learning_rate * dC/d{p} / "
    "(sqrt(v_{p} - mean_{p}**2) + eps)",
    "rmsprop_centered_momentum": "{p}_new = {p} - learning_rate * momentum_{p}",
    "adam": "{p}_new = {p} - learning_rate / (1 - beta_1^t) * m_{p} / "
    "(sqrt(v_{p}) / sqrt(1 - beta_2^t) + eps)",
    "adam_amsgrad": "{p}_new = {p} - learning_rate / (1 - beta_1^t) * m_{p} / "
    "(sqrt(vmax_{p}) / sqrt(1 - beta_2^t) + eps)",
    "adagrad": "{p}_new = {p} - learning_rate * dC/d{p} / (sqrt(acc_{p}) + eps)",
}
UPDATE_EQUATIONS["adamw"] = UPDATE_EQUATIONS["adam"]  # its decay is written in by decorated()
UPDATE_EQUATIONS["adamw_amsgrad"] = UPDATE_EQUATIONS["adam_amsgrad"]
#: the clipping each setting does, as the equations write it
CLIP_EQUATIONS: dict[str, str] = {
    "clipnorm": "clip(g) = g * clipnorm / max(||g||, clipnorm)",
    "global_clipnorm": "clip(g) = g * global_clipnorm / max(sqrt(sum of ||g||**2 over all "
    "weights), global_clipnorm)",
    "clipvalue": "clip(g) = min(max(g, -clipvalue), clipvalue)",
}


def decorated(equation: str, config: dict[str, Any], symbol: str) -> str:
    """``equation`` (one of the rules above, formatted for ``symbol``) with the optimizer's
    clipping (dC/dW -> clip(dC/dW)) and decoupled weight decay (W -> W * (1 - lr * wd)) written
    in, as ``Optimizer.apply`` does them.

    >>> decorated("W1_new = W1 - learning_rate * dC/dW1", {"weight_decay": 0.1}, "W1")
    'W1_new = W1 * (1 - learning_rate * weight_decay) - learning_rate * dC/dW1'
    """
    if any(config.get(key) for key in CLIP_EQUATIONS):
        equation = equation.replace(f"dC/d{symbol}", f"clip(dC/d{symbol})")
    if config.get("weight_decay"):
        equation = equation.replace(
            f"{symbol}_new = {symbol} - ",
            f"{symbol}_new = {symbol} * (1 - learning_rate * weight_decay) - ",
        )
    return equation


def update_rule_name(config: dict[str, Any]) -> str:
    """The key of an optimizer's rule in ``UPDATE_EQUATIONS``, from its config (``get_config()``):
    its name, then "_centered" for a centered RMSprop, then "_momentum" or "_nesterov".

    >>> update_rule_name({"name": "rmsprop", "momentum": 0.9, "centered": True})
    'rmsprop_centered_momentum'
    """
    name = config["name"]
    rule = name
    if name == "rmsprop" and config.get("centered"):
        rule += "_centered"
    if name in ("sgd", "rmsprop") and config.get("momentum"):
        rule += "_nesterov" if config.get("nesterov") else "_momentum"
    if name in ("adam", "adamw") and config.get("amsgrad"):
        rule += "_amsgrad"
    return rule


def record_forward(trace: Trace, model: Sequential, x: Array, params: list[list[Array]]) -> None:
    trace.add("forward", 0, "a0", "a0 = x", x)
    for index, layer in enumerate(model.layers, start=1):
        prev = f"a{index - 1}"
        activation = getattr(layer, "activation", None)
        if layer.kind == "Dense":
            trace.add("forward", index, f"W{index}", f"W{index}", params[index - 1][0])
            bias = f" + b{index}" if layer.use_bias else ""
            if layer.use_bias:
                trace.add("forward", index, f"b{index}", f"b{index}", params[index - 1][1])
            trace.add("forward", index, f"z{index}", f"z{index} = {prev} @ W{index}{bias}", layer.z)
            equation = f"a{index} = {activation.name}(z{index})"
        elif layer.kind == "Conv2D":  # issue 17, first step: the numbers, plainly named
            trace.add("forward", index, f"K{index}", f"K{index}", params[index - 1][0])
            bias = f" + b{index}" if layer.use_bias else ""
            if layer.use_bias:
                trace.add("forward", index, f"b{index}", f"b{index}", params[index - 1][1])
            conv = f"conv2d({prev}, K{index}, strides={layer.strides}, padding={layer.padding!r})"
            trace.add("forward", index, f"z{index}", f"z{index} = {conv}{bias}", layer.z)
            equation = f"a{index} = {activation.name}(z{index})"
        elif layer.kind == "BatchNormalization":
            mu, var = (f"mu{index}", f"var{index}")
            moving = "" if layer.training else "moving_"
            trace.add("forward", index, mu, f"{mu} = {moving}mean({prev}) per channel", layer.mean)
            trace.add(
                "forward",
                index,
                var,
                f"{var} = {moving}variance({prev}) per channel",
                layer.variance,
            )
            x_hat = f"x_hat{index}"
            equation = f"{x_hat} = ({prev} - {mu}) / sqrt({var} + epsilon)"
            trace.add("forward", index, x_hat, equation, layer.x_hat)
            terms = [x_hat]
            for position, name in enumerate(layer.parameter_names):
                symbol = f"{name}{index}"
                trace.add("forward", index, symbol, symbol, params[index - 1][position])
            if layer.scale:
                terms = [f"gamma{index} * {x_hat}"]
            if layer.center:
                terms.append(f"beta{index}")
            equation = f"a{index} = {' + '.join(terms)}"
        elif activation is not None:
            equation = f"a{index} = {activation.name}({prev})"
        elif hasattr(layer, "trace_equations"):  # a preprocessing layer writes its own rule
            equation = layer.trace_equations(prev, f"a{index}")[0]
        elif _dropping(layer):
            mask = f"mask{index}"
            rate = layer.rate
            trace.add("forward", index, mask, f"{mask} = (u >= {rate}) / (1 - {rate})", layer.mask)
            equation = f"a{index} = {prev} * {mask}"
        else:
            equation = f"a{index} = {prev}  ({layer.kind.lower()}, not training)"
        trace.add("forward", index, f"a{index}", equation, layer.a)


def _dropping(layer: Any) -> bool:
    """True for a Dropout layer whose traced forward pass dropped (training, rate > 0)."""
    return (
        layer.kind == "Dropout"
        and getattr(layer, "training", False)
        and layer.rate > 0
        and getattr(layer, "mask", None) is not None
    )


def _regularized(model: Sequential) -> list[tuple[int, Any]]:
    return [
        (index, layer)
        for index, layer in enumerate(model.layers, start=1)
        if getattr(layer, "kernel_regularizer", None) is not None
    ]


def kernel_symbol(layer: Any) -> str:
    """The kernel's letter everywhere in the trace: K for a convolution, W for a Dense layer."""
    return "K" if layer.kind == "Conv2D" else "W"


def _penalty_equation(regularizer: Any, index: int, w: str = "W") -> str:
    parts = []
    if getattr(regularizer, "l1", 0):
        parts.append(f"{regularizer.l1} * sum(|{w}{index}|)")
    if getattr(regularizer, "l2", 0) or not parts:
        parts.append(f"{getattr(regularizer, 'l2', 0.0)} * sum({w}{index}**2)")
    return f"penalty{index} = " + " + ".join(parts)


def _penalty_gradient_equation(regularizer: Any, index: int, w: str = "W") -> str:
    parts = []
    if getattr(regularizer, "l1", 0):
        parts.append(f"{regularizer.l1} * sign({w}{index})")
    if getattr(regularizer, "l2", 0) or not parts:
        parts.append(f"2 * {getattr(regularizer, 'l2', 0.0)} * {w}{index}")
    return f"dpenalty{index}/d{w}{index} = " + " + ".join(parts)


def record_weights(trace: Trace, model: Sequential, y: Array, a: Array, weights: Array) -> None:
    """A weighted step's loss parts: w (n,), each example's loss_i (n,) and their products, so
    that C = sum_i w_i loss_i / n (without / n for a summing loss) can be read with numbers."""
    count = len(model.layers)
    name = model.loss.name
    trace.add("loss", count, "w", "w = sample_weight (one weight per example)", weights)
    per_example = model.loss.per_example(y, a)  # (n,): Keras's values before the reduction
    trace.add("loss", count, "loss_i", f"loss_i = {name}(y_i, a{count}_i)", per_example)
    reduce = "sum(w * loss_i)" if model.loss.reduction == "sum" else "sum(w * loss_i) / n"
    value = model.loss.weighted(per_example, weights)
    trace.add("loss", count, "weighted loss", f"{name} = {reduce}", np.asarray(value))


def record_loss_and_backward(
    trace: Trace,
    model: Sequential,
    y: Array,
    a: Array,
    loss: float,
    params: list[list[Array]],
    sample_weight: Array | None = None,
) -> None:
    count = len(model.layers)
    out = f"a{count}"
    name = model.loss.name
    weighted = sample_weight is not None
    trace.add("loss", count, "y", "y", y)
    trace.add("loss", count, f"{out} - y", f"{out} - y", a - y)
    if getattr(model.loss, "from_logits", False):
        # the output is a logit: the loss turns it into a probability p itself
        squash = model.loss.fused_activation  # the activation the loss applies to logits
        probability = activations_module.get(squash)(a)
        trace.add("loss", count, "p", f"p = {squash}({out})", probability)
        trace.add("loss", count, "p - y", "p - y", probability - y)
    if weighted:  # w and each example's loss_i, whose weighted sum is the loss
        record_weights(trace, model, y, a, sample_weight)
    regularized = _regularized(model)
    if regularized:
        # C = loss + penalties, each penalty on the weights the step started from
        data = model.loss.compute(y, a, sample_weight)
        trace.add("loss", count, f"{name}(y, {out})", f"{name}(y, {out})", data)
        for index, layer in regularized:
            penalty = layer.kernel_regularizer(params[index - 1][0])
            equation = _penalty_equation(layer.kernel_regularizer, index, kernel_symbol(layer))
            trace.add("loss", index, f"penalty{index}", equation, penalty)
        penalties = " + ".join(f"penalty{index}" for index, _ in regularized)
        trace.add("loss", count, "C", f"C = {name}(y, {out}) + {penalties}", np.asarray(loss))
    else:
        trace.add("loss", count, "C", f"C = {name}(y, {out})", np.asarray(loss))
    if trace.info["fused"]:
        grad = None  # delta_L comes straight from the loss; see the backward entries
    else:
        grad = model.loss.compute_gradient(y, a, sample_weight)  # (batch, units): the engine's
        trace.add("loss", count, f"dC/d{out}", f"dC/d{out} = {name}'(y, {out})", grad)
    for index in range(count, 0, -1):
        layer = model.layers[index - 1]
        activation = getattr(layer, "activation", None)
        kept = vars(layer)
        if layer.kind == "Dense":
            if grad is None:
                scale = "w * " if weighted else ""
                equation = f"delta{index} = {scale}({out} - y) / n  (fused {name})"
            elif activation.elementwise:
                factor = activation.derivative(layer.z, layer.a)
                slope = f"da{index}/dz{index}"
                trace.add(
                    "backward", index, slope, f"{slope} = {activation.name}'(z{index})", factor
                )
                equation = f"delta{index} = dC/da{index} * {slope}"
            else:
                equation = f"delta{index} = {activation.name}_backward(dC/da{index}, a{index})"
            trace.add("backward", index, f"delta{index}", equation, layer.delta)
            prev = f"a{index - 1}"
            grad_w = f"dC/dW{index} = {prev}.T @ delta{index}"
            regularizer = layer.kernel_regularizer
            if regularizer is not None:
                weights = params[index - 1][0]
                penalty = f"dpenalty{index}/dW{index}"
                equation = _penalty_gradient_equation(regularizer, index)
                trace.add("backward", index, penalty, equation, regularizer.gradient(weights))
                grad_w += f" + {penalty}"
            trace.add("backward", index, f"dC/dW{index}", grad_w, layer.kernel_gradient)
            if layer.use_bias:
                grad_b = f"dC/db{index} = sum(delta{index}, axis=0)"
                trace.add("backward", index, f"dC/db{index}", grad_b, layer.bias_gradient)
            if index > 1:
                grad = layer.delta @ params[index - 1][0].T  # (batch, units) @ (units, n_in)
                equation = f"dC/da{index - 1} = delta{index} @ W{index}.T"
                trace.add("backward", index, f"dC/da{index - 1}", equation, grad)
        elif layer.kind == "Conv2D":
            if grad is None:
                equation = f"delta{index} = ({out} - y) / n  (fused {name})"
            else:
                equation = f"delta{index} = {activation.name}_backward(dC/da{index}, z{index})"
            trace.add("backward", index, f"delta{index}", equation, layer.delta)
            windows = f"dC/dK{index} = windows of a{index - 1} correlated with delta{index}"
            if layer.kernel_regularizer is not None:  # as Dense's, in K
                penalty = f"dpenalty{index}/dK{index}"
                equation = _penalty_gradient_equation(layer.kernel_regularizer, index, "K")
                gradient = layer.kernel_regularizer.gradient(params[index - 1][0])
                trace.add("backward", index, penalty, equation, gradient)
                windows += f" + {penalty}"
            trace.add("backward", index, f"dC/dK{index}", windows, layer.kernel_gradient)
            if layer.use_bias:
                grad_b = f"dC/db{index} = sum(delta{index}, axis=(0, 1, 2))"
                trace.add("backward", index, f"dC/db{index}", grad_b, layer.bias_gradient)
            if index > 1:
                grad = layer.input_gradient
                equation = f"dC/da{index - 1} = delta{index} spread back through K{index}"
                trace.add("backward", index, f"dC/da{index - 1}", equation, grad)
        elif layer.kind == "BatchNormalization":
            upstream = f"dC/da{index}"
            if layer.scale:
                grad_g = f"dC/dgamma{index} = sum({upstream} * x_hat{index}) per channel"
                trace.add("backward", index, f"dC/dgamma{index}", grad_g, layer.gamma_gradient)
            if layer.center:
                grad_b = f"dC/dbeta{index} = sum({upstream}) per channel"
                trace.add("backward", index, f"dC/dbeta{index}", grad_b, layer.beta_gradient)
            if kept.get("delta") is not None and index > 1:
                g = f"{upstream} * gamma{index}" if layer.scale else upstream
                spread = f"sqrt(var{index} + epsilon)"
                equation = (
                    f"dC/da{index - 1} = (m * g - sum(g) - x_hat{index} * sum(g * x_hat{index})) "
                    f"/ (m * {spread}), g = {g}, m values per channel"
                    if layer.training
                    else f"dC/da{index - 1} = {g} / {spread}"
                )
                trace.add("backward", index, f"dC/da{index - 1}", equation, layer.delta)
                grad = layer.delta
        elif kept.get("delta") is not None or getattr(layer, "delta", None) is not None:
            # a weightless layer: its delta is the gradient for its input (a pooling layer
            # fused with its convolution makes it when read: layers/conv_pool.py)
            link = f"da{index}/da{index - 1}"
            if activation is not None and activation.elementwise and grad is not None:
                factor = activation.derivative(layer.z, layer.a)
                trace.add(
                    "backward", index, link, f"{link} = {activation.name}'(a{index - 1})", factor
                )
                equation = f"dC/da{index - 1} = dC/da{index} * {link}"
            elif activation is not None and grad is not None:
                equation = f"dC/da{index - 1} = {activation.name}_backward(dC/da{index}, a{index})"
            elif activation is not None:
                equation = f"dC/da{index - 1} = ({out} - y) / n  (fused {name})"
            elif _dropping(layer):
                equation = f"dC/da{index - 1} = dC/da{index} * mask{index}"
            elif hasattr(layer, "trace_equations"):  # Rescaling, Normalization: a fixed slope
                slope = layer.trace_equations(f"a{index - 1}", f"a{index}")[1]
                factor = np.broadcast_to(layer.slope, layer.delta.shape)  # (batch, n)
                trace.add("backward", index, link, slope, factor)
                equation = f"dC/da{index - 1} = dC/da{index} * {link}"
            else:
                equation = f"dC/da{index - 1} = dC/da{index}"
            trace.add("backward", index, f"dC/da{index - 1}", equation, layer.delta)
            grad = layer.delta


def record_update(trace: Trace, model: Sequential, saved: _Snapshot) -> None:
    optimizer = model.optimizer
    name = optimizer.name
    t = optimizer.iterations
    if name in ("adam", "adamw"):
        trace.add("update", 0, "1 - beta_1^t", f"1 - beta_1^{t}", 1.0 - optimizer.beta_1**t)
        trace.add("update", 0, "1 - beta_2^t", f"1 - beta_2^{t}", 1.0 - optimizer.beta_2**t)
    config = optimizer.get_config()
    for key, clipping in CLIP_EQUATIONS.items():
        if config.get(key):
            trace.add("update", 0, key, f"{clipping}, with {key}", float(config[key]))
    if config.get("weight_decay"):
        trace.add("update", 0, "weight_decay", "weight_decay", float(config["weight_decay"]))
    rule = update_rule_name(config)
    centered = rule.startswith("rmsprop_centered")
    flat = 0
    for index, layer in enumerate(model.layers, start=1):
        for position, param_name in enumerate(layer.parameter_names):
            letter = _PARAMETER_SYMBOLS.get(param_name, param_name)
            letter = kernel_symbol(layer) if param_name == "kernel" else letter
            symbol = f"{letter}{index}"
            before = saved.parameters[index - 1][position]
            frozen = not layer.trainable  # no update, its optimizer state untouched: none shown
            for attribute, prefix, equation in [] if frozen else OPTIMIZER_STATE.get(name, []):
                state = getattr(optimizer, attribute, None) or []
                if flat < len(state) and state[flat] is not None:
                    old = (saved.optimizer.get(attribute) or [None] * (flat + 1))[flat]
                    old = np.zeros_like(before) if old is None else old
                    state_symbol = f"{prefix}_{symbol}"
                    trace.add(
                        "update",
                        index,
                        f"{state_symbol}_old",
                        f"{state_symbol} before this step",
                        old,
                    )
                    text = equation.format(p=symbol, centered=f" - mean_{symbol}**2" * centered)
                    text = decorated(text, config, symbol)
                    trace.add("update", index, state_symbol, text, state[flat])
            new = layer.parameters[position]
            equation = UPDATE_EQUATIONS.get(rule, "{p}_new = optimizer({p}, dC/d{p})")
            equation = decorated(equation.format(p=symbol), config, symbol)
            if frozen:
                equation = f"{symbol}_new = {symbol}  (frozen: trainable = False)"
            trace.add("update", index, f"{symbol}_new", equation, new)
            change = f"change_{symbol} = {symbol}_new - {symbol}"
            trace.add("update", index, f"change_{symbol}", change, new - before)
            flat += 1
