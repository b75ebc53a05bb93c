"""The decoder's generator channels-last, in bfloat16 (precision "bf16") or fp32 ("fp32-cl").

bf16 is for CPUs that compute it natively. Measured with the real weights against fp32
(bench/README.md, issue 18), three paragraphs:

| generator arithmetic | call time vs fp32 | log-mel error vs fp32 | quality bench WER |
|---|---|---|---|
| fp32 | 1.00x | 0 | 34.7-34.8 % |
| whole decoder under bf16 autocast | 1.8x | 0.8 dB | 42.8 % |
| generator under autocast, `conv_post` in fp32 | 1.8x | 0.2 dB | 33.5 % |
| the same, channels-last throughout (this module) | 2.2-2.3x | 0.25 dB | 34.5 % (kokoro-onnx: 42.4 %) |

- `conv_post`, the generator's last convolution, stays fp32: its output is exponentiated into
  the spectrum (and its phase taken through a sine), so bf16's 3 significant digits there were
  almost all of the error. The layers before the generator (the frame-rate part) cost little
  and stay fp32 too, as do the text encoder and the duration predictor: every phoneme keeps
  its timing.
- The other convolutions run channels-last (samples outer, channels inner), as 2-D convolutions
  of height 1: oneDNN's bf16 kernels are up to 1.6x faster on that layout. Their weights are
  converted once, at load.
- So that the activations stay channels-last between convolutions (a layout change costs a
  full copy), the residual blocks compute AdaIN as one batch_norm over (samples, channels) with
  the style folded into its scale and shift, and Snake with whole-tensor operations; the last
  stage's reflection padding keeps bf16 and the layout (under autocast it returned fp32, and the
  whole last stage, the largest, ran in fp32 with copies: 13 % of a call).

On CPUs without native bf16 (AVX2), the same layout in fp32 makes the whole model call about
1.2x faster than kokoro's fp32 (issue 28, bench/README.md) for a waveform within 95 dB of it:
only the order of the sums differs. That is what "auto" picks there.

The same input still gives the same samples, run after run. A kokoro release whose blocks
compute something else is caught by a check at load against kokoro's own block, and keeps
the plain path.
"""

from __future__ import annotations

import logging
import types

import torch
import torch.nn.functional as F

from .fastpath import run_residual_block

log = logging.getLogger(__name__)

BF16_PATH = "bf16: channels-last bf16 generator, fp32 conv_post"
"""What a job records as its numeric path when precision is bf16 (jobs.audio_settings). A
changed bf16 path gets a new name: jobs made on an older one are never resumed with it."""

FP32_CL_PATH = "fp32-cl: channels-last fp32 generator"
"""The same for precision fp32-cl: its samples differ from fp32's in the last bits."""

CHECK_TOLERANCE = {torch.bfloat16: 0.05, torch.float32: 1e-4}
"""Largest relative error of the channels-last block against kokoro's, on random input; bf16
rounding alone gives about 0.01, fp32's summation order about 1e-6."""


