"""Build a tiny, randomly initialised Kokoro model as local files, the way offline users have them.

The result is loaded through the same local-files path as real weights: a `config.json`, a
`.pth` of state dicts and `voices/<voice>.pt`. Facts that shape it (measured here):
- `KModel(model=<path>)` downloads when `model` is empty, so we build from a `.pth` holding `{}`
  and then save the real state dicts;
- the decoder hard-codes 512 and 1024 channels: `hidden_dim` and `upsample_initial_channel`
  stay 512; ALBERT and the LSTM depth shrink;
- random weights predict long durations; a strongly negative duration bias makes every phoneme
  one frame, so a sentence gives seconds of audio, not minutes.

    python tests/support/tiny_model.py OUT_DIR     # writes OUT_DIR/{config.json,tiny.pth,voices/tiny_voice.pt}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CONFIG = Path(__file__).parents[1] / "data" / "kokoro-82m-config.json"
VOICE = "tiny_voice"


def build_tiny_model(out_dir: Path, seed: int = 1234, istftnet: dict | None = None) -> Path:
    """Write a tiny model into out_dir and return out_dir. Takes about a second.

    istftnet overrides the decoder's generator settings, e.g. upsample_rates [2, 2] with
    upsample_kernel_sizes [4, 4] for 40 samples a frame instead of 600 (a whole book in minutes).
    """
    import torch
    from kokoro import KModel

    out_dir.mkdir(parents=True, exist_ok=True)
    config = json.loads(CONFIG.read_text(encoding="utf-8"))
    config["n_layer"] = 1
    config["istftnet"] = dict(config["istftnet"], **(istftnet or {}))
    config["plbert"] = dict(config["plbert"], hidden_size=32, num_attention_heads=2,
                            intermediate_size=64, num_hidden_layers=1)
    torch.manual_seed(seed)
    empty = out_dir / "empty.pth"
    torch.save({}, empty)
    model = KModel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(empty))
    empty.unlink()
    with torch.no_grad():
        model.predictor.duration_proj.linear_layer.bias.fill_(-8.0)
    parts = ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
    torch.save({name: getattr(model, name).state_dict() for name in parts}, out_dir / "tiny.pth")
    (out_dir / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (out_dir / "voices").mkdir(exist_ok=True)
    torch.save(torch.randn(510, 1, 256) * 0.1, out_dir / "voices" / f"{VOICE}.pt")
    return out_dir


def tiny_config_toml(model_dir: Path, **paths: Path) -> str:
    """Return a config.toml that points kokoro-narrator at the tiny model (and at paths given)."""
    lines = [
        "[tts.kokoro]",
        f'voice = "{VOICE}"',
        'device = "cpu"',
        f'model_config = "{model_dir / "config.json"}"',
        f'model_weights = "{model_dir / "tiny.pth"}"',
        f'voices_dir = "{model_dir / "voices"}"',
    ]
    if paths:
        lines.append("[paths]")
        lines += [f'{key} = "{value}"' for key, value in paths.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(build_tiny_model(Path(sys.argv[1])))
