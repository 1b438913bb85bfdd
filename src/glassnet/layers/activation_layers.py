"""Keras's activation layers: ``LeakyReLU(negative_slope=0.3)``.

``glassnet.layers.LeakyReLU(negative_slope)`` is an ``Activation`` layer holding
``activations.LeakyReLU(negative_slope)``: a = z where z > 0, else negative_slope * z;
dC/dz = dC/da * (1 where z > 0, else negative_slope). Its default slope is Keras 3's layer's,
0.3; the activation name ``"leaky_relu"`` keeps glassnet's documented 0.01 (PyTorch's), and
``keras.activations.leaky_relu``'s is 0.2. It saves as the ``Activation`` layer it is, so a
loaded model holds an ``Activation`` with the same slope.

>>> import numpy as np
>>> layer = LeakyReLU(negative_slope=0.1)
>>> layer.build(2, np.float64, None)
>>> layer.forward(np.array([[-2.0, 3.0]]))
array([[-0.2,  3. ]])
"""

from __future__ import annotations

from glassnet import activations as activations_module
from glassnet.layers.core import Activation


class LeakyReLU(Activation):
    """An Activation layer with a leaky ReLU of any ``negative_slope`` (Keras's default 0.3)."""

    def __init__(self, negative_slope: float = 0.3, name: str | None = None) -> None:
        super().__init__(activations_module.LeakyReLU(negative_slope), name)

    def __repr__(self) -> str:
        """``LeakyReLU(negative_slope=0.3)``: the layer as written (``Activation``'s repr
        showed ``Activation('leaky_relu')``, without the slope)."""
        return f"LeakyReLU(negative_slope={self.activation.negative_slope!r})"
