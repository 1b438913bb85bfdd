"""The words: what each piece of a network is called and how it is explained, at each level.

Nothing here formats or computes; the narrators look things up in these tables, keyed by the
engine's names (``activation.name``, ``loss.name``, ``optimizer.name``, ``layer.kind``,
regularizer name). A test checks that every piece the engine has is in its table, so a new
activation, loss, optimizer or layer cannot arrive without words.
"""

from __future__ import annotations

#: activation name -> formula, derivative (with what it is written from), kid words, student words
ACTIVATION_WORDS: dict[str, dict[str, str]] = {
    "sigmoid": {
        "formula": "1 / (1 + exp(-z))",
        "derivative": "a * (1 - a)",
        "kid": "squashes the sum into a number between 0 and 1 (the sigmoid squash)",
        "student": "sigmoid(z) = 1 / (1 + exp(-z)); its slope is a * (1 - a), read off the output",
    },
    "tanh": {
        "formula": "tanh(z)",
        "derivative": "1 - a**2",
        "kid": "squashes the sum into a number between -1 and 1 (the tanh squash)",
        "student": "tanh(z); its slope is 1 - a**2, read off the output",
    },
    "relu": {
        "formula": "max(z, 0)",
        "derivative": "1 if z > 0 else 0",
        "kid": "keeps a positive sum as it is and turns a negative one into 0 (ReLU)",
        "student": "relu(z) = max(z, 0); its slope is 1 where z > 0 and 0 elsewhere (0 at z = 0)",
    },
    "leaky_relu": {
        "formula": "z if z > 0 else s * z",
        "derivative": "1 if z > 0 else s",
        "kid": "keeps a positive sum and shrinks a negative one to a small part of itself (leaky)",
        "student": "leaky_relu(z) = z if z > 0 else s * z; its slope is 1 or s "
        "(s = negative_slope)",
    },
    "linear": {
        "formula": "z",
        "derivative": "1",
        "kid": "passes the sum on unchanged",
        "student": "linear(z) = z; its slope is 1, so delta = dC/da",
    },
    "softmax": {
        "formula": "exp(z_i) / sum_j exp(z_j)",
        "derivative": "da_i/dz_j = a_i * (delta_ij - a_j)",
        "kid": "turns the sums into shares that add up to 1, like slicing a pie between classes",
        "student": "softmax(z)_i = exp(z_i) / sum_j exp(z_j); each share depends on every z, "
        "so dC/dz = a * (dC/da - sum(dC/da * a))",
    },
    "elu": {
        "formula": "z if z > 0 else alpha * (exp(z) - 1)",
        "derivative": "1 if z > 0 else a + alpha",
        "kid": "keeps a positive sum and bends a negative one smoothly towards -alpha (ELU)",
        "student": "elu(z) = z if z > 0 else alpha * (exp(z) - 1); its slope is 1 or "
        "alpha * exp(z) = a + alpha, read off the output",
    },
    "selu": {
        "formula": "scale * (z if z > 0 else alpha * (exp(z) - 1))",
        "derivative": "scale if z > 0 else a + scale * alpha",
        "kid": "like ELU, but stretched by fixed numbers chosen so the signals keep a steady size "
        "from layer to layer (SELU)",
        "student": "selu(z) = scale * elu(z) with alpha = 1.6733, scale = 1.0507; its slope is "
        "scale or a + scale * alpha, read off the output",
    },
    "gelu": {
        "formula": "z * Phi(z)  (Phi: the normal distribution's cdf; tanh approximation with "
        "approximate=True)",
        "derivative": "Phi(z) + z * phi(z)",
        "kid": "lets a sum through in proportion to how likely a bell curve says it is to be "
        "positive, so big positive sums pass, big negative ones become 0 (GELU)",
        "student": "gelu(z) = z * Phi(z), Phi the standard normal cdf; its slope is "
        "Phi(z) + z * phi(z), phi the normal density",
    },
    "silu": {
        "formula": "z * sigmoid(z)",
        "derivative": "s * (1 + z * (1 - s)), s = sigmoid(z)",
        "kid": "multiplies the sum by its own sigmoid squash, a smooth ReLU (SiLU, or swish)",
        "student": "silu(z) = z * sigmoid(z); its slope is s * (1 + z * (1 - s)) with "
        "s = sigmoid(z), from z",
    },
    "softplus": {
        "formula": "log(1 + exp(z))",
        "derivative": "sigmoid(z)",
        "kid": "a smooth ReLU: about 0 for negative sums and about the sum for positive ones "
        "(softplus)",
        "student": "softplus(z) = log(1 + exp(z)); its slope is sigmoid(z)",
    },
    "softsign": {
        "formula": "z / (1 + |z|)",
        "derivative": "1 / (1 + |z|)**2",
        "kid": "squashes the sum into a number between -1 and 1, more gently than tanh (softsign)",
        "student": "softsign(z) = z / (1 + |z|); its slope is 1 / (1 + |z|)**2",
    },
    "hard_sigmoid": {
        "formula": "min(max((z + 3) / 6, 0), 1)",
        "derivative": "1/6 if -3 < z < 3 else 0",
        "kid": "a straight-line version of the sigmoid squash: 0 below -3, 1 above 3, a ramp "
        "between (hard sigmoid)",
        "student": "hard_sigmoid(z) = relu6(z + 3) / 6; its slope is 1/6 between -3 and 3 and "
        "0 outside",
    },
}

