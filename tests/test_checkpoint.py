"""GPT checkpoints: checksums, clear errors for damaged or incomplete files, safe loading only."""

from __future__ import annotations

import warnings

import pytest
import torch

from course_utils import gpt
from course_utils.gpt import checkpoint as ckpt_mod
from course_utils.gpt.train import TrainConfig
from course_utils.tokenizers import CharTokenizer

TOK = CharTokenizer.from_text("abcdefghijk")  # 11 symbols, the model's vocabulary
CONFIG = gpt.GPTConfig(
    vocab_size=TOK.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.0
)


def _model() -> gpt.GPT:
    torch.manual_seed(0)
    return gpt.GPT(CONFIG).eval()


@pytest.fixture
def saved(tmp_path):
    model = _model()
    path = gpt.save_checkpoint(
        tmp_path / "m.pt",
        model,
        tokenizer=TOK,
        train_config=TrainConfig(max_steps=10, warmup_steps=2),
        extra={"step": 10, "losses": [2.5, 2.1]},
    )
    return path, model


def _payload(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def _rewrite(path, payload, *, reseal: bool = True):
    """Store an edited payload, with a matching checksum unless ``reseal`` is False."""
    if reseal:
        payload["sha256"] = ckpt_mod.content_sha256(payload)
    torch.save(payload, path)


def _logits(model):
    idx = torch.tensor([[0, 3, 5, 7]])
    with torch.no_grad():
        return model(idx)[0]


def test_round_trip_is_verified_and_silent(saved):
    path, model = saved
    assert len(_payload(path)["sha256"]) == 64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = gpt.load_checkpoint(path)
    assert torch.equal(_logits(loaded.model), _logits(model))
    assert loaded.tokenizer == TOK and loaded.train_config.max_steps == 10
    assert loaded.extra == {"step": 10, "losses": [2.5, 2.1]}


def test_checksum_does_not_depend_on_the_file_layout(saved, tmp_path):
    path, model = saved
    again = gpt.save_checkpoint(
        tmp_path / "again.pt",
        model,
        tokenizer=TOK,
        train_config=TrainConfig(max_steps=10, warmup_steps=2),
        extra={"losses": [2.5, 2.1], "step": 10},
    )
    assert _payload(again)["sha256"] == _payload(path)["sha256"]


def test_flipped_bytes_inside_a_stored_tensor_are_detected(saved):
    path, model = saved
    state = model.state_dict()
    name = max(state, key=lambda k: state[k].numel())  # the largest weight matrix
    weight = state[name].contiguous()
    raw = bytearray(path.read_bytes())
    start = raw.find(weight.numpy().tobytes()[:64])
    assert start > 0, "tensor bytes not found in the file"
    raw[start + 2 : start + 4] = b"\xff\xff"  # sign and exponent bits of one float32: NaN
    path.write_bytes(bytes(raw))
    assert torch.isnan(_payload(path)["model"][name]).any()  # what loading used to give
    with pytest.raises(ValueError, match="damaged.*checksum"):
        gpt.load_checkpoint(path)


def test_changed_configuration_or_extra_is_detected(saved):
    path, _ = saved
    payload = _payload(path)
    payload["extra"]["step"] = 11
    _rewrite(path, payload, reseal=False)
    with pytest.raises(ValueError, match="do not match the checksum"):
        gpt.load_checkpoint(path)


def test_missing_config_is_a_clear_error(saved):
    path, _ = saved
    payload = _payload(path)
    del payload["config"]
    _rewrite(path, payload, reseal=False)
    with pytest.raises(ValueError, match="'config' entry is missing"):
        gpt.load_checkpoint(path)


def test_unknown_training_config_field_is_a_clear_error(saved):
    path, _ = saved
    payload = _payload(path)
    payload["train_config"]["warmup"] = 5
    _rewrite(path, payload)
    with pytest.raises(ValueError, match=r"unknown training-configuration field\(s\) \['warmup'\]"):
        gpt.load_checkpoint(path)


@pytest.mark.parametrize("extra", [["step", 10], {1: "a"}, "notes"])
def test_malformed_extra_is_a_clear_error(saved, extra):
    path, _ = saved
    payload = _payload(path)
    payload["extra"] = extra
    _rewrite(path, payload)
    with pytest.raises(ValueError, match="'extra' should be a dict with string keys"):
        gpt.load_checkpoint(path)


def test_tokenizer_must_fit_the_model_vocabulary(saved, tmp_path):
    with pytest.raises(ValueError, match="tokenizer has 3 symbols but the model's vocabulary"):
        gpt.save_checkpoint(tmp_path / "x.pt", _model(), tokenizer=CharTokenizer.from_text("abc"))
    assert not (tmp_path / "x.pt").exists()
    path, _ = saved
    payload = _payload(path)
    payload["tokenizer"] = CharTokenizer.from_text("abc").to_dict()
    _rewrite(path, payload)
    with pytest.raises(
        ValueError, match="tokenizer has 3 symbols but the model has a vocabulary of 11"
    ):
        gpt.load_checkpoint(path)


def test_tensors_in_extra_are_covered_by_the_checksum(tmp_path):
    big = torch.arange(5000, dtype=torch.float32)  # repr() would elide most of it
    path = gpt.save_checkpoint(tmp_path / "m.pt", _model(), extra={"curve": big})
    assert torch.equal(gpt.load_checkpoint(path).extra["curve"], big)
    payload = _payload(path)
    payload["extra"]["curve"][2500] = -1.0
    _rewrite(path, payload, reseal=False)
    with pytest.raises(ValueError, match="do not match the checksum"):
        gpt.load_checkpoint(path)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_unsafe_checkpoint_is_refused_without_unsafe_advice(saved, tmp_path):
    path, _ = saved
    payload = _payload(path)
    marker = tmp_path / "code-ran"
    payload["extra"] = {"note": _RunsCode(marker)}
    torch.save(payload, path)
    with pytest.raises(ValueError) as info:
        gpt.load_checkpoint(path)
    message = str(info.value)
    assert "was refused" in message and "refers to io.open" in message
    assert "weights_only" not in message and "safe_globals" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__  # torch's text hidden
    assert not marker.exists()


def test_junk_file_is_damaged_not_refused(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="could not be read") as info:
        gpt.load_checkpoint(tmp_path / "junk.pt")
    assert "weights_only" not in str(info.value)


def test_old_checkpoint_without_checksum_loads_with_a_warning(saved):
    path, model = saved
    payload = _payload(path)
    del payload["sha256"]
    torch.save(payload, path)
    with pytest.warns(UserWarning, match="no checksum.*Save it again"):
        loaded = gpt.load_checkpoint(path)
    assert torch.equal(_logits(loaded.model), _logits(model))
    next(iter(payload["model"].values())).view(-1)[0] = float("nan")
    torch.save(payload, path)
    with pytest.raises(ValueError, match="NaN or infinity"):
        gpt.load_checkpoint(path)


def test_weights_of_a_diverged_run_are_refused_even_with_a_valid_checksum(tmp_path):
    model = _model()
    with torch.no_grad():
        model.head.weight[0, 0] = float("nan")  # as a training run that diverged leaves them
    path = gpt.save_checkpoint(tmp_path / "nan.pt", model)
    with pytest.raises(ValueError, match="NaN or infinity.*diverged"):
        gpt.load_checkpoint(path)


def test_weights_that_do_not_fit_the_configuration_are_a_clear_error(saved):
    path, _ = saved
    payload = _payload(path)
    payload["config"]["n_embd"] = 2 * payload["config"]["n_embd"]
    payload["config"]["n_head"] = 1
    _rewrite(path, payload)  # resealed: the file is intact, its contents do not fit together
    with pytest.raises(ValueError, match="do not fit its configuration"):
        gpt.load_checkpoint(path)
