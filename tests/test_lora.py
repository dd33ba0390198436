"""The batched LoRA op against its reference, adapter reading and refusals, the slot bank."""

import json
import random

import pytest
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import MistralConfig, MistralForCausalLM

from lora_land.lora import AdapterError, read_adapter
from lora_land.lora_ops import batched_lora, batched_lora_reference, lora_rows, plan_rows, row_entries
from lora_land.slots import SlotBank

L, R, IN, OUT = 8, 8, 24, 40  # stack entries, rank, layer shape


def _stacks(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(L, IN, R, generator=g), torch.randn(L, R, OUT, generator=g)


def _zipf(n, rng):
    return rng.choices(range(L), weights=[1 / k for k in range(1, L + 1)], k=n)


MIXES = {  # each row's stack entry; -1 = a row that does nothing here (the base, or an adapter not on this module)
    "all one adapter": lambda n, rng: [3] * n,
    "all distinct": lambda n, rng: rng.sample(range(L), n),
    "uniform": lambda n, rng: [rng.randrange(L) for _ in range(n)],
    "skewed (zipf)": _zipf,
    "with non-member rows": lambda n, rng: [rng.choice([-1, -1, 2, 5]) for _ in range(n)],
    "one crowded, many single": lambda n, rng: [0] * (n // 2) + [rng.randrange(1, L) for _ in range(n - n // 2)],
    "no member": lambda n, rng: [-1] * n,
}


@pytest.mark.parametrize("mix", MIXES)
@pytest.mark.parametrize("T", [1, 7])
@pytest.mark.parametrize("n", [1, 8, 24])
def test_batched_lora_matches_the_reference(mix, T, n):
    rng = random.Random(T * 100 + n)
    A, B = _stacks()
    entries = MIXES[mix](min(n, L) if mix == "all distinct" else n, rng)
    x = torch.randn(len(entries), T, IN)
    expected = batched_lora_reference(x, A, B, entries)
    got = batched_lora(x, A, B, entries)
    assert got.shape == (len(entries), T, OUT)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    for grouped in (True, False):  # the way the engine does not take for this T gives the same
        torch.testing.assert_close(batched_lora(x, A, B, entries, grouped), expected, rtol=1e-5, atol=1e-5)
    by_row = lora_rows(x, A, B, *row_entries(entries))  # the compiled decode step's form
    torch.testing.assert_close(by_row, expected, rtol=1e-5, atol=1e-5)
    assert torch.all(by_row[torch.tensor(entries) < 0] == 0)
    assert torch.all(got[torch.tensor(entries) < 0] == 0)  # rows that are not members get exact zeros


def test_decode_reads_the_stacks_in_place_when_most_entries_are_used():
    even = plan_rows(list(range(L)) + [1, 4], 1, L)
    assert even.entries is None and (even.G, even.M) == (L, 2)  # no weight is copied
    few = plan_rows([3, 3, 5, -1], 1, L)
    assert few.entries.tolist() == [3, 5] and few.M == 2 and few.src.tolist() == [0, 1, 2, 4]
    assert few.back.tolist() == [0, 1, 2] and few.tokens.tolist() == [0, 1, 2]  # row 3 is not a member
    crowded = plan_rows([0] * 6 + [1, 2], 1, L)  # one adapter's six rows are split, not every group padded to six
    assert crowded.G * crowded.M < 3 * 6 and crowded.entries.tolist().count(0) > 1
    assert plan_rows([-1, -1], 1, L) is None and plan_rows([2, -1], 5, L).rows.tolist() == [0]


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
    for i, (r, targets) in enumerate([(4, ("q_proj",)), (8, ("q_proj", "down_proj")), (2, ("q_proj", "v_proj"))]):
        make_adapter(model, base_dir, tmp_path / f"a{i}", r=r, targets=targets, seed=i)
        bank.register(read_adapter(f"a{i}", str(tmp_path / f"a{i}"), model, base_dir))
    s0 = bank.acquire("a0")
    s1 = bank.acquire("a1")
    assert {s0, s1} == {1, 2}
    bank.sync()  # the stacks as a pass would build them
    assert not bank.can_acquire("a2")  # both slots are held
    bank.release(s0)
    assert bank.can_acquire("a2")
    s2 = bank.acquire("a2")
    assert s2 == s0 and "a0" not in bank.resident  # the unheld one went
    bank.sync()
    # each module stacks only its own members, at the largest of their ranks: v holds a2 alone, at rank 2
    q = bank.layers["model.layers.0.self_attn.q_proj"].stacks
    v = bank.layers["model.layers.0.self_attn.v_proj"].stacks
    down = bank.layers["model.layers.1.mlp.down_proj"].stacks
    assert [(s.names, s.rank) for s in q] == [(tuple(sorted(["a1", "a2"], key=bank.resident.get)), 8)]
    assert [(s.names, s.rank) for s in v] == [(("a2",), 2)] and [(s.names, s.rank) for s in down] == [(("a1",), 8)]
    for name in ("a1", "a2"):  # a1 was copied on the device through the rebuild; a2 took a0's slot, not its weights
        e = q[0].names.index(name)
        a, b = bank.host[name].modules["model.layers.0.self_attn.q_proj"]  # (r, in), (out, r)
        r = a.shape[0]
        assert torch.equal(q[0].A[e, :, :r], a.T) and torch.all(q[0].A[e, :, r:] == 0) and torch.equal(q[0].B[e, :r], b.T)
    assert bank.device_bytes() == sum(4 * (s.A.numel() + s.B.numel()) for l in bank.layers.values() for s in l.stacks)


@pytest.mark.parametrize("rank_groups", [False, True], ids=["one stack per module", "a stack per rank"])
@pytest.mark.parametrize("T", [5, 1], ids=["prefill", "decode"])
@pytest.mark.parametrize("fixed", [False, True], ids=["planned", "fixed shapes"])
def test_lora_linear_equals_peft_for_each_row(tiny, tmp_path, rank_groups, T, fixed):
    """A batch whose rows use different adapters gives each row what PEFT gives it alone.

    The adapters differ in rank and targets: q and v hold the same two and share their A's,
    k, o, gate and up hold one, down holds two of different rank; a base row sits among them.
    With fixed shapes (the compiled decode step's) the stacks hold an unused zero entry
    and every row reads its own entry.
    """
    import copy

    model, base_dir = tiny
    configs = [(4, ("q_proj", "v_proj"), {}), (8, ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"), {"use_rslora": True}), (2, ("down_proj",), {})]
    peft_models = [make_adapter(model, base_dir, tmp_path / f"a{i}", r=r, targets=t, seed=i, **kw)
                   for i, (r, t, kw) in enumerate(configs)]
    ours = copy.deepcopy(model)
    bank = SlotBank(ours, n_slots=3 + fixed, device=torch.device("cpu"), dtype=torch.float32,
                    rank_groups=rank_groups, fixed=fixed)
    for i in range(3):
        bank.register(read_adapter(f"a{i}", str(tmp_path / f"a{i}"), ours, base_dir))
    slots = [bank.acquire(f"a{i}") for i in range(3)] + [0]
    ids = torch.randint(0, 64, (4, T))
    bank.batch.set(slots, ids.shape[1], fixed=fixed)
    with torch.no_grad():
        got = ours(input_ids=ids).logits
        for row, pm in enumerate(peft_models):
            torch.testing.assert_close(got[row], pm(input_ids=ids[row : row + 1]).logits[0], rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(got[3], model(input_ids=ids[3:4]).logits[0], rtol=1e-5, atol=1e-6)
    v = bank.layers["model.layers.1.self_attn.v_proj"]
    assert v.stacks and all(s.shared is not None for s in v.stacks)  # v's A's sit beside q's
    assert all(s.A.shape[0] == (4 if fixed else len(s.members)) for s in v.stacks)
    assert (v.rows is not None) == fixed
