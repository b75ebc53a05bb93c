"""Build kokoro's KModel from its weights faster, with exactly the same parameters.

KModel builds every layer with random weights and then overwrites them all from the
checkpoint. Measured on this project's CPU (bench/README.md, issue 18): building took about
1.2 s of the daemon's 5.5 s start, most of it drawing random numbers for 82 million weights
that are thrown away, and reading the 330 MB checkpoint into fresh memory. Here:

- torch's weight initialisers (and kokoro's own `init_weights`) fill NaN instead of drawing
  random numbers: a fill costs a fraction of a draw, and a weight the checkpoint did not
  overwrite shows up as NaN afterwards instead of passing unnoticed as random noise;
- the checkpoint is memory-mapped (torch.load's `mmap`) instead of read into a copy.

Every parameter and buffer is checked for NaN after loading; if any is left (a checkpoint
that lacks a layer, a kokoro release that builds something new), the model is built again
the ordinary way, and the log says so. transformers' ALBERT initialises itself through its
own copies of the initialisers, so it is built as before.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator

import torch

log = logging.getLogger(__name__)

INITIALISERS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
                "sparse_")


def _fill_nan(tensor: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    with torch.no_grad():
        return tensor.fill_(float("nan"))


def _fill_module_nan(module: torch.nn.Module, *args, **kwargs) -> None:
    weight = getattr(module, "weight", None)
    if isinstance(weight, torch.Tensor):
        _fill_nan(weight)


@contextmanager
def unset_weights() -> Iterator[None]:
    """While on, new layers get NaN weights instead of random ones, and torch.load memory-maps."""
    import torch.utils.serialization as serialization

    patches: list[tuple[object, str, Callable]] = [(torch.nn.init, name, _fill_nan) for name in INITIALISERS]
    try:
        import kokoro.istftnet as istftnet

        patches.append((istftnet, "init_weights", _fill_module_nan))
    except ImportError:
        pass
    patches = [(owner, name, replacement) for owner, name, replacement in patches if hasattr(owner, name)]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    mmap_before = serialization.config.load.mmap
    try:
        for owner, name, replacement in patches:
            setattr(owner, name, replacement)
        serialization.config.load.mmap = True
        yield
    finally:
        serialization.config.load.mmap = mmap_before
        for owner, name, original in originals:
            setattr(owner, name, original)


def unset_tensors(model: torch.nn.Module) -> list[str]:
    """Names of the floating-point parameters and buffers of model that hold a NaN."""
    tensors = [*model.named_parameters(), *model.named_buffers()]
    return [name for name, tensor in tensors if tensor.is_floating_point() and torch.isnan(tensor).any()]


def build_kmodel(build: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    """Given a function that builds a KModel from its checkpoint, build it quickly (see above)."""
    with unset_weights():
        model = build()
    missing = unset_tensors(model)
    if not missing:
        return model
    log.warning("the checkpoint left %d weights unset (%s); building the model again the ordinary way",
                len(missing), ", ".join(missing[:3]))
    return build()