def _channels_last(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """(N, C, L) as (N, C, 1, L) in channels-last memory: a copy only when it is not already."""
    return x.to(dtype).unsqueeze(2).contiguous(memory_format=torch.channels_last)


def _conv_channels_last(module: torch.nn.Conv1d | torch.nn.ConvTranspose1d, dtype: torch.dtype):
    """A forward for a 1-D convolution as a channels-last 2-D one of height 1 (weights converted once)."""
    weight = module.weight.detach().to(dtype).unsqueeze(2).contiguous(memory_format=torch.channels_last)
    bias = None if module.bias is None else module.bias.detach().to(dtype)
    (stride,), (padding,), (dilation,) = module.stride, module.padding, module.dilation
    shape = dict(stride=(1, stride), padding=(0, padding), dilation=(1, dilation), groups=module.groups)
    if isinstance(module, torch.nn.ConvTranspose1d):
        convolve = F.conv_transpose2d
        shape["output_padding"] = (0, module.output_padding[0])
    else:
        convolve = F.conv2d

    def forward(x: torch.Tensor) -> torch.Tensor:
        return convolve(_channels_last(x, dtype), weight, bias, **shape).squeeze(2)

    return forward


def _reflection_pad_channels_last(module: torch.nn.ReflectionPad1d):
    """The generator's last padding in x's own dtype and layout (autocast would make it fp32, and
    torch's 1-D padding channels-first: the whole last stage then ran in fp32, with copies)."""
    left, right = module.padding

    def forward(x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type="cpu", enabled=False):
            return F.pad(x.unsqueeze(2), (left, right, 0, 0), mode="reflect").squeeze(2)

    return forward


def _adain(layer, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """kokoro's AdaIN1d, `(1 + gamma) * instance_norm(x) + beta`, as one batch_norm in x's layout.

    For one utterance, instance norm is batch norm over a (samples, channels) matrix; batch_norm's
    own scale and shift take the style's gamma and beta, so the result is written once.
    """
    gamma, beta = layer.fc(style).float().view(-1).chunk(2)
    norm = layer.norm
    scale, shift = norm.weight * (1 + gamma), norm.bias * (1 + gamma) + beta
    _, channels, length = x.shape
    rows = x.transpose(1, 2).reshape(length, channels)  # a view when x is channels-last
    out = F.batch_norm(rows, None, None, scale.to(x.dtype), shift.to(x.dtype), training=True, eps=norm.eps)
    return out.view(1, length, channels).transpose(1, 2)


def _snake(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """`x + (1 / alpha) * sin(alpha * x) ** 2`, in place in one new tensor of x's layout."""
    out = torch.mul(x, alpha.to(x.dtype))
    out.sin_()
    out.mul_(out)
    out.mul_((1 / alpha).to(x.dtype))
    return out.add_(x)


def _residual_block_forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """kokoro's AdaINResBlock1.forward, channels-last (one utterance at a time, as kokoro speaks)."""
    if x.size(0) != 1:
        return self.plain_forward(x, style)
    return run_residual_block(self, x, style, _adain, _snake)


def _close_to_kokoro(block: torch.nn.Module, dtype: torch.dtype) -> bool:
    """Does the channels-last block compute kokoro's block, within dtype's rounding, on random input?"""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, block.convs1[0].in_channels, 300, generator=generator)
    style = torch.randn(1, block.adain1[0].fc.in_features, generator=generator)
    with torch.inference_mode(), torch.autocast(device_type="cpu", dtype=torch.bfloat16,
                                                enabled=dtype == torch.bfloat16):
        expected = block.plain_forward(x, style).float()
        actual = _residual_block_forward(block, x, style).float()
    tolerance = CHECK_TOLERANCE[dtype]
    return bool(torch.linalg.vector_norm(actual - expected) <= tolerance * torch.linalg.vector_norm(expected))


def _go_channels_last(generator: torch.nn.Module, dtype: torch.dtype) -> bool:
    """On a CPU, switch the generator's blocks and convolutions (not conv_post) to channels-last in dtype;
    False if they differ from what this module expects."""
    from kokoro.istftnet import AdaINResBlock1

    blocks = [m for m in generator.modules() if isinstance(m, AdaINResBlock1)]
    convs = [m for m in generator.modules()
             if type(m) in (torch.nn.Conv1d, torch.nn.ConvTranspose1d) and m is not generator.conv_post]
    if not blocks or any(m.padding_mode != "zeros" for m in convs):
        return False
    for block in blocks:
        block.plain_forward = block.forward
    try:
        if not _close_to_kokoro(blocks[0], dtype):
            return False
    except (AttributeError, IndexError, RuntimeError, TypeError, ValueError) as exc:
        log.warning("kokoro's residual blocks are not the expected ones (%s)", exc)
        return False
    for block in blocks:
        block.forward = types.MethodType(_residual_block_forward, block)
    for conv in convs:
        conv.forward = _conv_channels_last(conv, dtype)
    for pad in generator.modules():
        if isinstance(pad, torch.nn.ReflectionPad1d):
            pad.forward = _reflection_pad_channels_last(pad)
    return True


def generator_in_bf16(model: torch.nn.Module) -> None:
    """Run the decoder's generator in bf16 (see the module's text); its last convolution stays fp32."""
    generator = model.decoder.generator
    post = generator.conv_post
    device_type = post.weight.device.type
    full_precision_post = post.forward
    generator_forward = generator.forward

    def post_forward(x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=device_type, enabled=False):
            return full_precision_post(x.float())

    def forward(*args, **kwargs):
        with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
            return generator_forward(*args, **kwargs).float()

    post.forward = post_forward
    generator.forward = forward
    if device_type == "cpu" and not _go_channels_last(generator, torch.bfloat16):
        log.warning("kokoro's generator is not the expected one; bf16 runs it without the channels-last layout "
                    "(slower, and the audio differs from that of other machines)")


def generator_channels_last(model: torch.nn.Module) -> bool:
    """Run the decoder's generator channels-last in fp32 on a CPU (see the module's text); False, and
    kokoro's own layout, when its blocks are not the expected ones."""
    generator = model.decoder.generator
    if generator.conv_post.weight.device.type != "cpu":
        return False
    if _go_channels_last(generator, torch.float32):
        return True
    log.warning("kokoro's generator is not the expected one; fp32-cl runs it in kokoro's own layout (slower)")
    return False
