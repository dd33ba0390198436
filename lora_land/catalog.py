"""The adapter catalog: `adapters.yaml` validated into typed objects.

The catalog is data: the base profiles (which base model, on which device, in which
precision) and the 25 tasks (UI name, category, prompt template, input fields, output
format, metric, examples, and the adapter that serves each task on each profile). This
module reads and checks it; it does not load models or render pages.

A bad catalog fails at load time with a `CatalogError` naming the task and the field, so
a typo never surfaces later as a confusing error in the middle of a request.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

OUTPUT_FORMATS = ("number", "json", "sql", "code", "text")
METRICS = (
    "binary_accuracy_flex",
    "mnli_accuracy",
    "mrpc_accuracy",
    "covid_accuracy",
    "customer_support_accuracy",
    "dbpedia",
    "hellaswag_accuracy",
    "stsb",
    "gsm8k_regex",
    "rouge",
    "humaneval",
)
DTYPES = ("float32", "bfloat16", "float16")
QUANTIZE = (None, "nf4")
BACKENDS = ("local", "openai")
TARGET_PRESETS = {
    "attention": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "all-linear": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}
MIN_EXAMPLES = 3


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the task and field."""


@dataclass(frozen=True)
class Profile:
    """A base model and where and how it runs."""

    name: str
    base: str  # a local directory (resolved against the catalog's folder) or a hub id
    device: str  # "cpu", "cuda", "cuda:0", ...
    dtype: str  # one of DTYPES: the compute dtype
    quantize: str | None  # None or "nf4" (bitsandbytes 4-bit)
    description: str = ""
    backend: str = "local"  # "local": the in-process engine; "openai": an OpenAI-compatible server (vLLM, ...)
    url: str | None = None  # the server's address (backend "openai"), e.g. http://127.0.0.1:8000
    api_key_env: str | None = None  # the environment variable holding the server's API key, if it wants one
    adapters_of: str | None = None  # the profile whose adapters the server serves, each named by its task key

    @property
    def remote(self) -> bool:
        return self.backend != "local"


@dataclass(frozen=True)
class TrainRecipe:
    """How a task's adapter is fine-tuned (LoRA settings and schedule)."""

    rank: int = 8
    alpha: int = 16
    targets: tuple[str, ...] = tuple(TARGET_PRESETS["all-linear"])
    rslora: bool = False
    dropout: float = 0.0
    steps: int = 300
    batch_size: int = 16
    learning_rate: float = 2e-3


@dataclass(frozen=True)
class AdapterSource:
    """Where one task's adapter comes from on one profile."""

    source: str | None  # local directory (resolved) or hub id; None when unavailable
    unavailable: str = ""  # why there is no adapter, when source is None
    train: TrainRecipe = field(default_factory=TrainRecipe)


@dataclass(frozen=True)
class Task:
    """One LoRA Land task: what the user fills in and what the adapter answers."""

    key: str
    name: str
    category: str
    description: str
    metric: str
    output: str
    max_new_tokens: int
    fields: tuple[str, ...]
    template: str
    examples: tuple[dict[str, str], ...]
    adapters: dict[str, AdapterSource]
    answers: tuple[str | None, ...] = ()  # each example's expected answer, where the catalog gives one
    field_labels: dict[str, str] = field(default_factory=dict)  # a field's name in words, where its key is not
    labels: dict[str, str] = field(default_factory=dict)  # a classification answer -> what it means

    def field_label(self, name: str) -> str:
        """A field as people read it: the catalog's label, else its key in words ("sentence1" -> "Sentence 1")."""
        if name in self.field_labels:
            return self.field_labels[name]
        words = re.sub(r"(?<=[a-z])(?=[A-Z0-9])", " ", name).replace("_", " ").strip()
        return words[:1].upper() + words[1:].lower()

    def expected(self, values: dict[str, str]) -> str | None:
        """The catalog's answer for these field values, when they are one of its examples."""
        for example, answer in zip(self.examples, self.answers):
            if answer is not None and all(values.get(f, "").strip() == example[f].strip() for f in self.fields):
                return answer
        return None

    def explain(self, answer: str) -> str | None:
        """What a classification answer means ("1" -> "positive"), or None."""
        return self.labels.get(answer.strip())

    def render(self, values: dict[str, str]) -> str:
        """The prompt for these field values; a missing or unknown field is a ValueError."""
        missing = [f for f in self.fields if f not in values]
        extra = [f for f in values if f not in self.fields]
        if missing or extra:
            raise ValueError(
                f"task {self.key!r} takes fields {list(self.fields)}; "
                f"missing {missing}, unknown {extra}"
            )
        return self.template.format(**{f: str(values[f]) for f in self.fields})


