"""A pass of the engine read out as trace events, in the order a hand calculation finds the
numbers: the forward terms, the deltas with their chain-rule factors, each parameter's
gradient and its paths through the units downstream. record.py runs the steps and calls this
for each pass, so no number is computed twice.
"""

from __future__ import annotations

import numpy as np

from backprop_tutor.core.numbers import carry
from backprop_tutor.core.trace import (
    DeltaEvent,
    Factor,
    ForwardEvent,
    GradientEvent,
    NormEvent,
    PathEvent,
    Term,
)
from backprop_tutor.engine import Network
from backprop_tutor.passes import Layer, Pass
from backprop_tutor.spec.limits import lists_paths


class Recorder:
    """Copies one Pass into events, in the order a hand calculation finds them."""

    def __init__(self, network: Network, p: Pass, example: int | None = None) -> None:
        self.net = network
        # a traced step has one example; or example k of a batch pass, with its own share of
        # each gradient (batch normalization: its pass is the batch's, never made alone)
        self.p = p.example(0) if example is None else p.alone(example, network.layers)
        self.c = network._carry
        # past the bound, hidden gradients are shown in the delta form alone (scale.py)
        self.list_paths = lists_paths(network.spec)

    def forward(self) -> tuple[ForwardEvent, ...]:
        events = []
        masks = self.net.masks
        sources = self.net.spec.input_names
        for i, layer in enumerate(self.net.layers):
            ls = layer.spec
            x = self.p.outs[i]
            norm = self.p.norms[i] if self.p.norms else None
            for u, unit in enumerate(ls.units):
                terms = tuple(
                    Term(s, ls.weight_names[u][k], float(x[k]), float(layer.weights[u, k]))
                    for k, s in enumerate(sources)
                )
                net = float(self.p.nets[i][u] if norm is None else norm.net[u])
                bias = ls.bias_names[ls.bias_of_unit[u]] if ls.bias_of_unit else None
                bias_value = float(layer.bias[ls.bias_of_unit[u]]) if ls.bias_of_unit else 0.0
                events.append(
                    ForwardEvent(
                        i + 1,
                        unit,
                        ls.activation,
                        terms,
                        bias,
                        bias_value,
                        net,
                        float(self.p.outs[i + 1][u]),
                        None if masks is None or masks[i] is None else float(masks[i][u, 0]),
                        None if norm is None else float(norm.xhat[u]),
                        None if norm is None else float(self.p.nets[i][u]),
                    )
                )
            sources = ls.units
        return tuple(events)

    def deltas(self) -> tuple[DeltaEvent, ...]:
        events = []
        layers, places = self.net.layers, self.net.spec.carry_digits
        for i in reversed(range(len(layers))):
            ls, act = layers[i].spec, layers[i].activation
            dy = self.p.dy[i] if self.p.dy else None
            jacobian = None if act.elementwise else act.jacobian(self.p.outs[i + 1])  # type: ignore[misc]
            for u, unit in enumerate(ls.units):
                downstream: tuple = ()
                if i + 1 < len(layers):
                    above = layers[i + 1]
                    downstream = tuple(
                        (
                            k_name,
                            above.spec.weight_names[k][u],
                            float(self.p.back_weights[i + 1][k, u]),
                            float(self.p.delta[i + 1][k]),
                        )
                        for k, k_name in enumerate(above.spec.units)
                    )
                events.append(
                    DeltaEvent(
                        i + 1,
                        unit,
                        float(self.p.de_dout[i][u]),
                        float(self.p.dout_dnet[i][u]),
                        float(self.p.delta[i][u]),
                        downstream,
                        ()
                        if jacobian is None
                        else tuple(zip(ls.units, map(float, jacobian[:, u]), strict=True)),
                        # each term as a calculator user writes it down (carried digits)
                        tuple(carry(w * dk, places) for _, _, w, dk in downstream),
                        None if dy is None else float(dy[u]),
                    )
                )
        return tuple(events)

    def _unit_factors(self, i: int, u: int) -> tuple[Factor, ...]:
        """dE/dnet of unit u in layer i as chain-rule factors: dE/dout · dout/dnet, or, where
        the activation mixes its units (softmax), delta itself (see its Jacobian rows)."""
        unit = self.net.layers[i].spec.units[u]
        if not _one_path(self.net.layers[i]):
            return (Factor("delta", unit, None, float(self.p.delta[i][u])),)
        return (
            Factor("de_dout", unit, None, float(self.p.de_dout[i][u])),
            Factor("dout_dnet", unit, None, float(self.p.dout_dnet[i][u])),
        )

    def _paths(self, i: int, u: int, param: str, dnet_dparam: Factor) -> tuple[PathEvent, ...]:
        """Paths from a parameter of unit u in layer i to the error, via each unit it feeds."""
        layers = self.net.layers
        if not self.list_paths or i + 1 >= len(layers) or not _one_path(layers[i]):
            # no paths from the last layer; and inside softmax or batch normalization a path
            # is no single product (delta_j mixes the layer's outputs or the batch's
            # examples), so the delta form stands alone
            return ()
        above = layers[i + 1]
        unit = layers[i].spec.units[u]
        own = Factor("dout_dnet", unit, None, float(self.p.dout_dnet[i][u]))
        paths = []
        for k, k_name in enumerate(above.spec.units):
            if i + 1 == len(layers) - 1:  # Dawood's full chain through an output unit
                head = self._unit_factors(i + 1, k)
            else:
                head = (Factor("delta", k_name, None, float(self.p.delta[i + 1][k])),)
            factors = (
                *head,
                Factor("dnet_dout", k_name, unit, float(self.p.back_weights[i + 1][k, u])),
                own,
                dnet_dparam,
            )
            value = float(self.c(np.array([np.prod([f.value for f in factors])]))[0])
            if not np.isfinite(value):  # dE/dout past float64 (inf · 0): delta is its product
                value = float(self.p.delta[i + 1][k]) * float(
                    np.prod([f.value for f in factors[-3:]])
                )
            paths.append(PathEvent(param, k_name, factors, value))
        return tuple(paths)

    def gradients(self) -> tuple[GradientEvent, ...]:
        events = []
        layers = self.net.layers
        for i in reversed(range(len(layers))):
            ls = layers[i].spec
            sources = self.net.spec.input_names if i == 0 else layers[i - 1].spec.units
            by_name: dict[str, GradientEvent] = {}
            for u, unit in enumerate(ls.units):
                for s, name in enumerate(ls.weight_names[u]):
                    dparam = Factor("dnet_dparam", name, None, float(self.p.outs[i][s]))
                    by_name[name] = GradientEvent(
                        name,
                        "weight",
                        i + 1,
                        (unit,),
                        sources[s],
                        (*self._unit_factors(i, u), dparam),
                        self._paths(i, u, name, dparam),
                        float(self.p.grad_w[i][u, s]),
                    )
            # a batch-normalized layer's γ and β, held where its biases would be
            by_name.update(self._normalization(i) if ls.batch_norm else self._biases(i))
            events.extend(by_name[name] for name in ls.param_order)
        return tuple(events)

    def _biases(self, i: int) -> dict[str, GradientEvent]:
        """Layer i's biases' gradients: a unit's own bias by its unit's factors, a bias
        shared by the layer by one path through each unit it feeds."""
        ls = self.net.layers[i].spec
        found = {}
        for b, name in enumerate(ls.bias_names):
            fed = [u for u in range(len(ls.units)) if ls.bias_of_unit[u] == b]
            sign = float(self.net.spec.bias_sign)  # a threshold enters as −b: dnet/db = −1
            dparam = Factor("dnet_dparam", name, None, sign)
            if len(fed) == 1:
                factors = (*self._unit_factors(i, fed[0]), dparam)
                paths = self._paths(i, fed[0], name, dparam)
            else:  # a shared bias: one path through each unit it feeds
                factors = ()
                paths = tuple(
                    PathEvent(
                        name,
                        ls.units[u],
                        (*self._unit_factors(i, u), dparam),
                        sign * float(self.p.delta[i][u]),
                    )
                    for u in fed
                )
            found[name] = GradientEvent(
                name,
                "bias",
                i + 1,
                tuple(ls.units[u] for u in fed),
                None,
                factors,
                paths,
                float(self.p.grad_b[i][b]),
            )
        return found

    def _normalization(self, i: int) -> dict[str, GradientEvent]:
        """γ's and β's gradients of a batch-normalized layer: Σ ∂E/∂y·x̂ and Σ ∂E/∂y over
        the batch (this example's share, in an example of one)."""
        ls = self.net.layers[i].spec
        assert ls.batch_norm is not None
        units = len(ls.units)
        found = {}
        for u, unit in enumerate(ls.units):
            for kind, name, at in (
                ("gamma", ls.batch_norm.gammas[u], u),
                ("beta", ls.batch_norm.betas[u], units + u),
            ):
                value = float(self.p.grad_b[i][at])
                found[name] = GradientEvent(name, kind, i + 1, (unit,), None, (), (), value)  # type: ignore[arg-type]
        return found

    def statistics(self, before: list) -> tuple[NormEvent, ...]:
        """Each batch-normalized unit's mean and variance over the batch, with γ and β, and
        its running statistics before this batch (`before`, per layer) and after it."""
        events = []
        for i, layer in enumerate(self.net.layers):
            norm = self.p.norms[i] if self.p.norms else None
            ls = layer.spec
            if norm is None or ls.batch_norm is None:
                continue
            units = len(ls.units)
            for u, unit in enumerate(ls.units):
                events.append(
                    NormEvent(
                        i + 1,
                        unit,
                        float(norm.mean[u]),
                        float(norm.var[u]),
                        norm.epsilon,
                        ls.batch_norm.gammas[u],
                        ls.batch_norm.betas[u],
                        float(layer.bias[u]),
                        float(layer.bias[units + u]),
                        float(self.p.grad_b[i][u]),  # the batch's: Σ ∂E/∂y·x̂, then Σ ∂E/∂y
                        float(self.p.grad_b[i][units + u]),
                        ls.batch_norm.momentum,
                        (float(before[i][0][u]), float(before[i][1][u])),
                        (float(self.net.running[i][0][u]), float(self.net.running[i][1][u])),
                    )
                )
        return tuple(events)

    def parameters(self) -> list[tuple[str, float, float, bool, float]]:
        """(name, old value, gradient, will be updated, momentum term) for every parameter,
        read before the update."""
        net, p = self.net, self.p
        alpha, update_biases = net.spec.training.momentum, net.spec.update_biases
        found = []
        for name, i, is_bias, index in net.slots():
            updated = update_biases or not is_bias
            momentum = alpha * float(net.velocity[i][is_bias][index]) if updated else 0.0
            found.append(
                (
                    name,
                    float(net.array(i, is_bias)[index]),
                    float((p.grad_b if is_bias else p.grad_w)[i][index]),
                    updated,
                    momentum,
                )
            )
        return found


def _one_path(layer: Layer) -> bool:
    """Whether a unit's net input reaches the error through its own output alone: not inside
    softmax (every output moves) nor batch normalization (every example of the batch moves)."""
    return layer.activation.elementwise and layer.norm is None
