"""Instruction tuning, LoRA and DPO (course_utils.adapt) against direct computations."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils import adapt, generation
from course_utils.gpt import GPT, GPTConfig
from course_utils.tokenizers import CharTokenizer

PLAY = """ROMEO:
But soft, what light through yonder window breaks?
It is the east, and Juliet is the sun.

JULIET:
O Romeo, Romeo, wherefore art thou Romeo?
Deny thy father and refuse thy name.

ROMEO:
Shall I hear more, or shall I speak at this?

NURSE:
Madam!
"""
CHARS = PLAY + "".join(adapt.TASKS.values()) + "W"


@pytest.fixture(scope="module")
def chat():
    """A tiny GPT over the play's characters, grown by the three markers."""
    tok = CharTokenizer.from_text(CHARS)
    torch.manual_seed(0)
    model = GPT(
        GPTConfig(
            vocab_size=tok.vocab_size,
            block_size=64,
            n_layer=2,
            n_head=2,
            n_embd=16,
            dropout=0.0,
            tie_weights=False,
        )
    )
    return (model, tok, *adapt.add_special_tokens(model, tok))


def test_held_out_plays_cut_where_notebook_11_does():
    text = "x" * 1000 + "GREMIO:\nGood morrow.\n\nMaster:\nBoatswain!\nHere, master."
    shrew, tempest = adapt.held_out_plays(text)
    assert shrew == "GREMIO:\nGood morrow."
    assert tempest == "Master:\nBoatswain!\nHere, master."
    with pytest.raises(ValueError, match="tiny Shakespeare"):
        adapt.held_out_plays("no plays here " * 20)


@pytest.mark.parametrize("tied", [False, True])
def test_special_tokens_keep_old_ids_and_old_logits(tied):
    tok = CharTokenizer.from_text(CHARS)
    torch.manual_seed(1)
    model = GPT(
        GPTConfig(
            vocab_size=tok.vocab_size,
            block_size=16,
            n_layer=1,
            n_head=2,
            n_embd=8,
            dropout=0.0,
            tie_weights=tied,
        )
    )
    new_model, new_tok = adapt.add_special_tokens(model, tok)
    assert new_tok.vocab_size == tok.vocab_size + 3
    assert new_tok.itos[: tok.vocab_size] == tok.itos
    x = torch.tensor([tok.encode("ROMEO:\nBut soft")])
    old_logits, new_logits = model(x)[0], new_model(x)[0]
    assert torch.allclose(new_logits[..., : tok.vocab_size], old_logits, atol=1e-6)
    rows = new_model.tok_emb.weight[tok.vocab_size :]
    assert not torch.allclose(rows[0], rows[1])  # the markers can be told apart
    if tied:
        assert new_model.head.weight is new_model.tok_emb.weight


def test_instruction_examples_fit_and_cover_the_tasks():
    examples = adapt.instruction_examples(PLAY, max_chars=65, seed=0)
    assert {e.task for e in examples} == set(adapt.TASKS)
    assert all(len(adapt.render_example(e)) <= 65 for e in examples)
    nexts = {e.prompt.split("\n", 1)[1]: e.response for e in examples if e.task == "next"}
    assert nexts["It is the east, and Juliet is the sun."] == "JULIET"
    assert adapt.instruction_examples(PLAY, max_chars=65, seed=0) == examples
    short = adapt.instruction_examples(PLAY, max_chars=33, seed=0)
    assert short and all(len(adapt.render_example(e)) <= 33 for e in short)


def test_encode_masks_exactly_the_prompt(chat):
    *_, tok = chat
    ex = adapt.Example("next", "Who speaks next?\nMadam!", "JULIET")
    x, y = adapt.encode_examples(tok, [ex], 48, mask_prompt=True)
    _, y_all = adapt.encode_examples(tok, [ex], 48, mask_prompt=False)
    ids = tok.encode(adapt.render_example(ex))
    p = len(adapt.render_prompt(ex.prompt))
    n = len(ids) - 1
    assert x[0, :n].tolist() == ids[:-1]
    assert y_all[0, :n].tolist() == ids[1:]
    assert (y[0, : p - 1] == adapt.IGNORE).all() and (y[0, n:] == adapt.IGNORE).all()
    assert y[0, p - 1 : n].tolist() == ids[p:]  # the reply and the end marker
    assert tok.decode(y[0, p - 1 : n].tolist()) == "JULIET" + adapt.END
    with pytest.raises(ValueError, match="block_size"):
        adapt.encode_examples(tok, [ex], 10)


