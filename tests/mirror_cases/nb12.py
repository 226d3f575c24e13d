"""Cases for the mirror cells of notebook 12 (a modern GPT): each compares the notebook's
definition with the package's on the same inputs, weights and seeds, with every switch."""

from __future__ import annotations

import itertools
from dataclasses import replace

import torch

from course_utils import gpt
from tests.mirror_cases.compare import assert_same

TINY = gpt.GPTConfig(vocab_size=13, block_size=12, n_layer=2, n_head=4, n_embd=32, dropout=0.0)
ATTENTION_SWITCHES = [
    replace(TINY, position=p, n_kv_head=kv, bias=b)
    for p, kv, b in itertools.product(("learned", "rope"), (None, 2, 1), (False, True))
]
BLOCK_SWITCHES = [
    replace(TINY, norm=n, mlp=m, position="rope", n_kv_head=2)
    for n, m in itertools.product(("layernorm", "rmsnorm"), ("gelu", "swiglu"))
]


def _randomised(module: torch.nn.Module, seed: int) -> dict:
    """A state dict with every parameter drawn at random (norm scales and biases included)."""
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(v.shape, generator=g) * 0.3 for k, v in module.state_dict().items()}


def _same_module_outputs(nb_module, pkg_module, inputs, *, seed=0, call=None, atol=1e-6):
    """Load one random state into both, compare outputs and the gradients of every parameter."""
    state = _randomised(pkg_module, seed)
    pkg_module.load_state_dict(state)
    nb_module.load_state_dict(state)
    call = call or (lambda m, x: m(x))
    outs = []
    for module in (nb_module, pkg_module):
        x = inputs.clone().requires_grad_(inputs.is_floating_point())
        y = call(module, x)
        y.pow(2).sum().backward()
        grads = {k: p.grad.clone() for k, p in module.named_parameters()}
        outs.append((y.detach(), grads, x.grad))
    assert_same(outs[0], outs[1], atol=atol, rtol=1e-5)


def rotary(nb_cls, pkg_cls):
    x = torch.randn(2, 3, 7, 8, generator=torch.Generator().manual_seed(1))
    nb, pkg = nb_cls(8, 16), pkg_cls(8, 16)
    for start in (0, 1, 9):
        assert_same(nb(x, start), pkg(x, start), atol=1e-6)
    assert_same(nb_cls(8, 16, base=100.0)(x, 2), pkg_cls(8, 16, base=100.0)(x, 2), atol=1e-6)


def rmsnorm(nb_cls, pkg_cls):
    x = torch.randn(3, 5, 16, generator=torch.Generator().manual_seed(2)) * 2 + 0.5
    for eps in (None, 1e-3):
        _same_module_outputs(nb_cls(16, eps=eps), pkg_cls(16, eps=eps), x, seed=3)
    _same_module_outputs(nb_cls(16).double(), pkg_cls(16).double(), x.double(), seed=4, atol=1e-12)


def swiglu(nb_cls, pkg_cls):
    x = torch.randn(2, 5, TINY.n_embd, generator=torch.Generator().manual_seed(5))
    for cfg in (replace(TINY, mlp="swiglu"), replace(TINY, mlp="swiglu", bias=True, ffn_hidden=20)):
        _same_module_outputs(nb_cls(cfg), pkg_cls(cfg), x, seed=6)


def repeat_kv(nb_fn, pkg_fn):
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(7))
    for groups in (1, 2, 4):
        assert_same(nb_fn(x, groups), pkg_fn(x, groups))


def kv_cache(nb_cls, pkg_cls):
    g = torch.Generator().manual_seed(8)
    chunks = [
        (torch.randn(2, 2, t, 4, generator=g), torch.randn(2, 2, t, 4, generator=g))
        for t in (3, 1, 2)
    ]
    nb, pkg = nb_cls(2), pkg_cls(2)
    assert_same(nb.length, pkg.length)
    assert_same(nb.nbytes, pkg.nbytes)
    for k, v in chunks:
        for layer in (0, 1):
            assert_same(nb.update(layer, k, v), pkg.update(layer, k, v))
        assert_same(nb.nbytes, pkg.nbytes)


def attention(nb_cls, pkg_cls):
    x = torch.randn(2, 9, TINY.n_embd, generator=torch.Generator().manual_seed(9))
    for i, cfg in enumerate(ATTENTION_SWITCHES):
        nb, pkg = nb_cls(cfg), pkg_cls(cfg)
        for fused in (True, False):
            nb.fused = pkg.fused = fused
            _same_module_outputs(nb, pkg, x, seed=10 + i)
            assert_same(nb.attention_weights(x), pkg.attention_weights(x), atol=1e-6)
            # With a cache: the prompt, one token, then two more, against the same calls.
            outs = []
            for module, cache in ((nb, gpt.KVCache(1)), (pkg, gpt.KVCache(1))):
                parts = []
                for a, b in ((0, 5), (5, 6), (6, 9)):
                    parts.append(module(x[:, a:b], cache, 0))
                    cache.length = b
                outs.append(torch.cat(parts, dim=1).detach())
            assert_same(outs[0], outs[1], atol=1e-6)


