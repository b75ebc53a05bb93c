"""Sound on disk: chunk WAVs, the join, loudness, and the M4B/Opus/MP3 encoders.

What the other subpackages may use; everything else here is private to audio/.
"""

from .encode import Chapter, check_encoder, CODECS, encode_book, EncodeError, probe_seconds, Tags
from .join import concat_wavs, ConcatResult, Piece
from .loudness import book_gain, combine, Gain, integrated, Limiter, Measurement, Meter
from .wav import (AudioError, chunk_wav_bytes, measure_wav, SAMPLE_RATE, silence, sound_bounds, wav_info,
                  write_chunk_wav)

__all__ = ["AudioError", "book_gain", "Chapter", "check_encoder", "chunk_wav_bytes", "CODECS", "combine", "concat_wavs",
           "ConcatResult", "encode_book", "EncodeError", "Gain", "integrated", "Limiter", "measure_wav", "Measurement",
           "Meter", "Piece", "probe_seconds", "SAMPLE_RATE", "silence", "sound_bounds", "Tags", "wav_info", "write_chunk_wav"]
