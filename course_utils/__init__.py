"""Helpers shared by the Gradient to GPT notebooks.

Where to find things, notebook by notebook (``exercises.chNN`` holds the exercises of notebook
NN, ``plotting.chNN`` its own figures where it has some):

==  ===============================  =========================================================
NN  notebook                         modules
==  ===============================  =========================================================
00  welcome                          ``envcheck`` (environment report), ``widgets`` (live widgets
                                     with a one-line saved form), ``exercises.ch00``
01  linear regression                ``linear`` (also ``mse``, ``train_val_split``),
                                     ``plotting.ch01``, ``exercises.ch01``
02  perceptron                       ``perceptron`` (also the pocket perceptron),
                                     ``plotting.ch02``, ``exercises.ch02``
03  logistic regression              ``logistic`` (sigmoid, softmax, cross-entropies),
                                     ``plotting.ch03``, ``exercises.ch03``
04  neural networks, backprop        ``mlp`` (``NumpyMLP``), ``plotting.ch04``, ``exercises.ch04``
05  NumPy to PyTorch                 ``autograd`` (``Value``), ``mlp`` (``to_torch``),
                                     ``plotting.ch05``, ``exercises.ch05``
06  training well                    ``overfitting``, ``regularization``, ``activations``,
                                     ``descent``, ``training`` (the loop), ``plotting.ch06``,
                                     ``exercises.ch06``
07  optimizers                       ``optimizers``, ``plotting.ch07``, ``exercises.ch07``
08  tokens and embeddings            ``tokenizers``, ``bpe``, ``embeddings``, ``sequence``
                                     (RNN, LSTM cell), ``plotting.ch08``, ``exercises.ch08``
09  attention, positions             ``attention``, ``exercises.ch09``
10  GPT                              ``gpt`` (``gpt.model``, ``gpt.data``, ``gpt.train``,
                                     ``gpt.checkpoint``), ``ladder``, ``plotting.ch10``,
                                     ``exercises.ch10``
11  generation, encoder-decoder      ``generation``, ``seq2seq``, ``exercises.ch11``
12  a modern GPT                     ``gpt.model`` (switches, KV cache), ``plotting.ch12``,
                                     ``exercises.ch12``
13  adapting a language model        ``adapt`` (masked loss, LoRA, DPO), ``exercises.ch13``
14  training on many GPUs            ``gpt.distributed``, ``exercises.ch14``
==  ===============================  =========================================================

Used everywhere:

- ``runtime``    device choice, seeding, the fast-mode switch (``COURSE_FAST``), progress bars
- ``data``       dataset loaders that download, verify (sha256) and cache
- ``plotting``   the course's plot style (seaborn based), loss curves, decision boundaries,
  heatmaps, a live training chart
- ``checks``     answer checks for exercises (friendly feedback, hints, solutions)
- ``validation`` shared input checks that turn bad arguments into clear error messages
"""

from typing import Any

from course_utils import runtime
from course_utils.runtime import get_device, pick, seed_everything

__all__ = ["FAST", "get_device", "pick", "seed_everything"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # FAST (is fast mode on?) is read from COURSE_FAST when imported; see course_utils.runtime.
    if name == "FAST":
        return runtime.FAST
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
