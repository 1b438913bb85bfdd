"""The words for image layers, forward and backward, at each level (kid, student, expert).

Nothing here formats a number: the renderer (``image_text``) fills the ``{...}`` slots with the
step's own numbers. A test checks that every layer kind that takes images (and the two
preprocessing layers, which an image model starts with) has every key at every level, so a new
image layer cannot arrive without words.
"""

from __future__ import annotations

#: the keys every image layer kind has: what it does forward and backward, at each level
LEVEL_KEYS = ("kid", "kid_back", "student", "student_back", "expert", "expert_back")

IMAGE_WORDS: dict[str, dict[str, str]] = {
    "Conv2D": {
        "kid": "The {kh}x{kw} stamp slides over the picture; here it sits {where}; it "
        "multiplies every number under it by the stamp's own number and adds them up{bias}",
        "kid_back": "Each number of the stamp gets one blame: over every spot the stamp sat on, "
        "the picture number under it times the blame of that spot, all added up",
        "student": "A convolution slides each filter over the image: every output pixel is the "
        "sum of a window of the input times the filter, plus the filter's bias",
        "student_back": "The kernel's gradient is the input windows weighted by delta (each "
        "window times the blame of the pixel it made); the input's gradient is delta spread "
        "back through the kernel (each input pixel collects, from every output it fed, that "
        "output's delta times the kernel weight that joined them)",
        "expert": "z[n, y, x, f] = sum_(i, j, c) a_prev[n, y*s+i-P, x*s+j-P, c] * K[i, j, c, f] "
        "+ b[f]; out = (W - F + 2P) / S + 1",
        "expert_back": "dC/dK[i, j, c, f] = sum_(n, y, x) a_prev[n, y*s+i-P, x*s+j-P, c] * "
        "delta[n, y, x, f]; dC/db[f] = sum_(n, y, x) delta[n, y, x, f]; dC/da_prev = delta "
        "spread back through K (a full convolution with the flipped kernel)",
    },
    "MaxPooling2D": {
        "kid": "Of each small square of {count} numbers only the biggest is kept",
        "kid_back": "Going back, all the blame of a square goes to its biggest number (the "
        "winner), and the other numbers get 0",
        "student": "Max pooling keeps the largest value of each window",
        "student_back": "Max pooling routes each delta to the winner of its window (the first "
        "maximum, row by row); the losers get 0",
        "expert": "a[n, y, x, c] = max_(i, j) a_prev[n, y*s+i, x*s+j, c]",
        "expert_back": "dC/da_prev[winner of window (y, x)] += dC/da[n, y, x, c]; 0 elsewhere",
    },
    "AveragePooling2D": {
        "kid": "Each small square of {count} numbers is replaced by their average",
        "kid_back": "Going back, the blame of a square is shared equally: each of its "
        "{count} numbers gets 1/{count} of it",
        "student": "Average pooling takes the mean of each window",
        "student_back": "Average pooling shares each delta: every input of the window gets "
        "1/(ph*pw) of it (1/count of its real inputs with 'same' padding)",
        "expert": "a[n, y, x, c] = mean_(i, j) a_prev[n, y*s+i, x*s+j, c]",
        "expert_back": "dC/da_prev[n, y*s+i, x*s+j, c] += dC/da[n, y, x, c] / (ph*pw)",
    },
    "GlobalAveragePooling2D": {
        "kid": "Each whole picture channel becomes one number, its average",
        "kid_back": "Going back, a channel's blame is shared by all its {count} numbers equally",
        "student": "Global average pooling takes the mean of each whole channel",
        "student_back": "Every position of a channel gets its delta / (h*w)",
        "expert": "a[n, c] = sum_(y, x) a_prev[n, y, x, c] / (h*w)",
        "expert_back": "dC/da_prev[n, y, x, c] = dC/da[n, c] / (h*w)",
    },
    "Flatten": {
        "kid": "The picture's numbers are laid out in one long row, row by row, the channels "
        "of each spot side by side; no number changes",
        "kid_back": "Going back, every blame is put back in its place in the picture",
        "student": "Flatten moves each number to its place in one row (channels-last order): "
        "a[n, (y*W + x)*C + c] = a_prev[n, y, x, c]",
        "student_back": "Its backward only puts the numbers back in place: dC/da_prev = dC/da "
        "reshaped back",
        "expert": "a = a_prev.reshape(batch, -1)",
        "expert_back": "dC/da_prev = dC/da.reshape(a_prev.shape)",
    },
    "Reshape": {
        "kid": "The same numbers are arranged into a new shape; no number changes",
        "kid_back": "Going back, every blame is put back in its old place",
        "student": "Reshape moves each number to the same place in the row-major order of "
        "the new shape",
        "student_back": "Its backward only puts the numbers back in place: dC/da_prev = dC/da "
        "reshaped back",
        "expert": "a = a_prev.reshape(batch, *target_shape)",
        "expert_back": "dC/da_prev = dC/da.reshape(a_prev.shape)",
    },
    "Rescaling": {
        "kid": "Every number is changed the same way: times {scale}, plus {offset}",
        "kid_back": "Going back, every blame is only scaled by the same {scale}",
        "student": "Rescaling changes every number alike: a = a_prev * scale + offset",
        "student_back": "Its backward only scales: dC/da_prev = dC/da * scale",
        "expert": "a = a_prev * scale + offset",
        "expert_back": "dC/da_prev = dC/da * scale",
    },
    "Normalization": {
        "kid": "Every number has its input's average taken away and is divided by its spread",
        "kid_back": "Going back, every blame is only divided by the same spread",
        "student": "Normalization: a = (a_prev - mean) / sqrt(variance), with fixed mean and "
        "variance per channel",
        "student_back": "Its backward only scales: dC/da_prev = dC/da / sqrt(variance)",
        "expert": "a = (a_prev - mean) / sqrt(variance)",
        "expert_back": "dC/da_prev = dC/da / sqrt(variance)",
    },
    "BatchNormalization": {
        "kid": "Each channel is evened out with the batch's own average and spread, then "
        "stretched by gamma and shifted by beta",
        "kid_back": "Going back, the blame takes three paths: straight through, through the "
        "average, and through the spread",
        "student": "Batch normalisation, training mode (this step): each channel uses the "
        "batch's mean mu and (biased) variance var over its m values; inference mode uses "
        "the moving averages instead (moving = moving * momentum + batch * (1 - momentum))",
        "student_back": "The backward's three terms, with g = dC/da * gamma: the direct path "
        "m * g, the path through mu -sum(g), the path through var -x_hat * sum(g * x_hat), "
        "all over m * sqrt(var + epsilon) (in inference mode only g / sqrt(var + epsilon))",
        "expert": "x_hat = (a_prev - mu) / sqrt(var + epsilon); a = gamma * x_hat + beta",
        "expert_back": "dC/da_prev = (m * g - sum(g) - x_hat * sum(g * x_hat)) / "
        "(m * sqrt(var + epsilon)), g = dC/da * gamma; dC/dgamma = sum(dC/da * x_hat); "
        "dC/dbeta = sum(dC/da)",
    },
}