def test_masked_loss_equals_cross_entropy_with_ignore_index():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 7, 11, generator=g)
    targets = torch.randint(0, 11, (3, 7), generator=g)
    targets[0, :4] = -100
    targets[2, 1:] = -100
    want = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-100)
    assert torch.allclose(adapt.masked_lm_loss(logits, targets), want, atol=1e-6)
    none_kept = torch.full((2, 3), -100)
    assert adapt.masked_lm_loss(torch.randn(2, 3, 5), none_kept).item() == 0


def test_prompt_positions_get_no_gradient_through_a_gpt(chat):
    *_, model, tok = chat
    examples = adapt.instruction_examples(PLAY, max_chars=65, seed=0)[:4]
    x, y = adapt.encode_examples(tok, examples, 64)
    captured = {}

    def keep_logits(module, inputs, output):
        output.retain_grad()
        captured["logits"] = output

    hook = model.head.register_forward_hook(keep_logits)
    try:
        model.zero_grad()
        adapt.masked_lm_loss(model(x)[0], y).backward()
    finally:
        hook.remove()
    grad = captured["logits"].grad.norm(dim=-1)
    masked = y == adapt.IGNORE
    assert torch.all(grad[masked] == 0) and torch.all(grad[~masked] > 0)
    # Changing the prompt's own text after the reply is impossible; changing the targets of the
    # prompt (to anything) changes nothing: the loss and every weight gradient stay the same.
    grads = [p.grad.clone() for p in model.parameters()]
    y_other = y.clone()
    y_other[masked] = -100
    model.zero_grad()
    adapt.masked_lm_loss(model(x)[0], y_other).backward()
    assert all(torch.equal(a, p.grad) for a, p in zip(grads, model.parameters()))


def test_response_log_probs_match_sequence_log_prob(chat):
    *_, model, tok = chat
    ex = adapt.Example("voice", "Continue as ROMEO:\nBut soft,", " what light")
    x, y = adapt.encode_examples(tok, [ex], 64)
    got = adapt.response_log_probs(model, x, y)
    ids = tok.encode(adapt.render_example(ex))
    want = generation.sequence_log_prob(model, ids, len(adapt.render_prompt(ex.prompt)))
    assert got.shape == (1,) and math.isclose(got.item(), want, rel_tol=1e-5)
    got.sum().backward()  # differentiable
    assert model.tok_emb.weight.grad is not None


def test_generate_replies_greedy_matches_greedy_decode(chat):
    *_, model, tok = chat
    prompts = [adapt.render_prompt("Who speaks next?\nMadam!"), adapt.render_prompt("Who?\nO")]
    out = adapt.generate_replies(model, tok, prompts, max_new_tokens=12)
    for prompt, [(reply, ended)] in zip(prompts, out):
        ids = generation.greedy_decode(model, tok.encode(prompt), 12)[0, len(prompt) :].tolist()
        text = tok.decode(ids)
        assert ended == (adapt.END in text)
        assert reply == text.split(adapt.END)[0]
    sampled = adapt.generate_replies(
        model, tok, prompts, max_new_tokens=5, temperature=1.0, samples=3, seed=4
    )
    assert [len(s) for s in sampled] == [3, 3]
    assert sampled == adapt.generate_replies(
        model, tok, prompts, max_new_tokens=5, temperature=1.0, samples=3, seed=4
    )


def test_follows_format():
    assert adapt.follows_format("next", "JULIET", True)
    assert adapt.follows_format("next", "First Citizen", True)
    assert not adapt.follows_format("next", "JULIET", False)
    assert not adapt.follows_format("next", "and then", True)
    assert adapt.follows_format("verse", " and so to bed", True)
    assert not adapt.follows_format("voice", " and so\nROMEO:", True)
    assert not adapt.follows_format("voice", " ...", True)
    with pytest.raises(ValueError):
        adapt.follows_format("chat", "hi", True)


@pytest.mark.parametrize("bias", [True, False])
def test_lora_linear_is_the_frozen_layer_at_start_and_its_merge_after_training(bias):
    torch.manual_seed(0)
    base = nn.Linear(12, 7, bias=bias)
    w0 = base.weight.detach().clone()
    layer = adapt.LoRALinear(base, rank=3, alpha=6.0)
    x = torch.randn(5, 12)
    assert torch.equal(layer(x), base(x))
    assert [n for n, p in layer.named_parameters() if p.requires_grad] == ["A", "B"]
    assert adapt.count_trainable(layer) == 3 * (12 + 7)
    target = torch.randn(5, 7)
    opt = torch.optim.Adam([layer.A, layer.B], lr=1e-2)
    for _ in range(5):
        opt.zero_grad()
        F.mse_loss(layer(x), target).backward()
        opt.step()
    assert torch.equal(base.weight, w0) and layer.B.abs().sum() > 0
    merged = layer.merged()
    assert isinstance(merged, nn.Linear) and (merged.bias is None) == (not bias)
    want = x @ (w0 + 2.0 * layer.B @ layer.A).T + (base.bias if bias else 0)
    assert torch.allclose(layer(x), want, atol=1e-5)
    assert torch.allclose(merged(x), layer(x), atol=1e-5)