#: loss name -> formula of C, dC/da, kid words, the why of its gradient
LOSS_WORDS: dict[str, dict[str, str]] = {
    "half_sum_squared_error": {
        "formula": "C = 1/2 * sum((a - y)**2)",
        "gradient": "dC/da = a - y",
        "kid": "half of the sum of the squared misses",
        "why": "the 1/2 cancels the 2 that comes down from the square, so the output error is "
        "just a - y (the notebook's delta2 = a2 - y)",
        "calculus": "d/da 1/2 (a - y)^2 = 1/2 * 2 * (a - y) * d(a - y)/da = (a - y)",
    },
    "mean_squared_error": {
        "formula": "C = mean((a - y)**2)",
        "gradient": "dC/da = 2 * (a - y) / (n * k)",
        "kid": "the average of the squared misses",
        "why": "the 2 comes down from the square, and the mean divides by the n * k numbers "
        "averaged",
    },
    "binary_crossentropy": {
        "formula": "C = -mean(y * log(a) + (1 - y) * log(1 - a))",
        "gradient": "dC/da = (a - y) / (a * (1 - a) * n * k)",
        "kid": "how surprised the network was by the right answers (a confident wrong guess costs "
        "a lot)",
        "why": "with a sigmoid output the a * (1 - a) cancels the sigmoid's slope, so "
        "delta = (a - y) / (n * k) directly (fused, never dividing by a small a)",
    },
    "categorical_crossentropy": {
        "formula": "C = -(1/n) * sum(y * log(a))",
        "gradient": "dC/da = -y / (a * n)",
        "kid": "how surprised the network was by the right classes (a confident wrong guess costs "
        "a lot)",
        "why": "with a softmax output the softmax's slope cancels the 1/a, so delta = (a - y) / n "
        "directly (fused, never dividing by a small a)",
    },
    "sparse_categorical_crossentropy": {
        "formula": "C = -(1/n) * sum(onehot(y) * log(a))",
        "gradient": "dC/da = -onehot(y) / (a * n)",
        "kid": "how surprised the network was by the right classes (given as class numbers)",
        "why": "the labels are one-hot encoded first; with a softmax output, delta = (a - y) / n "
        "directly (fused)",
    },
    "mean_absolute_error": {
        "formula": "C = mean(|a - y|)",
        "gradient": "dC/da = sign(a - y) / (n * k)",
        "kid": "the average size of the misses",
        "why": "the slope of |a - y| is +1 or -1 (0 for an exact hit), so every miss pushes with "
        "the same strength, divided by the n * k numbers averaged",
    },
    "huber": {
        "formula": "C = mean(0.5 * (a - y)**2 if |a - y| <= delta else "
        "delta * |a - y| - 0.5 * delta**2)",
        "gradient": "dC/da = (a - y if |a - y| <= delta else delta * sign(a - y)) / (n * k)",
        "kid": "the average miss, counted squared when it is small and only by its size when it "
        "is big, so one wild example cannot pull too hard",
        "why": "near the target the loss is half the squared error (slope a - y); past delta it "
        "is a straight line (slope delta * sign(a - y)), so no single miss pulls harder than delta",
    },
}

