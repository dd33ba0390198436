"""The memory plan's arithmetic at Mistral-7B's full size (32 layers; nothing is allocated)."""

import pytest
import torch
from transformers import MistralConfig

from lora_land.__main__ import main
from lora_land.memory import (GiB, MemoryPlanError, kv_bytes_per_position, plan_memory, slot_bytes, stack_bytes,
                              weight_bytes)
from lora_land.rehearsal import MISTRAL_7B, linear_shapes

CONFIG = MistralConfig(**MISTRAL_7B)
BF16 = torch.bfloat16


def test_a_position_of_mistral_7b_costs_128_kib_and_32_rows_of_4096_take_16_gib():
    assert CONFIG.num_hidden_layers == 32
    assert kv_bytes_per_position(CONFIG, BF16) == 2 * 32 * 8 * 128 * 2 == 128 * 1024
    plan = plan_memory(CONFIG, free=80 * GiB, dtype=BF16, rows=32, context=4096)
    assert (plan.rows, plan.context, plan.cache_bytes) == (32, 4096, 16 * GiB)
    assert plan.total_bytes < 80 * GiB * 0.9 and "32 rows x 4096 positions = 16.00 GiB" in plan.describe()


def test_weights_and_adapter_slots_are_counted_from_the_config():
    assert weight_bytes(CONFIG, None, BF16) == pytest.approx(7.24e9 * 2, rel=0.01)  # 7.24B parameters
    assert 3.5 * GiB < weight_bytes(CONFIG, "nf4", BF16) < 4.2 * GiB
    shapes = {m: s for m, s in linear_shapes(MISTRAL_7B, 32).items() if m.endswith(("q_proj", "v_proj"))}
    # 24 adapters x rank 8 x (4096 + 4096 in/out for q, 4096 + 1024 for v) x 32 layers x 2 bytes
    assert slot_bytes(shapes, 24, 8, BF16) == 24 * 8 * (8192 + 5120) * 32 * 2


def test_stacks_count_each_module_at_its_own_members_and_rank():
    q, down = (8, 16), (32, 8)  # (in, out)
    adapters = [{"q": (8, *q)}, {"q": (4, *q), "down": (16, *down)}, {"q": (2, *q)}]
    # q stacks the two largest ranks of three at rank 8; down holds one adapter at rank 16
    assert stack_bytes(adapters, 2, torch.float32) == (2 * 8 * 24 + 1 * 16 * 40) * 4
    assert stack_bytes(adapters, 5, torch.float32) == (3 * 8 * 24 + 16 * 40) * 4
    assert stack_bytes([], 5, torch.float32) == 0


def test_rows_are_lowered_first_then_the_context_then_refused():
    per_row = 4096 * 128 * 1024  # 0.5 GiB for one row of 4096 positions
    act = plan_memory(CONFIG, free=100 * GiB, dtype=BF16, rows=32, context=4096).activation_bytes
    free_for = lambda cache: int((cache + act) / 0.9) + 1  # noqa: E731 - 10% is kept back

    plan = plan_memory(CONFIG, free=free_for(10 * per_row), dtype=BF16, rows=32, context=4096)
    assert (plan.rows, plan.context) == (10, 4096) and "lowered to fit" in plan.describe()

    plan = plan_memory(CONFIG, free=free_for(2 * per_row), dtype=BF16, rows=32, context=4096)
    assert (plan.rows, plan.context) == (4, 2048)  # fewer than 4 rows would serve too few people

    plan = plan_memory(CONFIG, free=free_for(per_row // 8), dtype=BF16, rows=32, context=4096)
    assert (plan.rows, plan.context) == (1, 512)

    with pytest.raises(MemoryPlanError, match="not enough memory on cuda:0.*--max-context.*nf4"):
        plan_memory(CONFIG, free=free_for(per_row // 16), dtype=BF16, rows=32, context=4096, device="cuda:0")


def test_the_engine_plans_within_the_memory_it_is_given():
    """The demo engine told it has little memory lowers its rows instead of failing later."""
    from lora_land.engine import Engine, Limits
    from lora_land.catalog import load_catalog
    from lora_land.loading import load_base_model, load_tokenizer

    prof = load_catalog("adapters.yaml").profile("demo")
    model, tokenizer = load_base_model(prof), load_tokenizer(prof)
    per_row = kv_bytes_per_position(model.config, torch.float32) * 1024
    plan = plan_memory(model.config, free=GiB, dtype=torch.float32, rows=32, context=1024)
    free = int((8 * per_row + plan.activation_bytes) / 0.9) + 1
    with Engine(model, tokenizer, base_name=prof.base, limits=Limits(max_rows=32), free_memory=free) as engine:
        assert (engine.limits.max_rows, engine.model.max_rows, engine.max_context) == (8, 8, 1024)
        assert engine.generate(["Hello"] * 3, max_new_tokens=2)
    with pytest.raises(MemoryPlanError):
        Engine(model, tokenizer, base_name=prof.base, free_memory=1024)


def test_the_plan_command_prints_mistral_7b_on_24_40_and_80_gb(capsys):
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert out.count("memory plan on a 24 GB GPU") == 2 and out.count("memory plan on a 80 GB GPU") == 2
    assert "NF4 weights 3.8 GiB: memory plan on a 80 GB GPU: key/value cache 32 rows x 4096 positions" in out
