"""A small GPT: a decoder-only transformer trained on characters (notebooks 10 and 11).

The package in the order notebook 10 builds it:

- :mod:`course_utils.gpt.model`: :class:`GPTConfig`, :class:`CausalSelfAttention`, :class:`MLP`,
  :class:`Block`, :class:`GPT` and the parameter counts;
- :mod:`course_utils.gpt.data`: :class:`TokenWindowDataset`, :func:`split_tokens`,
  :func:`random_batches`, :func:`load_char_corpus`;
- :mod:`course_utils.gpt.train`: :class:`TrainConfig`, the presets, the learning-rate schedule,
  mixed precision and the other device features, :func:`estimate_loss` and :func:`train`;
- :mod:`course_utils.gpt.muon`: :class:`Muon` and :func:`newton_schulz` (notebook 12's optimizer
  for the matrices), :func:`muon_param_groups`;
- :mod:`course_utils.gpt.checkpoint`: :func:`save_checkpoint`, :func:`load_checkpoint`,
  :func:`default_checkpoint_path`.

Every public name is importable from ``course_utils.gpt`` directly.
"""

from course_utils.gpt.checkpoint import (
    CHECKPOINT_FORMAT,
    Checkpoint,
    default_checkpoint_path,
    load_checkpoint,
    save_checkpoint,
)
from course_utils.gpt.data import (
    CharCorpus,
    TokenWindowDataset,
    load_char_corpus,
    random_batches,
    split_tokens,
)
from course_utils.gpt.model import (
    GPT,
    MLP,
    Block,
    CausalSelfAttention,
    GPTConfig,
    KVCache,
    RMSNorm,
    Rotary,
    SwiGLU,
    causal_mask,
    count_parameters,
    generate_tokens,
    parameter_count,
    repeat_kv,
    sample_next,
)
from course_utils.gpt.muon import Muon, muon_param_groups, newton_schulz
from course_utils.gpt.train import (
    OPTIMIZERS,
    EvalEvent,
    Preset,
    TrainConfig,
    TrainResult,
    autocast_context,
    autocast_dtype,
    configure_optimizer,
    cpu_modern_preset,
    cpu_preset,
    estimate_loss,
    fast_preset,
    gpu_modern_preset,
    gpu_preset,
    gpu_short_preset,
    grad_scaler,
    lr_at,
    preset_for_device,
    setup_device,
    speed_features,
    train,
)

__all__ = [
    "GPTConfig",
    "TrainConfig",
    "Preset",
    "gpu_preset",
    "cpu_preset",
    "fast_preset",
    "cpu_modern_preset",
    "gpu_short_preset",
    "gpu_modern_preset",
    "preset_for_device",
    "RMSNorm",
    "Rotary",
    "repeat_kv",
    "KVCache",
    "CausalSelfAttention",
    "MLP",
    "SwiGLU",
    "Block",
    "GPT",
    "sample_next",
    "generate_tokens",
    "causal_mask",
    "count_parameters",
    "parameter_count",
    "TokenWindowDataset",
    "split_tokens",
    "random_batches",
    "CharCorpus",
    "load_char_corpus",
    "setup_device",
    "autocast_dtype",
    "autocast_context",
    "grad_scaler",
    "speed_features",
    "lr_at",
    "OPTIMIZERS",
    "configure_optimizer",
    "newton_schulz",
    "Muon",
    "muon_param_groups",
    "estimate_loss",
    "EvalEvent",
    "TrainResult",
    "train",
    "CHECKPOINT_FORMAT",
    "Checkpoint",
    "save_checkpoint",
    "load_checkpoint",
    "default_checkpoint_path",
]