#: how a loss's optional Keras settings change its words (added after the formula)
LOSS_SETTING_WORDS: dict[str, str] = {
    "label_smoothing": "with label smoothing s = {label_smoothing}: the targets are first "
    "y * (1 - s) + s / k (k = 2 for the binary loss, the number of classes otherwise)",
    "reduction_sum": "summed over the batch (reduction='sum'): n times the mean, and so is "
    "its gradient",
}

#: the cross-entropies with from_logits=True: the output a_L is the logit z, not a probability
LOGITS_WORDS: dict[str, dict[str, str]] = {
    "binary_crossentropy": {
        "probability": "p = sigmoid(a)",
        "formula": "C = mean(max(a, 0) - a * y + log(1 + exp(-|a|)))  "
        "(= the loss of p = sigmoid(a))",
        "gradient": "dC/da = (sigmoid(a) - y) / (n * k)",
        "why": "from_logits: the output a is a logit, and the loss applies the sigmoid itself, so "
        "its slope cancels as in the fused case and dC/da = (p - y) / (n * k)",
    },
    "categorical_crossentropy": {
        "probability": "p = softmax(a)",
        "formula": "C = -(1/n) * sum(y * log_softmax(a))",
        "gradient": "dC/da = (softmax(a) - y) / n",
        "why": "from_logits: the output a holds logits, and the loss applies the softmax itself "
        "(as log_softmax, stably), so dC/da = (p - y) / n",
    },
    "sparse_categorical_crossentropy": {
        "probability": "p = softmax(a)",
        "formula": "C = -(1/n) * sum(onehot(y) * log_softmax(a))",
        "gradient": "dC/da = (softmax(a) - onehot(y)) / n",
        "why": "from_logits: the labels are one-hot encoded, the loss applies the softmax "
        "itself, so dC/da = (p - y) / n",
    },
}

#: optimizer name -> the rule, kid words, student words
OPTIMIZER_WORDS: dict[str, dict[str, str]] = {
    "sgd": {
        "rule": "W_new = W - learning_rate * dC/dW",
        "momentum": "momentum_W = mu * momentum_W + dC/dW; W_new = W - learning_rate * momentum_W",
        "kid": "turns every knob against its blame: new knob = old knob - learning rate x blame",
        "kid_momentum": "it also remembers earlier pushes and keeps rolling like a ball (momentum)",
        "student": "gradient descent: step against the gradient, scaled by the learning rate",
    },
    "rmsprop": {
        "rule": "v_W = rho * v_W + (1 - rho) * (dC/dW)**2; "
        "W_new = W - learning_rate * dC/dW / (sqrt(v_W) + eps)",
        "kid": "divides each push by how big that knob's blame has recently been, so every knob "
        "moves by a similar amount",
        "student": "RMSprop: v is a running mean of the squared gradient; the step is the gradient "
        "divided by its root mean square",
    },
    "adam": {
        "rule": "m_W = beta_1 * m_W + (1 - beta_1) * dC/dW; "
        "v_W = beta_2 * v_W + (1 - beta_2) * (dC/dW)**2; "
        "W_new = W - learning_rate * (m_W / (1 - beta_1^t)) / (sqrt(v_W / (1 - beta_2^t)) + eps)",
        "kid": "remembers the average push (m) and the average size of the pushes (v) for every "
        "knob, and moves each knob by about the learning rate in the direction of its push",
        "student": "Adam: m and v are running means of the gradient and its square; dividing by "
        "1 - beta^t corrects their start at zero (bias correction)",
    },
    "adamw": {
        "rule": "W_decayed = W * (1 - learning_rate * weight_decay); then Adam's step: "
        "m_W = beta_1 * m_W + (1 - beta_1) * dC/dW; "
        "v_W = beta_2 * v_W + (1 - beta_2) * (dC/dW)**2; "
        "W_new = W_decayed - learning_rate * (m_W / (1 - beta_1^t)) / "
        "(sqrt(v_W / (1 - beta_2^t)) + eps)",
        "kid": "first shrinks every knob a tiny bit towards 0 (weight decay), then moves it as "
        "Adam does: by about the learning rate in the direction of its average push",
        "student": "AdamW: Adam plus decoupled weight decay; each weight shrinks by the factor "
        "1 - learning_rate * weight_decay before Adam's step, instead of adding a penalty to "
        "the loss",
    },
    "adagrad": {
        "rule": "acc_W = acc_W + (dC/dW)**2; "
        "W_new = W - learning_rate * dC/dW / (sqrt(acc_W) + eps)",
        "kid": "adds up how big each knob's pushes have been so far, and moves a knob that has "
        "been pushed a lot by smaller and smaller steps",
        "student": "Adagrad: acc sums every squared gradient so far (from "
        "initial_accumulator_value); the step is the gradient divided by its square root, so "
        "each weight's step size only shrinks",
    },
}