def test_lora_linear_checks_its_arguments():
    with pytest.raises(TypeError):
        adapt.LoRALinear(nn.Conv1d(2, 2, 1), 1, 1.0)
    with pytest.raises(ValueError, match="rank"):
        adapt.LoRALinear(nn.Linear(4, 3), 4, 1.0)


def test_add_lora_then_merge_gives_the_same_gpt(chat):
    model, *_ = chat
    m = adapt.add_lora(copy.deepcopy(model), rank=2, alpha=4.0)
    c = model.config
    per_block = 2 * ((c.n_embd + 3 * c.n_embd) + 2 * c.n_embd + 2 * (c.n_embd + 4 * c.n_embd))
    assert adapt.count_trainable(m) == c.n_layer * per_block
    x = torch.randint(0, c.vocab_size, (2, 20))
    assert torch.equal(m(x)[0], model(x)[0])
    opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(3):
        opt.zero_grad()
        m(x, x)[1].backward()
        opt.step()
    assert not torch.allclose(m(x)[0], model(x)[0])
    merged = adapt.merge_lora(copy.deepcopy(m))
    assert not any(isinstance(mod, adapt.LoRALinear) for mod in merged.modules())
    assert set(merged.state_dict()) == set(model.state_dict())
    assert torch.allclose(merged(x)[0], m(x)[0], atol=1e-5)


def _direct_dpo(pc, pr, rc, rr, beta):
    losses = [
        -math.log(1.0 / (1.0 + math.exp(-beta * ((a - c) - (b - d)))))
        for a, b, c, d in zip(pc.tolist(), pr.tolist(), rc.tolist(), rr.tolist())
    ]
    return sum(losses) / len(losses)


@pytest.mark.parametrize("beta", [0.1, 0.5, 2.0])
def test_dpo_loss_equals_its_formula(beta):
    g = torch.Generator().manual_seed(int(beta * 10))
    pc, pr, rc, rr = (-20 * torch.rand(9, generator=g, dtype=torch.float64) for _ in range(4))
    got = adapt.dpo_loss(pc, pr, rc, rr, beta)
    assert got.shape == () and math.isclose(
        got.item(), _direct_dpo(pc, pr, rc, rr, beta), rel_tol=1e-12
    )
    same = adapt.dpo_loss(rc, rr, rc, rr, beta)  # policy == reference: log 2
    assert math.isclose(same.item(), math.log(2), rel_tol=1e-12)
    pc = pc.clone().requires_grad_(True)
    pr = pr.clone().requires_grad_(True)
    adapt.dpo_loss(pc, pr, rc, rr, beta).backward()
    assert torch.all(pc.grad < 0) and torch.all(pr.grad > 0)  # raise chosen, lower rejected


def test_dpo_metrics():
    pc, pr = torch.tensor([-1.0, -5.0]), torch.tensor([-3.0, -2.0])
    rc, rr = torch.tensor([-2.0, -4.0]), torch.tensor([-2.0, -4.0])
    m = adapt.dpo_metrics(pc, pr, rc, rr, 0.5)
    assert math.isclose(m["chosen_reward"], 0.5 * (1.0 - 1.0) / 2)
    assert math.isclose(m["rejected_reward"], 0.5 * (-1.0 + 2.0) / 2)
    assert math.isclose(m["margin"], (0.5 * 2 + 0.5 * -3) / 2)
    assert m["accuracy"] == 0.5
    assert math.isclose(m["loss"], _direct_dpo(pc, pr, rc, rr, 0.5), rel_tol=1e-6)


def test_token_kl(chat):
    *_, model, tok = chat
    x, y = adapt.encode_examples(tok, adapt.instruction_examples(PLAY, max_chars=65)[:3], 64)
    assert adapt.token_kl(model, model, x, y) == pytest.approx(0.0, abs=1e-7)
    other = copy.deepcopy(model)
    with torch.no_grad():
        other.head.weight.add_(0.5 * torch.randn_like(other.head.weight))
    p = F.log_softmax(model(x)[0], -1)
    q = F.log_softmax(other(x)[0], -1)
    keep = y != adapt.IGNORE
    want = (p.exp() * (p - q)).sum(-1)[keep].mean().item()
    assert adapt.token_kl(model, other, x, y) == pytest.approx(want, rel=1e-5)
    assert want > 0