def block(nb_cls, pkg_cls):
    x = torch.randn(2, 7, TINY.n_embd, generator=torch.Generator().manual_seed(11))
    for i, cfg in enumerate(BLOCK_SWITCHES + [replace(TINY, bias=True)]):
        _same_module_outputs(nb_cls(cfg), pkg_cls(cfg), x, seed=20 + i, atol=1e-5)
        # With a one-layer cache and the default layer index, in two pieces.
        outs = []
        for module in (nb_cls(cfg), pkg_cls(cfg)):
            module.load_state_dict(_randomised(module, 40 + i))
            cache = gpt.KVCache(1)
            first = module(x[:, :4], cache)
            cache.length = 4
            outs.append(torch.cat([first, module(x[:, 4:], cache)], dim=1).detach())
        assert_same(outs[0], outs[1], atol=1e-5)


def sample_next(nb_fn, pkg_fn):
    logits = torch.randn(4, 13, generator=torch.Generator().manual_seed(12)) * 3
    for temperature, top_k in ((1.0, None), (0.7, None), (1.5, 3), (1.2, 6), (1.0, 1), (1.0, 13)):
        draws = [
            fn(logits, temperature, top_k, torch.Generator().manual_seed(13))
            for fn in (nb_fn, pkg_fn)
        ]
        assert_same(draws[0], draws[1])
        # ... and they follow the tempered, filtered softmax: many draws, same frequencies.
    many = [
        fn(logits[:1].expand(4000, -1), 0.7, 3, torch.Generator().manual_seed(14))
        for fn in (nb_fn, pkg_fn)
    ]
    assert_same(many[0], many[1])
    # Two rows of nearly flat logits, top 5 of 13: sixty draws, all among the five largest.
    flat = torch.linspace(0.0, 1.0, 13).expand(2, -1)
    for fn in (nb_fn, pkg_fn):
        g = torch.Generator().manual_seed(16)
        draws = torch.cat([fn(flat, 5.0, 5, g) for _ in range(30)])
        assert bool((draws >= 8).all()), "top-k must keep only the k largest logits"


def generate_tokens(nb_fn, pkg_fn):
    prompts = [
        torch.randint(0, 13, (2, n), generator=torch.Generator().manual_seed(n))
        for n in (3, TINY.block_size + 2)
    ]
    for i, cfg in enumerate(
        [TINY, replace(TINY, position="rope", norm="rmsnorm", mlp="swiglu", n_kv_head=2)]
    ):
        torch.manual_seed(30 + i)
        model = gpt.GPT(cfg).eval()
        fed: list[int] = []
        model.register_forward_pre_hook(lambda m, args, fed=fed: fed.append(args[0].size(1)))
        for prompt, use_cache, kwargs in itertools.product(
            prompts, (True, False), ({"top_k": 1}, {"temperature": 1.4, "top_k": 5})
        ):
            runs = []
            for fn in (nb_fn, pkg_fn):
                fed.clear()
                out = fn(
                    model,
                    prompt,
                    2 * TINY.block_size,
                    use_cache=use_cache,
                    generator=torch.Generator().manual_seed(15),
                    **kwargs,
                )
                runs.append((out, list(fed)))  # the tokens, and the work done to get them
            assert_same(runs[0], runs[1])


def newton_schulz(nb_fn, pkg_fn):
    g = torch.Generator().manual_seed(40)
    for shape in ((6, 9), (9, 6), (3, 5, 8), (2, 8, 5)):  # wide, tall, and batches of each
        x = torch.randn(*shape, generator=g, dtype=torch.float64)
        for steps in (1, 5):
            assert_same(nb_fn(x, steps), pkg_fn(x, steps), atol=1e-12)
    assert_same(nb_fn(torch.zeros(3, 4)), pkg_fn(torch.zeros(3, 4)))  # eps keeps 0 at 0


def muon_update(nb_fn, pkg_fn):
    g = torch.Generator().manual_seed(41)
    shapes = [(9, 6), (6, 9), (6, 6)]
    for kwargs in (
        {"lr": 0.05},
        {"lr": 0.02, "momentum": 0.8, "weight_decay": 0.3, "ns_steps": 3},
        {"lr": 0.03, "nesterov": False, "splits": [[3, 3, 3], None, [2, 4]]},
    ):
        start = [torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes]
        grads = [[torch.randn(*s, generator=g, dtype=torch.float64) for s in shapes] for _ in "ab"]
        runs = []
        for fn in (nb_fn, pkg_fn):
            params = [w.clone() for w in start]
            buffers = [torch.zeros_like(w) for w in start]
            for step_grads in grads:  # two steps: the momentum buffer matters in the second
                fn(params, step_grads, buffers, **kwargs)
            runs.append((params, buffers))
        assert_same(runs[0], runs[1], atol=1e-12)


CASES = {
    "course_utils.gpt.model.Rotary": rotary,
    "course_utils.gpt.model.RMSNorm": rmsnorm,
    "course_utils.gpt.model.SwiGLU": swiglu,
    "course_utils.gpt.model.repeat_kv": repeat_kv,
    "course_utils.gpt.model.KVCache": kv_cache,
    "course_utils.gpt.model.CausalSelfAttention": attention,
    "course_utils.gpt.model.Block": block,
    "course_utils.gpt.model.sample_next": sample_next,
    "course_utils.gpt.model.generate_tokens": generate_tokens,
    "course_utils.gpt.muon.newton_schulz": newton_schulz,
    "course_utils.gpt.muon.muon_update": muon_update,
}
SURVIVING_MUTANTS = {
    ("course_utils.gpt.muon.newton_schulz", "comparison"): (
        "handling a tall matrix directly instead of as its transpose gives the same result "
        "(X X^T X = U S^3 V^T either way); only the size of the Gram matrix changes"
    ),
}
