"""Faster torch inference for a loaded KModel, with bit-identical samples.

Measured on a CPU (bench/README.md, "Speed"): the decoder's convolutions run close to the
machine's peak, and most of the rest is elementwise work in its AdaIN residual blocks,
where every Snake activation `x + 1/a * sin(a*x)**2` makes five full-size temporaries.
Two changes, neither of which changes a single sample:

- weight norm is folded into plain weights once, at load, instead of being recomputed
  (and reallocated, which fragments the heap) on every call;
- the residual blocks compute AdaIN and Snake in place (on a CPU, a cache-sized block of
  channels at a time), with the same operations in the same order.

The patched blocks are checked against kokoro's own code on random input before use: a
kokoro release whose blocks differ keeps its own code (and the log says so).
"""

from __future__ import annotations

import logging
import types

import torch

log = logging.getLogger(__name__)

# Snake is computed this many bytes of channels at a time, so that its five passes hit the cache.
SNAKE_BLOCK_BYTES = 512 * 1024


def fold_weight_norm(model: torch.nn.Module) -> int:
    """Replace weight norm by the weights it computes; return how many were folded.

    Both of torch's forms are handled: the old `WeightNorm` forward pre-hook (kokoro 0.9) and
    `torch.nn.utils.parametrizations.weight_norm` (kokoro's main branch).
    """
    from torch.nn.utils import parametrize

    folded = 0
    for module in model.modules():
        for hook in list(module._forward_pre_hooks.values()):
            if type(hook).__name__ == "WeightNorm":
                torch.nn.utils.remove_weight_norm(module, hook.name)
                folded += 1
        if parametrize.is_parametrized(module):
            for name, chain in list(module.parametrizations.items()):
                if any(type(p).__name__ == "_WeightNorm" for p in chain):
                    with torch.no_grad():
                        parametrize.remove_parametrizations(module, name, leave_parametrized=True)
                    folded += 1
    return folded


def _adain(norm_layer, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """kokoro's AdaIN1d.forward, `(1 + gamma) * norm(x) + beta`, reusing norm's output."""
    h = norm_layer.fc(style)
    h = h.view(h.size(0), h.size(1), 1)
    gamma, beta = torch.chunk(h, chunks=2, dim=1)
    return norm_layer.norm(x).mul_(1 + gamma).add_(beta)


def _snake(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """`x + (1 / alpha) * sin(alpha * x) ** 2` into one new tensor, a block of channels at a time."""
    out = torch.empty_like(x)
    inverse = 1 / alpha
    channels, length = x.shape[1], x.shape[2]
    step = max(1, SNAKE_BLOCK_BYTES // max(1, length * x.element_size()))
    if x.device.type != "cpu":
        step = channels  # a GPU wants few large kernels, not cache-sized ones
    for first in range(0, channels, step):
        block, result = x[:, first:first + step], out[:, first:first + step]
        torch.mul(alpha[:, first:first + step], block, out=result)
        result.sin_()
        result.mul_(result)  # ** 2 is computed as x * x
        result.mul_(inverse[:, first:first + step])
        result.add_(block)
    return out


def run_residual_block(block, x: torch.Tensor, style: torch.Tensor, adain, snake) -> torch.Tensor:
    """kokoro's AdaINResBlock1.forward, with the given AdaIN and Snake (channels_last.py has its own)."""
    for conv1, conv2, norm1, norm2, alpha1, alpha2 in zip(
        block.convs1, block.convs2, block.adain1, block.adain2, block.alpha1, block.alpha2
    ):
        xt = conv1(snake(adain(norm1, x, style), alpha1))
        xt = conv2(snake(adain(norm2, xt, style), alpha2))
        x = xt + x
    return x


def _residual_block_forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """kokoro's AdaINResBlock1.forward with AdaIN and Snake in place."""
    return run_residual_block(self, x, style, _adain, _snake)


def _same_output(block: torch.nn.Module, channels: int, style_dim: int) -> bool:
    """Does the patched forward give exactly kokoro's output on random input?"""
    generator = torch.Generator().manual_seed(0)
    device = next(block.parameters()).device
    x = torch.randn(1, channels, 300, generator=generator).to(device)
    style = torch.randn(1, style_dim, generator=generator).to(device)
    with torch.inference_mode():
        expected = block(x, style)
        actual = _residual_block_forward(block, x, style)
    return torch.equal(expected, actual)


def speed_up_residual_blocks(model: torch.nn.Module) -> int:
    """Patch kokoro's AdaIN residual blocks in model when they check out; return how many."""
    try:
        from kokoro.istftnet import AdaINResBlock1
    except ImportError:
        return 0
    blocks = [m for m in model.modules() if isinstance(m, AdaINResBlock1)]
    if not blocks:
        return 0
    first = blocks[0]
    try:
        same = _same_output(first, first.convs1[0].in_channels, first.adain1[0].fc.in_features)
    except (AttributeError, IndexError, RuntimeError, TypeError) as exc:
        log.warning("kokoro's residual blocks are not the expected ones (%s); keeping kokoro's code", exc)
        return 0
    if not same:
        log.warning("kokoro's residual blocks compute differently from the fast path; keeping kokoro's code")
        return 0
    for block in blocks:
        block.forward = types.MethodType(_residual_block_forward, block)
    return len(blocks)


def speed_up(model: torch.nn.Module) -> None:
    """Apply both changes to a loaded KModel (any device)."""
    folded = fold_weight_norm(model)
    patched = speed_up_residual_blocks(model)
    if not folded or not patched:
        # INFO, not DEBUG: a kokoro release that moved its internals makes synthesis slower, silently otherwise.
        log.info("fast path only partly applies to this kokoro: %d weight norms folded, %d residual blocks "
                 "patched; synthesis is correct but slower", folded, patched)
    else:
        log.debug("fast path: %d weight norms folded, %d residual blocks patched", folded, patched)
