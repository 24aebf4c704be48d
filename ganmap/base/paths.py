"""Where the package's bundled files live: the weights and the assets of the classical steps."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
BUNDLED_WEIGHTS = PACKAGE / "weights"  # the pipeline's Hub folder (`ganmap.core.hub`)
ASSETS = PACKAGE / "assets"  # the face template, the mean face, the denoiser, a patch dictionary
