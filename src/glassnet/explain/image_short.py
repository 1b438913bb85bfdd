"""Image layers at the kid's level (sentences with small numbers) and the expert's (one compact
line a quantity, six decimals), from the worked numbers of ``images``."""

from __future__ import annotations

from glassnet.explain.common import kid_number
from glassnet.explain.image_layers import batchnorm, elementwise, global_pool, moved, pool_window
from glassnet.explain.image_render import (
    expert_number,
    expert_term,
    kid_term,
    render_sum,
    scaling_line,
    sum_terms,
)
from glassnet.explain.image_words import IMAGE_WORDS
from glassnet.explain.images import (
    Focus,
    conv_pixel,
    input_gradient_pixel,
    kernel_gradient_entry,
)
from glassnet.trace import Trace


def _where(y: int, x: int) -> str:
    if (y, x) == (0, 0):
        return "on the top-left corner"
    return f"on row {y}, column {x} (counting from 0 at the top-left corner)"


def kid_forward(trace: Trace, index: int, focus: Focus) -> str:
    """One or two sentences with the numbers of image layer ``index`` for the followed
    example."""
    layer = trace.info["layers"][index - 1]
    kind = layer["kind"]
    words = IMAGE_WORDS[kind]
    if kind == "Conv2D":
        worked = conv_pixel(trace, index, focus)
        kh, kw = trace[f"K{index}"].shape[:2]
        _, y, x, f = worked.target.index
        bias = ", plus its extra knob" if worked.constant is not None else ""
        text = words["kid"].format(kh=kh, kw=kw, where=_where(y, x), bias=bias)
        terms = " + ".join(sum_terms(worked, kid_term, " x "))
        a = trace[f"a{index}"].value[worked.target.index]
        return (
            f"{text}: {terms} = {kid_number(worked.target.value)} (filter {f}); then the layer "
            f"makes it {kid_number(a)}."
        )
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        window = pool_window(trace, index, focus)
        values = ", ".join(kid_number(f.value) for f in window.inputs)
        text = words["kid"].format(count=window.count)
        what = "the biggest" if kind == "MaxPooling2D" else "their average"
        return f"{text}: of {values}, {what} is {kid_number(window.output.value)}."
    if kind == "GlobalAveragePooling2D":
        found = global_pool(trace, index, focus)
        return (
            f"{words['kid']}: channel {found['output'].index[1]}'s {found['count']} numbers "
            f"average {kid_number(found['output'].value)}."
        )
    if kind in ("Flatten", "Reshape"):
        source, target = moved(trace, index, focus)
        return (
            f"{words['kid']}: the {kid_number(source.value)} at {source.label} is now at "
            f"{target.label}."
        )
    if kind in ("Rescaling", "Normalization"):
        config = layer["config"]
        before, after = elementwise(trace, index, focus)
        if kind == "Rescaling":
            scale, offset = f"{config['scale']:.9g}", f"{config['offset']:g}"
            text = words["kid"].format(scale=scale, offset=offset)
            how = f"{kid_number(before.value)} x {scale} + {offset}"
        else:
            text, how = words["kid"], "(the number - its average) / its spread"
        return f"{text}: here {kid_number(before.value)} becomes {how} = {kid_number(after.value)}."
    found = batchnorm(trace, index, focus)
    return (
        f"{words['kid']}: channel {found['channel']}'s average is "
        f"{kid_number(found['mu'].value)} and its spread (variance) "
        f"{kid_number(found['var'].value)}, so {kid_number(found['input'].value)} becomes "
        f"{kid_number(found['x_hat'].value)} and then {kid_number(found['output'].value)}."
    )


def kid_backward(trace: Trace, index: int, focus: Focus) -> str:
    """The blame through image layer ``index``, in a sentence or two."""
    layer = trace.info["layers"][index - 1]
    kind = layer["kind"]
    words = IMAGE_WORDS[kind]
    if kind == "Conv2D":
        worked = kernel_gradient_entry(trace, index, focus)
        i, j, _, f = worked.target.index
        return (
            f"Layer {index}: {words['kid_back']}. The number at row {i}, column {j} of stamp "
            f"{f} gets blame {kid_number(worked.target.value)}."
        )
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        window = pool_window(trace, index, focus)
        text = f"Layer {index}: " + words["kid_back"].format(count=window.count) + "."
        if window.delta is None:
            return text
        blame = kid_number(window.delta.value)
        if kind == "MaxPooling2D":
            winner = window.inputs[window.winner or 0]
            return (
                f"{text} Here the blame {blame} goes to the winner {kid_number(winner.value)}; "
                f"the other {window.count - 1} numbers get 0."
            )
        return f"{text} Here each gets {kid_number(window.shares[0])} of the blame {blame}."
    if kind == "GlobalAveragePooling2D":
        count = global_pool(trace, index, focus)["count"]
        return f"Layer {index}: " + words["kid_back"].format(count=count) + "."
    if kind == "Rescaling":
        scale = f"{layer['config']['scale']:.9g}"
        return f"Layer {index}: " + words["kid_back"].format(scale=scale) + "."
    return f"Layer {index}: {words['kid_back']}."


def expert_lines(trace: Trace, index: int, focus: Focus) -> list[str]:
    """Compact lines for image layer ``index``: its rules, then the worked numbers."""
    kind = trace.info["layers"][index - 1]["kind"]
    words = IMAGE_WORDS[kind]
    lines = [
        f"layer {index} {kind}: `{words['expert']}`; backward `{words['expert_back']}`",
    ]
    flat = " ".join
    if kind == "Conv2D":
        lines.append(
            flat(render_sum(conv_pixel(trace, index, focus), expert_term, expert_number).split())
        )
        lines.append(
            flat(
                render_sum(
                    kernel_gradient_entry(trace, index, focus), expert_term, expert_number
                ).split()
            )
        )
        pixel = input_gradient_pixel(trace, index, focus)
        if pixel is not None:
            lines.append(flat(render_sum(pixel, expert_term, expert_number).split()))
    elif kind in ("MaxPooling2D", "AveragePooling2D"):
        window = pool_window(trace, index, focus)
        cells = ", ".join(f"{f.label} = {expert_number(f.value)}" for f in window.inputs)
        lines.append(f"{window.output.label} = {expert_number(window.output.value)} from {cells}")
        if window.delta is not None:
            shares = ", ".join(expert_number(s) for s in window.shares)
            lines.append(
                f"{window.delta.label} = {expert_number(window.delta.value)} -> shares {shares}"
            )
    elif kind == "GlobalAveragePooling2D":
        found = global_pool(trace, index, focus)
        out = found["output"]
        lines.append(
            f"{out.label} = {expert_number(found['total'])} / {found['count']} = "
            f"{expert_number(out.value)}"
        )
    elif kind in ("Flatten", "Reshape"):
        source, target = moved(trace, index, focus)
        lines.append(f"{target.label} = {source.label} = {expert_number(target.value)}")
    elif kind in ("Rescaling", "Normalization"):
        lines.append(scaling_line(trace, index, focus, expert_term, expert_number))
    else:
        found = batchnorm(trace, index, focus)
        mu, var, x_hat = found["mu"], found["var"], found["x_hat"]
        lines.append(
            f"{mu.label} = {expert_number(mu.value)}, {var.label} = {expert_number(var.value)} "
            f"(m = {found['count']}), {x_hat.label} = {expert_number(x_hat.value)}, "
            f"{found['output'].label} = {expert_number(found['output'].value)}"
        )
    return lines