@dataclass(frozen=True)
class Catalog:
    path: Path
    profiles: dict[str, Profile]
    tasks: dict[str, Task]

    def profile(self, name: str) -> Profile:
        if name not in self.profiles:
            raise CatalogError(f"unknown profile {name!r}; the catalog has {sorted(self.profiles)}")
        return self.profiles[name]

    def task(self, key: str) -> Task:
        if key not in self.tasks:
            raise CatalogError(f"unknown task {key!r}; the catalog has {sorted(self.tasks)}")
        return self.tasks[key]

    def adapter(self, task: str, profile: str) -> AdapterSource:
        self.profile(profile)
        return self.task(task).adapters[profile]


def template_fields(template: str) -> list[str]:
    """The field names a str.format template refers to, in order of first use."""
    names: list[str] = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} is not a plain field name")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} must not carry a format spec or conversion")
        if name not in names:
            names.append(name)
    return names


def _unique_key_loader() -> type[yaml.SafeLoader]:
    """A SafeLoader that refuses duplicate mapping keys (PyYAML keeps the last one silently)."""

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise CatalogError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return Loader


def _require(where: str, data: Any, key: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise CatalogError(f"{where}: missing field {key!r}")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise CatalogError(f"{where}: field {key!r} must be {names}, got {type(value).__name__}")
    return value


def _resolve(source: str, root: Path) -> str:
    """Local paths (written "./..." or "/...") resolve against the catalog's folder; hub ids stay."""
    if source.startswith(("./", "../", "/")):
        return str((root / source).resolve())
    return source


def _profile(name: str, data: Any, root: Path) -> Profile:
    where = f"profile {name!r}"
    base = _require(where, data, "base", str)
    dtype = data.get("dtype", "float32")
    if dtype not in DTYPES:
        raise CatalogError(f"{where}: field 'dtype' must be one of {DTYPES}, got {dtype!r}")
    quantize = data.get("quantize")
    if quantize not in QUANTIZE:
        raise CatalogError(f"{where}: field 'quantize' must be null or 'nf4', got {quantize!r}")
    backend = data.get("backend", "local")
    if backend not in BACKENDS:
        raise CatalogError(f"{where}: field 'backend' must be one of {BACKENDS}, got {backend!r}")
    url = data.get("url")
    if backend == "openai" and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise CatalogError(f"{where}: backend 'openai' needs field 'url' (http:// or https://), got {url!r}")
    if backend == "local" and (url or data.get("adapters_of")):
        raise CatalogError(f"{where}: fields 'url' and 'adapters_of' are for backend 'openai'")
    return Profile(
        name=name,
        base=_resolve(base, root),
        device=str(data.get("device", "cpu")),
        dtype=dtype,
        quantize=quantize,
        description=str(data.get("description", "")),
        backend=backend,
        url=url.rstrip("/") if url else None,
        api_key_env=data.get("api_key_env"),
        adapters_of=data.get("adapters_of"),
    )


def _recipe(where: str, data: Any) -> TrainRecipe:
    if data is None:
        return TrainRecipe()
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: field 'train' must be a mapping")
    known = set(TrainRecipe.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {unknown} in 'train'")
    values = dict(data)
    targets = values.get("targets", "all-linear")
    if isinstance(targets, str):
        if targets not in TARGET_PRESETS:
            raise CatalogError(
                f"{where}: field 'train.targets' must be a list of modules or one of {sorted(TARGET_PRESETS)}"
            )
        targets = TARGET_PRESETS[targets]
    values["targets"] = tuple(targets)
    for key in ("rank", "alpha", "steps", "batch_size"):
        if key in values and (not isinstance(values[key], int) or values[key] <= 0):
            raise CatalogError(f"{where}: field 'train.{key}' must be a positive integer")
    return TrainRecipe(**values)


def _task(key: str, data: Any, profiles: dict[str, Profile], root: Path) -> Task:
    where = f"task {key!r}"
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: must be a mapping")
    name = _require(where, data, "name", str)
    category = _require(where, data, "category", str)
    description = _require(where, data, "description", str)
    metric = _require(where, data, "metric", str)
    if metric not in METRICS:
        raise CatalogError(f"{where}: field 'metric' must be one of {METRICS}, got {metric!r}")
    output = _require(where, data, "output", str)
    if output not in OUTPUT_FORMATS:
        raise CatalogError(f"{where}: field 'output' must be one of {OUTPUT_FORMATS}, got {output!r}")
    max_new_tokens = _require(where, data, "max_new_tokens", int)
    if max_new_tokens <= 0:
        raise CatalogError(f"{where}: field 'max_new_tokens' must be positive")
    fields = _require(where, data, "fields", list)
    if not fields or not all(isinstance(f, str) and f.isidentifier() for f in fields):
        raise CatalogError(f"{where}: field 'fields' must be a non-empty list of names")
    if len(set(fields)) != len(fields):
        raise CatalogError(f"{where}: field 'fields' lists a name twice")
    template = _require(where, data, "template", str)
    try:
        used = template_fields(template)
    except ValueError as exc:
        raise CatalogError(f"{where}: field 'template': {exc}") from None
    undeclared = [f for f in used if f not in fields]
    if undeclared:
        raise CatalogError(f"{where}: field 'template' names undeclared field(s) {undeclared}")
    unused = [f for f in fields if f not in used]
    if unused:
        raise CatalogError(f"{where}: field 'fields' declares {unused}, which the template never uses")

    examples = _require(where, data, "examples", list)
    if len(examples) < MIN_EXAMPLES:
        raise CatalogError(f"{where}: field 'examples' needs at least {MIN_EXAMPLES} examples")
    answers = []
    for i, example in enumerate(examples):
        if isinstance(example, dict) and "answer" in example:
            example = dict(example)
            answer = example.pop("answer")
            if not isinstance(answer, str) or not answer.strip():
                raise CatalogError(f"{where}: field 'examples[{i}].answer' must be non-empty text")
            examples[i] = example
            answers.append(answer)
        else:
            answers.append(None)
        if not isinstance(example, dict) or sorted(example) != sorted(fields):
            raise CatalogError(f"{where}: field 'examples[{i}]' must give exactly the fields {fields}")
        if not all(isinstance(v, str) and v.strip() for v in example.values()):
            raise CatalogError(f"{where}: field 'examples[{i}]' has an empty or non-text value")

    adapters_data = _require(where, data, "adapters", dict)
    unknown = sorted(set(adapters_data) - set(profiles))
    if unknown:
        raise CatalogError(f"{where}: field 'adapters' names unknown profile(s) {unknown}")
    adapters: dict[str, AdapterSource] = {}
    for profile in profiles:
        entry = adapters_data.get(profile)
        here = f"{where}: adapters.{profile}"
        served = profiles[profile].adapters_of
        if entry is None and served is not None:  # filled in from the served profile's entry below
            continue
        if not isinstance(entry, dict) or "source" not in entry:
            raise CatalogError(f"{here}: missing field 'source'")
        source = entry["source"]
        unavailable = entry.get("unavailable", "")
        if source is None and not unavailable:
            raise CatalogError(f"{here}: field 'source' is null; say why in 'unavailable'")
        if source is not None and not isinstance(source, str):
            raise CatalogError(f"{here}: field 'source' must be a path or hub id")
        adapters[profile] = AdapterSource(
            source=None if source is None else _resolve(source, root),
            unavailable=str(unavailable),
            train=_recipe(here, entry.get("train")),
        )

    for profile, prof in profiles.items():  # a server's adapters are the served profile's, under the task's key
        if profile not in adapters and prof.adapters_of is not None:
            adapters[profile] = adapters[prof.adapters_of]

    field_labels = data.get("field_labels") or {}
    if not isinstance(field_labels, dict) or not all(isinstance(v, str) and v.strip() for v in field_labels.values()):
        raise CatalogError(f"{where}: field 'field_labels' must map field names to labels")
    stray = [f for f in field_labels if f not in fields]
    if stray:
        raise CatalogError(f"{where}: field 'field_labels' names undeclared field(s) {stray}")
    labels = data.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) and v.strip() for v in labels.values()):
        raise CatalogError(f"{where}: field 'labels' must map answers to what they mean")

    return Task(
        key=key,
        name=name,
        category=category,
        description=description,
        metric=metric,
        output=output,
        max_new_tokens=max_new_tokens,
        fields=tuple(fields),
        template=template,
        examples=tuple(dict(e) for e in examples),
        answers=tuple(answers),
        adapters=adapters,
        field_labels={str(k): v for k, v in field_labels.items()},
        labels={str(k): v for k, v in labels.items()},
    )


def load_catalog(path: str | Path = "adapters.yaml") -> Catalog:
    """Read and validate a catalog file; raises CatalogError naming what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_unique_key_loader())
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path} is not valid YAML: {exc}") from None
    root = path.resolve().parent
    profiles_data = _require(str(path), data, "profiles", dict)
    if not profiles_data:
        raise CatalogError(f"{path}: 'profiles' is empty")
    profiles = {name: _profile(name, p, root) for name, p in profiles_data.items()}
    for name, prof in profiles.items():
        if prof.adapters_of is not None and (prof.adapters_of not in profiles or profiles[prof.adapters_of].remote):
            raise CatalogError(f"profile {name!r}: field 'adapters_of' must name a local profile, "
                               f"got {prof.adapters_of!r}")
    tasks_data = _require(str(path), data, "tasks", dict)
    tasks = {key: _task(key, t, profiles, root) for key, t in tasks_data.items()}
    return Catalog(path=path.resolve(), profiles=profiles, tasks=tasks)
