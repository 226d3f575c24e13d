"""course_utils.seq2seq: the data, cross-attention against PyTorch's, decoding with start/end."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils import seq2seq as S


@pytest.mark.parametrize(
    "n, words",
    [
        (1, "one"),
        (13, "thirteen"),
        (20, "twenty"),
        (42, "forty two"),
        (100, "one hundred"),
        (907, "nine hundred seven"),
        (4021, "four thousand twenty one"),
        (9999, "nine thousand nine hundred ninety nine"),
        (7000, "seven thousand"),
    ],
)
def test_number_to_words(n, words):
    assert S.number_to_words(n) == words


def test_every_number_has_its_own_words_and_fits_the_batch():
    texts = {S.number_to_words(n) for n in range(1, 10000)}
    assert len(texts) == 9999
    src, tgt = S.make_number_batch([9999, 4021, 7])
    assert src.shape == (3, 7) and tgt.shape == (3, 6)
    assert tgt[0].tolist() == [S.BOS, *[S.TGT_VOCAB.index(d) for d in "9999"], S.EOS]
    assert S.decode_target(tgt[1]) == "4021" and S.decode_target(tgt[2]) == "7"
    with pytest.raises(ValueError):
        S.number_to_words(0)


def test_cross_attention_equals_pytorchs_multihead_attention():
    torch.manual_seed(0)
    layer = S.DecoderLayer(16, 4).double().eval()
    ref = nn.MultiheadAttention(16, 4, batch_first=True).double().eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(
            torch.cat(
                [
                    layer.cross_attn.q_proj.weight,
                    layer.cross_attn.k_proj.weight,
                    layer.cross_attn.v_proj.weight,
                ]
            )
        )
        ref.in_proj_bias.copy_(
            torch.cat(
                [
                    layer.cross_attn.q_proj.bias,
                    layer.cross_attn.k_proj.bias,
                    layer.cross_attn.v_proj.bias,
                ]
            )
        )
        ref.out_proj.load_state_dict(layer.cross_attn.out_proj.state_dict())
    queries = torch.randn(2, 5, 16, dtype=torch.float64)
    memory = torch.randn(2, 7, 16, dtype=torch.float64)
    src = torch.tensor([[3, 4, 5, 6, 7, 8, 9], [3, 4, 5, 0, 0, 0, 0]])
    mask = (src != S.PAD)[:, None, None, :]
    out, weights = layer.cross_attn(queries, memory, memory, mask=mask, need_weights=True)
    want, want_w = ref(
        queries,
        memory,
        memory,
        key_padding_mask=src == S.PAD,
        need_weights=True,
        average_attn_weights=False,
    )
    torch.testing.assert_close(out, want)
    torch.testing.assert_close(weights, want_w)
    assert torch.all(weights[1, :, :, 3:] == 0)


def test_decoder_layer_equals_pytorchs_transformer_decoder_layer():
    torch.manual_seed(1)
    ours = S.DecoderLayer(16, 4).double().eval()
    ref = (
        nn.TransformerDecoderLayer(
            16,
            4,
            dim_feedforward=64,
            dropout=0.0,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        .double()
        .eval()
    )
    with torch.no_grad():
        for mine, theirs in (
            (ours.self_attn, ref.self_attn),
            (ours.cross_attn, ref.multihead_attn),
        ):
            theirs.in_proj_weight.copy_(
                torch.cat([mine.q_proj.weight, mine.k_proj.weight, mine.v_proj.weight])
            )
            theirs.in_proj_bias.copy_(
                torch.cat([mine.q_proj.bias, mine.k_proj.bias, mine.v_proj.bias])
            )
            theirs.out_proj.load_state_dict(mine.out_proj.state_dict())
        for a, b in ((ours.ln1, ref.norm1), (ours.ln2, ref.norm2), (ours.ln3, ref.norm3)):
            b.load_state_dict(a.state_dict())
        ref.linear1.load_state_dict(ours.mlp[0].state_dict())
        ref.linear2.load_state_dict(ours.mlp[2].state_dict())
    y, memory = (
        torch.randn(2, 5, 16, dtype=torch.float64),
        torch.randn(2, 7, 16, dtype=torch.float64),
    )
    mask = torch.ones(2, 1, 1, 7, dtype=torch.bool)
    causal = torch.ones(5, 5, dtype=torch.bool).triu(1)
    torch.testing.assert_close(ours(y, memory, mask)[0], ref(y, memory, tgt_mask=causal))


def test_the_decoder_never_reads_the_future_or_padding():
    torch.manual_seed(2)
    model = S.Seq2SeqTransformer(len(S.SRC_VOCAB), len(S.TGT_VOCAB), d_model=16, n_heads=2).eval()
    src, tgt = S.make_number_batch([4021, 12])
    logits, _ = model(src, tgt[:, :-1])
    changed = tgt.clone()
    changed[:, 3:] = 5
    logits2, _ = model(src, changed[:, :-1])
    torch.testing.assert_close(logits[:, :3], logits2[:, :3])
    padded = src.clone()
    padded[1, 1:] = S.PAD
    other = padded.clone()
    with torch.no_grad():
        model.src_emb.weight[S.PAD].add_(3.0)  # the padding's embedding must not matter
    torch.testing.assert_close(model(padded, tgt[:, :-1])[0], model(other, tgt[:, :-1])[0])


def test_training_learns_to_translate_and_decoding_stops_at_the_end_token():
    torch.manual_seed(0)
    numbers = torch.randperm(9999, generator=torch.Generator().manual_seed(0))[:3000] + 1
    src, tgt = S.make_number_batch(numbers)
    model = S.Seq2SeqTransformer(len(S.SRC_VOCAB), len(S.TGT_VOCAB), d_model=32, n_heads=4)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(1)
    for _ in range(150):
        rows = torch.randint(0, 2500, (64,), generator=g)
        _, loss = model(src[rows], tgt[rows, :-1], tgt[rows, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    out, maps = S.greedy_translate(model, src[2500:])
    right = [S.decode_target(o) == str(int(n)) for o, n in zip(out, numbers[2500:])]
    assert sum(right) / len(right) > 0.8
    assert (out == S.EOS).any(1).all()  # every row ended
    assert maps[-1].shape[:2] == (500, 4) and maps[-1].shape[-1] == 7
