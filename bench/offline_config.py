"""Print a kokoro-narrator config.toml for the weights built by ../shared/tools/kokoro-offline/setup.sh.

    python bench/offline_config.py WEIGHTS_DIR [VOICE] > WEIGHTS_DIR/config.toml
"""

import sys
from pathlib import Path

weights = Path(sys.argv[1]).resolve()
voice = sys.argv[2] if len(sys.argv) > 2 else "jf_gongitsune"
print(f"""# Real Kokoro-82M weights from local files: no model hub needed.
[tts.kokoro]
voice = "{voice}"
lang_code = "a"
model_config = "{weights / 'config.json'}"
model_weights = "{weights / 'kokoro-v1_0-dequant.pth'}"
voices_dir = "{weights / 'voices'}"
""")