#: what weight decay and clipping add to any optimizer's rule (kid words, student words)
OPTIMIZER_EXTRA_WORDS: dict[str, dict[str, str]] = {
    "weight_decay": {
        "kid": "before each step every knob also shrinks a tiny bit towards 0 (weight decay)",
        "student": "decoupled weight decay: W shrinks by the factor 1 - learning_rate * "
        "weight_decay before the step",
    },
    "clipnorm": {
        "kid": "a push that is too big is first cut down to a set size (clipping)",
        "student": "each weight's gradient is first scaled down to length clipnorm when it is "
        "longer",
    },
    "global_clipnorm": {
        "kid": "when all the pushes together are too big, they are all cut down by the same "
        "share (clipping)",
        "student": "all the gradients together are first scaled down to total length "
        "global_clipnorm when they are longer",
    },
    "clipvalue": {
        "kid": "each push is first cut down to a set size in either direction (clipping)",
        "student": "each gradient element is first clipped to [-clipvalue, clipvalue]",
    },
}


def optimizer_extras(config: dict[str, object]) -> list[str]:
    """The keys of ``OPTIMIZER_EXTRA_WORDS`` that an optimizer's config turns on (AdamW's own
    words already tell its weight decay).

    >>> optimizer_extras({"name": "sgd", "weight_decay": 0.01, "clipnorm": 1.0})
    ['weight_decay', 'clipnorm']
    """
    return [
        key
        for key in OPTIMIZER_EXTRA_WORDS
        if config.get(key) and not (key == "weight_decay" and config.get("name") == "adamw")
    ]


