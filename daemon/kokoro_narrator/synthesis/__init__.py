"""The warm engine: G2P, the acoustic model (torch or ONNX), its fast load and fast paths, memory policy.

What the other subpackages may use; everything else here is private to synthesis/.
"""

from .acoustic import numeric_path
from .allocator import prepare_process, release_freed_memory
from .engine import EngineError, KokoroEngine, load_g2p, Segment, TtsProvider
from .g2p import G2P, split_utterances

__all__ = ["EngineError", "G2P", "KokoroEngine", "load_g2p", "numeric_path", "prepare_process",
           "release_freed_memory", "Segment", "split_utterances", "TtsProvider"]
