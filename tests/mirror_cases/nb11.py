"""Notebook 11: the decoding strategies and the encoder-decoder written in cells equal the package."""

from __future__ import annotations

import torch

from course_utils import gpt, seq2seq
from tests.mirror_cases.compare import assert_same


def _tiny_gpt(seed: int = 0, scale: float = 1.0) -> gpt.GPT:
    torch.manual_seed(seed)
    model = gpt.GPT(
        gpt.GPTConfig(vocab_size=11, block_size=6, n_layer=1, n_head=2, n_embd=16, dropout=0.0)
    )
    with torch.no_grad():
        model.head.weight.mul_(scale)  # a larger scale: sharper distributions
    return model.eval()


class Chain(torch.nn.Module):
    """Next-token distribution depends on the last token only (token 0 is the end token)."""

    def __init__(self, table):
        super().__init__()
        self.log_table = torch.tensor(table, dtype=torch.float64).log()

    def forward(self, idx):
        return self.log_table[idx], None


CHAIN = Chain(
    [[0.1, 0.3, 0.3, 0.3], [0.4, 0.05, 0.5, 0.05], [0.2, 0.5, 0.1, 0.2], [0.05, 0.05, 0.1, 0.8]]
)

LOGITS = torch.tensor(
    [
        [2.0, 1.0, 1.0, -0.5, float("-inf"), 0.3],
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        [5.0, 5.0, -1.0, 0.0, 0.0, -3.0],
    ]
)


def check_greedy(nb_fn, pkg_fn):
    for seed, scale in ((0, 1.0), (1, 40.0)):
        model = _tiny_gpt(seed, scale)
        for prompt in ([3], [1, 2, 3, 4, 5, 6, 7, 8], torch.tensor([[1, 2], [7, 3]])):
            for n in (0, 1, 9):
                assert_same(nb_fn(model, prompt, n), pkg_fn(model, prompt, n))


def check_top_k(nb_fn, pkg_fn):
    for dtype in (torch.float32, torch.float64):
        for k in (1, 2, 3, 6, 9):
            assert_same(nb_fn(LOGITS.to(dtype), k), pkg_fn(LOGITS.to(dtype), k))
        assert_same(nb_fn(LOGITS[1].to(dtype), 2), pkg_fn(LOGITS[1].to(dtype), 2))


def check_top_p(nb_fn, pkg_fn):
    for dtype in (torch.float32, torch.float64):
        for p in (0.05, 0.3, 0.5, 0.9, 0.999, 1.0):
            assert_same(nb_fn(LOGITS.to(dtype), p), pkg_fn(LOGITS.to(dtype), p))
        assert_same(nb_fn(LOGITS[0].to(dtype), 0.6), pkg_fn(LOGITS[0].to(dtype), 0.6))
    # p = 1 keeps everything, even a token whose mass before it rounds to 1 in float32
    tiny_tail = torch.tensor([0.0, 0.0, -30.0])
    assert_same(nb_fn(tiny_tail, 1.0), pkg_fn(tiny_tail, 1.0))
    assert torch.isfinite(pkg_fn(tiny_tail, 1.0)).all()


def check_temperature(nb_fn, pkg_fn):
    for dtype in (torch.float32, torch.float64):
        for t in (0.5, 1.0, 3.0, 1e-40, 1e-300):
            assert_same(nb_fn(LOGITS.to(dtype), t), pkg_fn(LOGITS.to(dtype), t))


def check_probs(nb_fn, pkg_fn):
    for kw in (
        {},
        {"temperature": 0.7},
        {"top_k": 2},
        {"top_p": 0.6},
        {"temperature": 1.5, "top_k": 4, "top_p": 0.8},
        {"temperature": 1e-30},
    ):
        assert_same(nb_fn(LOGITS, **kw), pkg_fn(LOGITS, **kw), atol=1e-7)


def check_sample(nb_fn, pkg_fn):
    model = _tiny_gpt(2, 3.0)
    for kw in (
        {},
        {"temperature": 0.5},
        {"top_k": 3},
        {"top_p": 0.7},
        {"temperature": 2.0, "top_k": 5, "top_p": 0.9},
        {"temperature": 1e-40},
    ):
        for seed in (0, 5):
            for prompt in ([4], [1, 2, 3, 4, 5, 6, 7, 8], torch.tensor([[1], [9]])):
                assert_same(
                    nb_fn(model, prompt, 10, seed=seed, **kw),
                    pkg_fn(model, prompt, 10, seed=seed, **kw),
                )