def test_real_word_share():
    vocab = adapt.word_set("The king is dead; long live the king! Know't.")
    assert vocab == {"the", "king", "is", "dead", "long", "live", "know't"}
    assert adapt.real_word_share(" the king is deaf", vocab) == 0.75
    assert adapt.real_word_share(" King", vocab) == 0.0  # too short
    assert adapt.real_word_share(" King", vocab, min_words=1) == 1.0


def test_finetune_trains_only_what_requires_grad():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    model[0].weight.requires_grad_(False)
    frozen = model[0].weight.clone()
    x = torch.randn(64, 3)
    y = x.sum(1, keepdim=True)
    history = adapt.finetune(
        model,
        lambda s: (x, y),
        lambda m, b: F.mse_loss(m(b[0]), b[1]),
        steps=60,
        lr=0.05,
        warmup=5,
        evaluate=lambda m: {"mse": F.mse_loss(m(x), y).item()},
        eval_every=20,
    )
    assert [e["step"] for e in history["evals"]] == [0, 20, 40, 60]
    assert history["evals"][-1]["mse"] < 0.5 * history["evals"][0]["mse"]
    assert len(history["loss"]) == 60 and torch.equal(model[0].weight, frozen)
    for p in model.parameters():
        p.requires_grad_(False)
    with pytest.raises(ValueError, match="trainable"):
        adapt.finetune(model, lambda s: (x, y), lambda m, b: m(b[0]).sum(), steps=1, lr=0.1)


def test_learner_facing_functions_refuse_inputs_that_would_give_wrong_numbers(chat):
    *_, model, tok = chat
    x = torch.randint(0, tok.vocab_size, (2, 8))
    with pytest.raises(ValueError, match="shape of inputs"):
        adapt.response_log_probs(model, x, x[:, :3])  # gather would sum 3 positions silently
    logits = torch.randn(2, 8, 5)
    with pytest.raises(ValueError, match="0 to 4"):
        adapt.masked_lm_loss(logits, torch.full((2, 8), -1))  # -1 would pick the last id
    ignored = torch.full((2, 8), adapt.IGNORE)
    assert adapt.masked_lm_loss(logits, ignored).item() == 0.0
    pc, pr, rc, rr = torch.randn(4, 3)
    with pytest.raises(ValueError, match="one shape"):
        adapt.dpo_loss(pc, pr, rc[:, None], rr[:, None], 0.1)  # would broadcast to (3, 3)
    with pytest.raises(ValueError, match="one shape"):
        adapt.dpo_metrics(pc[:1], pr, rc, rr, 0.1)
    with pytest.raises(ValueError, match="beta"):
        adapt.dpo_loss(pc, pr, rc, rr, -0.1)
    with pytest.raises(TypeError, match="set of words"):
        adapt.real_word_share("the cat sat", "the cat sat")  # `in` a string matches substrings
    with pytest.raises(TypeError, match="list of strings"):
        adapt.generate_replies(model, tok, "abc", max_new_tokens=2)


def test_lora_and_finetune_refuse_settings_that_would_train_nothing_or_half(chat):
    *_, model, tok = chat
    with pytest.raises(ValueError, match="alpha"):
        adapt.LoRALinear(nn.Linear(4, 4), 2, alpha=0.0)
    m = copy.deepcopy(model)
    with pytest.raises(TypeError, match="list of layer names"):
        adapt.add_lora(m, 2, 4.0, targets="attn.qkv")
    with pytest.raises(ValueError, match="not a linear layer"):
        adapt.add_lora(m, 2, 4.0, targets=("attn.foo",))
    assert adapt.count_trainable(m) == adapt.count_trainable(model), (
        "a refused call freezes nothing"
    )
    adapt.add_lora(m, 2, 4.0)
    trainable = adapt.count_trainable(m)
    with pytest.raises(ValueError, match="LoRA already"):
        adapt.add_lora(m, 2, 4.0)
    assert adapt.count_trainable(m) == trainable
    x = torch.randint(0, tok.vocab_size, (1, 6))
    with pytest.raises(ValueError, match="nothing to average"):
        adapt.token_kl(m, model, x, torch.full((1, 6), adapt.IGNORE))
    for bad in ({"grad_clip": float("nan")}, {"eval_every": -1}):
        with pytest.raises(ValueError):
            adapt.finetune(m, lambda step: None, lambda mod, b: None, steps=1, lr=1e-3, **bad)
