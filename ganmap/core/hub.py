"""The pipeline's folder layout, shared by local folders, Hub model repositories and the bundled weights:

    model_index.json       which component lives in which subfolder
    README.md              the model card (YAML metadata + text)
    samples.png            64 samples of the generator, shown by the card
    defaults.json          per-task default settings tuned for these weights (optional):
                           {"inpainting": {"lam": 0.0, "iterations": 50, ...}, ...}
    generator/             config.json + model.safetensors
    discriminator/         config.json + model.safetensors
    encoder/               (optional) config.json + model.safetensors

Publishing is therefore one upload of the folder; loading a repo id downloads only these files
(json, safetensors, README.md), through the Hub cache, so revision, cache_dir, token and
HF_HUB_OFFLINE behave as everywhere in huggingface_hub. Nothing is ever unpickled.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from huggingface_hub import HfApi, ModelCard, ModelCardData, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
from PIL import Image
from torch import nn

from ganmap.base.paths import BUNDLED_WEIGHTS
from ganmap.base.weights import CONFIG_NAME, HUB_METADATA, WEIGHTS_NAME, WeightsError
from ganmap.classical.denoiser import Denoiser
from ganmap.core.models import Discriminator, Encoder, Generator
from ganmap.core.settings import Settings, settings_from_json, settings_to_json

BUNDLED = BUNDLED_WEIGHTS
INDEX_NAME = "model_index.json"
CARD_NAME = "README.md"
SAMPLES_NAME = "samples.png"
DEFAULTS_NAME = "defaults.json"
COMPONENTS: dict[str, type[nn.Module]] = {"generator": Generator, "discriminator": Discriminator}
OPTIONAL_COMPONENTS: dict[str, type[nn.Module]] = {"encoder": Encoder, "denoiser": Denoiser}


def resolve(
    path_or_repo_id: str | Path | None,
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    token: str | bool | None = None,
    local_files_only: bool = False,
) -> Path:
    """A local folder holding the layout: the bundled weights (None), a folder, or a Hub repo id."""
    if path_or_repo_id is None:
        if not (BUNDLED / INDEX_NAME).is_file():
            raise WeightsError(
                f"this installation has no bundled weights ({BUNDLED} is empty); "
                "pass a folder or a Hub repo id to from_pretrained()"
            )
        return BUNDLED
    folder = Path(path_or_repo_id)
    if folder.is_dir():
        return folder
    if folder.exists() or str(path_or_repo_id).count("/") > 1:
        raise WeightsError(f"{path_or_repo_id} is neither a model folder nor a Hub repo id")
    try:
        return Path(
            snapshot_download(
                str(path_or_repo_id),
                revision=revision,
                cache_dir=cache_dir,
                token=token,
                local_files_only=local_files_only,
                allow_patterns=["*.json", f"*{WEIGHTS_NAME}", CARD_NAME],
            )
        )
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as error:
        raise WeightsError(
            f"cannot get {path_or_repo_id!r} from the Hugging Face Hub ({error.__class__.__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}). Check the repo id and your "
            "connection; offline (HF_HUB_OFFLINE=1) only repos already in the cache load."
        ) from error


def load_components(folder: Path) -> dict[str, nn.Module]:
    """Every component named in model_index.json, loaded strictly from its subfolder."""
    index_file = folder / INDEX_NAME
    try:
        index = json.loads(index_file.read_text())
    except FileNotFoundError as error:
        raise WeightsError(f"{folder} has no {INDEX_NAME}: not a ganmap model folder") from error
    except json.JSONDecodeError as error:
        raise WeightsError(f"{index_file} is not valid JSON ({error})") from error
    components = {}
    for name in COMPONENTS:
        if name not in index:
            raise WeightsError(f"{index_file} names no {name}")
    for name, cls in (COMPONENTS | OPTIONAL_COMPONENTS).items():
        if name not in index:
            continue
        sub = folder / name
        for required in (CONFIG_NAME, WEIGHTS_NAME):
            if not (sub / required).is_file():
                raise WeightsError(f"{sub} has no {required}; the model folder is incomplete")
        try:
            components[name] = cls.from_pretrained(sub)
        except json.JSONDecodeError as error:
            raise WeightsError(f"{sub / CONFIG_NAME} is not valid JSON ({error})") from error
    return components


def load_defaults(folder: Path) -> dict[str, Settings]:
    """The folder's per-task default settings; none (every task generic) without the file."""
    path = folder / DEFAULTS_NAME
    if not path.is_file():
        return {}
    try:
        return settings_from_json(json.loads(path.read_text()))
    except json.JSONDecodeError as error:
        raise WeightsError(f"{path} is not valid JSON ({error})") from error
    except ValueError as error:
        raise WeightsError(f"{path}: {error}") from error


