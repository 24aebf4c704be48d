"""Save the demo's examples as PNG files: `python -m demo.export_examples OUT_DIR [MODEL]`.

MODEL is a model folder or Hub repo id; without it, the weights bundled with ganmap.
"""

import sys

from ganmap import RestorationPipeline

from .examples import write_examples


def main(argv: list[str]) -> None:
    if len(argv) not in (1, 2):
        sys.exit("usage: python -m demo.export_examples OUT_DIR [MODEL_FOLDER_OR_REPO_ID]")
    pipe = RestorationPipeline.from_pretrained(argv[1] if len(argv) == 2 else None)
    for path in write_examples(pipe, argv[0]).values():
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