#: layer kind -> kid words, student words
LAYER_WORDS: dict[str, dict[str, str]] = {
    "Dense": {
        "kid": "has {units}; {each} multiplies every input by its "
        "own knob (weight), adds them up{bias}, and then {activation}",
        "student": "Dense: z = a_prev @ W + b; a = f(z)",
        "bias_kid": " plus its own extra knob (the bias)",
    },
    "Activation": {
        "kid": "has no knobs; it {activation}",
        "student": "Activation: a = f(a_prev), no weights; dC/da_prev = dC/da * f'(a_prev)",
    },
    "Dropout": {
        "kid": "switches off a random part of the numbers while training, so the network cannot "
        "lean on any single one; the rest are scaled up to make up for it",
        "student": "Dropout (inverted): while training a = a_prev * mask, where each mask entry is "
        "0 (dropped, with probability rate) or 1 / (1 - rate) (kept, scaled up); a = a_prev "
        "otherwise; backward, dC/da_prev = dC/da * mask",
    },
    "Rescaling": {
        "kid": "has no knobs; it changes every number the same way before anything else: {how}",
        "divide": "the numbers (the pixels, for a picture) are divided by {divisor} first",
        "multiply": "the numbers are multiplied by {scale} first",
        "offset": ", and then {offset} is added",
        "student": "Rescaling: a = a_prev * scale + offset, the same for every input and every "
        "step, no weights; backward, dC/da_prev = dC/da * scale",
    },
    "Normalization": {
        "kid": "has no knobs; it puts every number on the same footing before anything else: {how}",
        "how": "from each number it takes away that input's average over the training data and "
        "divides by how widely that input spreads (its standard deviation), so each input is "
        "near 0 and usually between -2 and 2",
        "student": "Normalization: a = (a_prev - mean) / sqrt(variance), with mean and variance "
        "of each input fixed beforehand (adapt on the training data), no weights; backward, "
        "dC/da_prev = dC/da / sqrt(variance)",
    },
    # images (issue 17, first step): one line each; the full narration of a CNN comes next
    "Conv2D": {
        "kid": "slides small squares of knobs (filters) over the picture; at every spot each "
        "filter multiplies the pixels under it by its knobs and adds them up{bias}, and then "
        "{activation}",
        "student": "Conv2D: z[n, y, x, f] = sum_{i, j, c} a_prev[n, y*s+i, x*s+j, c] * "
        "K[i, j, c, f] + b[f]; a = f(z); dC/dK = windows correlated with delta, dC/da_prev = "
        "delta spread back through K",
        "bias_kid": " plus the filter's extra knob (the bias)",
    },
    "MaxPooling2D": {
        "kid": "has no knobs; it keeps only the biggest number of each small square of the "
        "picture, so the picture gets smaller",
        "student": "MaxPooling2D: a = the maximum of each window, no weights; backward, each "
        "delta goes to its window's winner (the first maximum) and the others get 0",
    },
    "AveragePooling2D": {
        "kid": "has no knobs; it replaces each small square of the picture by the average of "
        "its numbers, so the picture gets smaller",
        "student": "AveragePooling2D: a = the mean of each window, no weights; backward, each "
        "input of a window gets delta / (window size)",
    },
    "GlobalAveragePooling2D": {
        "kid": "has no knobs; it turns each whole picture channel into one number, its average",
        "student": "GlobalAveragePooling2D: a[n, c] = mean over y, x of a_prev[n, y, x, c]; "
        "backward, every position gets delta[n, c] / (h * w)",
    },
    "BatchNormalization": {
        "kid": "evens out each channel while training: from every number it takes away the "
        "batch's average and divides by how widely the batch spreads, then stretches and shifts "
        "it by two knobs of its own (gamma and beta), and it keeps running averages to use "
        "when predicting",
        "student": "BatchNormalization: x_hat = (a_prev - mu) / sqrt(var + epsilon) with mu, var "
        "the batch's per-channel mean and (biased) variance while training (the moving averages "
        "otherwise); a = gamma * x_hat + beta; backward, dC/da_prev = (m * g - sum(g) - x_hat * "
        "sum(g * x_hat)) / (m * sqrt(var + epsilon)) with g = dC/da * gamma, m values a channel",
    },
    "Flatten": {
        "kid": "has no knobs; it lays the picture's numbers out in one long row, row by row",
        "student": "Flatten: a = a_prev.reshape(batch, -1) (channels-last order), no weights; "
        "backward, dC/da_prev = dC/da reshaped back",
    },
    "Reshape": {
        "kid": "has no knobs; it arranges the same numbers into a new shape",
        "student": "Reshape: a = a_prev.reshape(batch, *target_shape), no weights; backward, "
        "dC/da_prev = dC/da reshaped back",
    },
}

