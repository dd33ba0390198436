"""The batched LoRA op against its reference, adapter reading and refusals, the slot bank."""

import json
import random
import shutil

import pytest
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import MistralConfig, MistralForCausalLM

from lora_land.lora import (
    AdapterError,
    SlotBank,
    batched_lora,
    batched_lora_gather,
    batched_lora_reference,
    plan_slots,
    read_adapter,
)

S, R, IN, OUT = 9, 8, 24, 40  # slots (0 = base), padded rank, layer shape


def _stacks(seed=0):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(S, IN, R, generator=g)
    B = torch.randn(S, R, OUT, generator=g)
    A[0], B[0] = 0, 0  # the base slot
    return A, B


def _zipf(n, rng):
    weights = [1 / k for k in range(1, S)]
    return rng.choices(range(1, S), weights=weights, k=n)


MIXES = {
    "all one adapter": lambda n, rng: [3] * n,
    "all distinct": lambda n, rng: rng.sample(range(1, S), n),
    "uniform": lambda n, rng: [rng.randrange(1, S) for _ in range(n)],
    "skewed (zipf)": _zipf,
    "with base rows": lambda n, rng: [rng.choice([0, 0, 2, 5]) for _ in range(n)],
    "all base": lambda n, rng: [0] * n,
}


@pytest.mark.parametrize("mix", MIXES)
@pytest.mark.parametrize("T", [1, 7])
@pytest.mark.parametrize("n", [1, 8, 24])
def test_batched_lora_matches_the_reference(mix, T, n):
    rng = random.Random(T * 100 + n)
    A, B = _stacks()
    slots_list = MIXES[mix](min(n, S - 1) if mix == "all distinct" else n, rng)
    slots = torch.tensor(slots_list)
    x = torch.randn(len(slots_list), T, IN)
    expected = batched_lora_reference(x, A, B, slots)
    got = batched_lora(x, A, B, plan_slots(slots_list, T, S))
    assert got.shape == (len(slots_list), T, OUT)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(batched_lora_gather(x, A, B, slots), expected, rtol=1e-5, atol=1e-5)
    assert torch.all(got[slots == 0] == 0)  # base rows get exact zeros


def test_plan_reads_the_stacks_in_place_when_most_slots_are_used():
    assert plan_slots(list(range(1, S)), 1, S).groups is None  # every slot: no weight is copied
    few = plan_slots([3, 3, 5, 0], 2, S)
    assert few.groups.tolist() == [0, 3, 5] and few.M == 4  # two rows of adapter 3, two tokens each
    assert few.index.tolist() == [4, 5, 6, 7, 8, 9, 0, 1]


# --- adapters on a tiny model -----------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    torch.manual_seed(0)
    config = MistralConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    model = MistralForCausalLM(config).eval()
    base_dir = tmp_path_factory.mktemp("tiny-base")
    model.save_pretrained(base_dir)
    return model, str(base_dir)


def make_adapter(model, base_dir, out_dir, r=4, targets=("q_proj", "v_proj"), seed=1, **extra):
    """A PEFT adapter with random (non-zero) A and B, saved as PEFT saves it."""
    import copy

    torch.manual_seed(seed)
    peft_model = get_peft_model(copy.deepcopy(model), LoraConfig(r=r, lora_alpha=2 * r, target_modules=list(targets), **extra))
    for name, p in peft_model.named_parameters():
        if "lora_" in name:
            p.data.normal_(0, 0.2)
    peft_model.peft_config["default"].base_model_name_or_path = base_dir
    peft_model.save_pretrained(out_dir)
    return peft_model


def test_reading_an_adapter_folds_the_scaling_into_B(tiny, tmp_path):
    model, base_dir = tiny
    make_adapter(model, base_dir, tmp_path / "a", r=4, use_rslora=True)
    weights = read_adapter("a", str(tmp_path / "a"), model, base_dir)
    assert weights.rank == 4
    assert set(weights.modules) == {f"model.layers.{i}.self_attn.{m}" for i in range(2) for m in ("q_proj", "v_proj")}
    from safetensors.torch import load_file

    raw = load_file(str(tmp_path / "a" / "adapter_model.safetensors"))
    b = raw["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"]
    torch.testing.assert_close(weights.modules["model.layers.0.self_attn.q_proj"][1], b * (8 / 4**0.5))


def test_alpha_pattern_is_honoured(tiny, tmp_path):
    model, base_dir = tiny
    make_adapter(model, base_dir, tmp_path / "a", r=4, alpha_pattern={"v_proj": 16})
    weights = read_adapter("a", str(tmp_path / "a"), model, base_dir)
    raw = __import__("safetensors.torch", fromlist=["load_file"]).load_file(str(tmp_path / "a" / "adapter_model.safetensors"))
    key = "base_model.model.model.layers.1.self_attn.{}_proj.lora_B.weight"
    torch.testing.assert_close(weights.modules["model.layers.1.self_attn.v_proj"][1], raw[key.format("v")] * 4)
    torch.testing.assert_close(weights.modules["model.layers.1.self_attn.q_proj"][1], raw[key.format("q")] * 2)


@pytest.fixture
def good(tiny, tmp_path):
    model, base_dir = tiny
    make_adapter(model, base_dir, tmp_path / "good")
    return tmp_path / "good"


def _refusal(tiny, path, base=None):
    model, base_dir = tiny
    with pytest.raises(AdapterError) as err:
        read_adapter("bad", str(path), model, base or base_dir)
    return str(err.value)


def test_refuses_a_missing_directory(tiny, tmp_path):
    assert "does not exist" in _refusal(tiny, tmp_path / "nowhere")