def check_beam(nb_fn, pkg_fn):
    cases = [
        (CHAIN, [1], n, w, a, eos)
        for n in (0, 1, 3, 6)
        for w in (1, 2, 3)
        for a in (0.0, 1.0)
        for eos in (None, 0)
    ]
    cases += [(_tiny_gpt(3, 5.0), [2, 5], 7, w, 1.0, e) for w in (1, 4) for e in (None, 3)]
    for model, prompt, n, width, alpha, eos in cases:
        ours = nb_fn(model, prompt, n, beam_width=width, length_penalty=alpha, eos_id=eos)
        theirs = pkg_fn(model, prompt, n, beam_width=width, length_penalty=alpha, eos_id=eos)
        assert [(b.tokens, b.finished) for b in ours] == [(b.tokens, b.finished) for b in theirs]
        assert_same([(b.log_prob, b.score) for b in ours], [(b.log_prob, b.score) for b in theirs])


SRC = torch.tensor([[3, 29, 5, 28, 7, 0, 0], [12, 0, 0, 0, 0, 0, 0], [1, 28, 21, 4, 0, 0, 0]])


def _grads(module):
    return {n: p.grad for n, p in module.named_parameters()}


def check_encoder_layer(nb_cls, pkg_cls):
    x = torch.randn(3, 7, 16, generator=torch.Generator().manual_seed(0))
    mask = (SRC != seq2seq.PAD)[:, None, None, :]
    outs = []
    for cls in (nb_cls, pkg_cls):
        torch.manual_seed(0)
        layer = cls(16, 4)
        y = layer(x, mask)
        y.pow(2).sum().backward()
        outs.append((y, _grads(layer)))
    assert_same(outs[0], outs[1], atol=1e-6)


def check_decoder_layer(nb_cls, pkg_cls):
    g = torch.Generator().manual_seed(1)
    y0, memory = torch.randn(3, 5, 16, generator=g), torch.randn(3, 7, 16, generator=g)
    mask = (SRC != seq2seq.PAD)[:, None, None, :]
    outs = []
    for cls in (nb_cls, pkg_cls):
        torch.manual_seed(0)
        layer = cls(16, 4)
        y, weights = layer(y0, memory, mask)
        (y.pow(2).sum() + weights.pow(2).sum()).backward()
        outs.append((y, weights, _grads(layer)))
    assert_same(outs[0], outs[1], atol=1e-6)
    assert torch.all(outs[1][1][1, :, :, 1:] == 0)  # padding is never read


def _model(cls, seed=0):
    torch.manual_seed(seed)
    return cls(len(seq2seq.SRC_VOCAB), len(seq2seq.TGT_VOCAB), d_model=16, n_heads=2, n_layers=2)


def check_seq2seq(nb_cls, pkg_cls):
    src, tgt = seq2seq.make_number_batch([4021, 12, 907, 9999, 30])
    outs = []
    for cls in (nb_cls, pkg_cls):
        model = _model(cls)
        logits, loss = model(src, tgt[:, :-1], tgt[:, 1:])
        loss.backward()
        memory, mask = model.encode(src)
        _, maps = model.decode(tgt[:, :3], memory, mask)
        outs.append((logits, loss, model(src, tgt[:, :-1])[1] is None, maps, _grads(model)))
    assert_same(outs[0], outs[1], atol=1e-6)
    defaults = []
    for cls in (nb_cls, pkg_cls):  # the default sizes
        torch.manual_seed(1)
        model = cls(len(seq2seq.SRC_VOCAB), len(seq2seq.TGT_VOCAB))
        defaults.append((model(src, tgt[:, :-1], tgt[:, 1:]), model.pe.shape))
    assert_same(defaults[0], defaults[1], atol=1e-6)


def check_translate(nb_fn, pkg_fn):
    src, _ = seq2seq.make_number_batch(list(range(1, 9999, 97)))
    model = _model(seq2seq.Seq2SeqTransformer, seed=4).eval()
    # bias the head so that the end token wins for some rows early: every branch is exercised
    with torch.no_grad():
        model.head.bias[seq2seq.EOS] += 0.25
    for max_len in (1, 3, 5):
        assert_same(nb_fn(model, src, max_len), pkg_fn(model, src, max_len))
    out, _ = pkg_fn(model, src, 5)
    ended = (out == seq2seq.EOS).any(1)
    assert ended.any() and not ended.all()


CASES = {
    "course_utils.generation.greedy_decode": check_greedy,
    "course_utils.generation.top_k_filter": check_top_k,
    "course_utils.generation.top_p_filter": check_top_p,
    "course_utils.generation.apply_temperature": check_temperature,
    "course_utils.generation.next_token_probs": check_probs,
    "course_utils.generation.sample_decode": check_sample,
    "course_utils.generation.beam_search": check_beam,
    "course_utils.seq2seq.EncoderLayer": check_encoder_layer,
    "course_utils.seq2seq.DecoderLayer": check_decoder_layer,
    "course_utils.seq2seq.Seq2SeqTransformer": check_seq2seq,
    "course_utils.seq2seq.greedy_translate": check_translate,
}