#: regularizer name -> words
REGULARIZER_WORDS: dict[str, dict[str, str]] = {
    "l2": {
        "formula": "C += l2 * sum(W**2)",
        "gradient": "dC/dW += 2 * l2 * W",
        "kid": "adds a small fine for big knobs, so they stay small unless they really help",
        "student": "L2 (weight decay): the penalty l2 * sum(W**2) adds 2 * l2 * W to dC/dW",
    },
    "l1": {
        "formula": "C += l1 * sum(|W|)",
        "gradient": "dC/dW += l1 * sign(W)",
        "kid": "adds a small fine for every knob that is not 0, so unhelpful knobs go to 0",
        "student": "L1: the penalty l1 * sum(|W|) adds l1 * sign(W) to dC/dW (0 at W = 0)",
    },
    "l1_l2": {
        "formula": "C += l1 * sum(|W|) + l2 * sum(W**2)",
        "gradient": "dC/dW += l1 * sign(W) + 2 * l2 * W",
        "kid": "adds both fines: one for knobs that are not 0, one for big knobs",
        "student": "L1 and L2 together: dC/dW gains l1 * sign(W) + 2 * l2 * W",
    },
}

#: the seed notebook's names for glassnet's symbols, where they differ
NOTEBOOK_NAMES: list[tuple[str, str, str]] = [
    ("a0", "a0 = x", "the input, as in glassnet"),
    ("W1, W2", "weight1, weight2", "the weights (no biases: the constant input 1 plays one)"),
    (
        "dC/da2 = a2 - y",
        "delta2 = (a2-y)",
        "the notebook's delta2 is glassnet's dC/da2, the output error",
    ),
    (
        "delta2 = dC/da2 * da2/dz2",
        "dC_dw2_1 = delta2*derv_sigmoid(z2)",
        "glassnet's delta2 (dC/dz2) is the notebook's dC_dw2_1",
    ),
    ("dC/dW2 = a1.T @ delta2", "dC_dw2 = a1.T.dot(dC_dw2_1)", "Eq (A)"),
    (
        "delta1 = (delta2 @ W2.T) * da1/dz1",
        "dC_dw1 = np.multiply(dC_dw2_1,weight2.T) * derv_sigmoid(z1)",
        "Eq (B), first half: the notebook reuses the name dC_dw1 for delta1",
    ),
    ("dC/dW1 = a0.T @ delta1", "dC_dw1 = a0.T.dot(dC_dw1)", "Eq (B), second half"),
    ("learning_rate", "learningRate", "1 in the notebook"),
]

#: notes the student's narration of the seed network adds beside a symbol
NOTEBOOK_INLINE: dict[str, str] = {
    "dC/da2": "the notebook calls this output error delta2 = (a2-y)",
    "delta2": "the notebook's dC_dw2_1 = delta2*derv_sigmoid(z2)",
    "dC/dW2": "the notebook's Eq (A): dC_dw2 = a1.T.dot(dC_dw2_1)",
    "delta1": "Eq (B), first half: the notebook's dC_dw1 = np.multiply(dC_dw2_1,weight2.T) * "
    "derv_sigmoid(z1)",
    "dC/dW1": "Eq (B), second half: the notebook's dC_dw1 = a0.T.dot(dC_dw1)",
    "W1_new": "the notebook's weight1 = weight1 - learningRate*(dC_dw1)",
    "W2_new": "the notebook's weight2 = weight2 - learningRate*(dC_dw2)",
}

#: what each phase is called at each level
PHASE_WORDS: dict[str, dict[str, str]] = {
    "forward": {"kid": "Looking: the forward pass", "student": "Forward pass"},
    "loss": {"kid": "Checking: how wrong was it?", "student": "Loss"},
    "backward": {"kid": "Blame: the backward pass", "student": "Backward pass (chain rule)"},
    "update": {"kid": "Fixing: turning the knobs", "student": "Update"},
}

#: said where the update is narrated when layers are frozen (layer.trainable = False)
FROZEN_WORDS: dict[str, str] = {
    "kid": "Frozen (trainable = False): {layers}. The optimizer does not turn the knobs there",
    "student": "Frozen (trainable = False): {layers}. The optimizer leaves the weights there, and "
    "their optimizer state, as they are; the gradients still flow through to the layers before",
}