def test_refuses_missing_config(tiny, good):
    (good / "adapter_config.json").unlink()
    assert "adapter_config.json is missing" in _refusal(tiny, good)


def test_refuses_pickle_only_weights(tiny, good):
    (good / "adapter_model.safetensors").rename(good / "adapter_model.bin")
    message = _refusal(tiny, good)
    assert "adapter_model.safetensors is missing" in message and "only .safetensors" in message


def test_refuses_corrupt_weights(tiny, good):
    (good / "adapter_model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    assert "corrupt" in _refusal(tiny, good)


def test_refuses_a_corrupt_config(tiny, good):
    (good / "adapter_config.json").write_text("{")
    assert "not valid JSON" in _refusal(tiny, good)


def test_refuses_an_adapter_for_another_base(tiny, good):
    message = _refusal(tiny, good, base="mistralai/Mistral-7B-v0.1")
    assert "trained for base" in message and "Mistral-7B-v0.1" in message


def test_refuses_wrong_shapes(tiny, tmp_path):
    model, base_dir = tiny
    other = MistralForCausalLM(MistralConfig(vocab_size=64, hidden_size=48, intermediate_size=48, num_hidden_layers=2,
                                             num_attention_heads=4, num_key_value_heads=2))
    make_adapter(other, base_dir, tmp_path / "wide")
    message = _refusal(tiny, tmp_path / "wide")
    assert "but the layer is 32 -> 32" in message and "another base" in message


def test_refuses_targets_the_model_lacks(tiny, tmp_path, good):
    model, base_dir = tiny
    deeper = MistralForCausalLM(MistralConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=3,
                                              num_attention_heads=4, num_key_value_heads=2))
    make_adapter(deeper, base_dir, tmp_path / "deep")
    assert "model.layers.2.self_attn.q_proj, which this model does not have" in _refusal(tiny, tmp_path / "deep")


def test_refuses_dora(tiny, good):
    config = json.loads((good / "adapter_config.json").read_text())
    config["use_dora"] = True
    (good / "adapter_config.json").write_text(json.dumps(config))
    assert "DoRA" in _refusal(tiny, good)


def test_refuses_a_half_pair(tiny, good):
    from safetensors.torch import load_file

    tensors = load_file(str(good / "adapter_model.safetensors"))
    tensors.pop("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight")
    save_file(tensors, str(good / "adapter_model.safetensors"))
    assert "v_proj has lora_B missing" in _refusal(tiny, good)


# --- the slot bank ------------------------------------------------------------------


def test_slot_bank_swaps_least_recently_used_and_never_a_held_slot(tiny, tmp_path):
    import copy

    model, base_dir = tiny
    model = copy.deepcopy(model)
    bank = SlotBank(model, n_slots=2, device=torch.device("cpu"), dtype=torch.float32)
    for i, (r, targets) in enumerate([(4, ("q_proj",)), (8, ("q_proj", "down_proj")), (2, ("v_proj",))]):
        make_adapter(model, base_dir, tmp_path / f"a{i}", r=r, targets=targets, seed=i)
        bank.register(read_adapter(f"a{i}", str(tmp_path / f"a{i}"), model, base_dir))
    s0 = bank.acquire("a0")
    s1 = bank.acquire("a1")
    assert {s0, s1} == {1, 2} and bank.rank == 8  # a1 widened the stacks
    assert not bank.can_acquire("a2")  # both slots are held
    bank.release(s0)
    assert bank.can_acquire("a2")
    s2 = bank.acquire("a2")
    assert s2 == s0 and "a0" not in bank.resident  # the unheld one went
    # the slot now holds a2 alone: q_proj rows of a0 were cleared, v_proj written, rank padded
    q = bank.layers["model.layers.0.self_attn.q_proj"]
    v = bank.layers["model.layers.0.self_attn.v_proj"]
    assert torch.all(q.A[s2] == 0) and torch.all(q.B[s2] == 0)
    a, b = bank.host["a2"].modules["model.layers.0.self_attn.v_proj"]  # (r, in), (out, r)
    assert torch.equal(v.A[s2, :, :2], a.T) and torch.all(v.A[s2, :, 2:] == 0) and torch.equal(v.B[s2, :2], b.T)
    assert torch.all(q.A[0] == 0) and torch.all(v.B[0] == 0)  # slot 0 stays the base


def test_lora_linear_equals_peft_for_each_row(tiny, tmp_path):
    """A batch whose rows use different adapters gives each row what PEFT gives it alone."""
    import copy

    model, base_dir = tiny
    configs = [(4, ("q_proj", "v_proj"), {}), (8, ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), {"use_rslora": True}), (2, ("down_proj",), {})]
    peft_models = [make_adapter(model, base_dir, tmp_path / f"a{i}", r=r, targets=t, seed=i, **kw)
                   for i, (r, t, kw) in enumerate(configs)]
    ours = copy.deepcopy(model)
    bank = SlotBank(ours, n_slots=3, device=torch.device("cpu"), dtype=torch.float32)
    for i in range(3):
        bank.register(read_adapter(f"a{i}", str(tmp_path / f"a{i}"), ours, base_dir))
    slots = [bank.acquire(f"a{i}") for i in range(3)] + [0]
    ids = torch.randint(0, 64, (4, 5))
    bank.batch.set(slots, ids.shape[1])
    with torch.no_grad():
        got = ours(input_ids=ids).logits
        for row, pm in enumerate(peft_models):
            torch.testing.assert_close(got[row], pm(input_ids=ids[row : row + 1]).logits[0], rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(got[3], model(input_ids=ids[3:4]).logits[0], rtol=1e-5, atol=1e-6)