def save_defaults(folder: Path, defaults: dict[str, Settings]) -> None:
    """Write the per-task defaults (the file of `load_defaults`); nothing when there are none."""
    if defaults:
        text = json.dumps(settings_to_json(defaults), indent=2) + "\n"
        (folder / DEFAULTS_NAME).write_text(text)


def save_index(folder: Path, components: dict[str, nn.Module]) -> None:
    """model_index.json: which component class lives in which subfolder."""
    index = {"_class_name": "RestorationPipeline", "_library": "ganmap"}
    index |= {name: ["ganmap", type(module).__name__] for name, module in components.items()}
    (folder / INDEX_NAME).write_text(json.dumps(index, indent=2) + "\n")


def save_components(
    folder: Path,
    components: dict[str, nn.Module],
    card: str,
    samples: Image.Image,
    defaults: dict[str, Settings] | None = None,
) -> None:
    """Write the layout: one subfolder per component, the index, the per-task defaults, the model
    card and the card's picture of samples (made by the generator being saved, so it always shows
    these weights)."""
    folder.mkdir(parents=True, exist_ok=True)
    samples.save(folder / SAMPLES_NAME)
    for name, module in components.items():
        module.save_pretrained(folder / name)
        (folder / name / CARD_NAME).unlink(missing_ok=True)  # one card, at the top
    save_index(folder, components)
    save_defaults(folder, defaults or {})
    (folder / CARD_NAME).write_text(card)


def card_metadata() -> ModelCardData:
    """The Hub metadata of every ganmap model card (licence, library, task, data set)."""
    keys = ("library_name", "license", "license_name", "license_link", "pipeline_tag", "tags")
    return ModelCardData(**{key: HUB_METADATA[key] for key in keys}, datasets=["celeba"])


def default_card() -> str:
    """A minimal model card with valid Hub metadata, for models that come without one."""
    data = card_metadata()
    text = (
        "# ganmap DCGAN image prior\n\n"
        "A DCGAN (generator and discriminator) for 64 x 64 faces, used by "
        "[ganmap](https://github.com/ganmap/ganmap) as the learned prior of "
        '"Image Restoration with Deep Generative Models" (Yeh, Lim et al., ICASSP 2018).\n\n'
        "```python\nfrom ganmap import RestorationPipeline\n\n"
        'pipe = RestorationPipeline.from_pretrained("REPO_ID")\n'
        'restored = pipe(image, task="inpainting").image\n```\n\n'
        "![64 samples of the generator](samples.png)\n\n"
        "Weights trained on CelebA inherit its terms: non-commercial research use only.\n"
    )
    return str(ModelCard(f"---\n{data.to_yaml()}\n---\n\n{text}"))


def push_folder_to_hub(
    components: dict[str, nn.Module],
    card: str,
    samples: Image.Image,
    defaults: dict[str, Settings],
    repo_id: str,
    *,
    private: bool | None = None,
    token: str | None = None,
    commit_message: str = "Upload ganmap RestorationPipeline",
) -> str:
    """Save the layout to a temporary folder and upload it as one commit; returns the commit URL."""
    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        save_components(Path(tmp), components, card, samples, defaults)
        info = api.upload_folder(repo_id=repo_id, folder_path=tmp, commit_message=commit_message)
    return str(info)
