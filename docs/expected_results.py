"""What a learner should expect from each training notebook, per kind of machine.

The single source of the ``expected-results`` cell near the top of each notebook listed here and
of the README's table "Expected results per notebook" (both written by
``python3 tools/expected_results.py``; a test fails when either disagrees with this file).

Per notebook: ``does`` (what it trains, completing "This notebook ..."), then one entry per key
of ``MACHINES``; ``None`` means not measured, and is shown as such. An entry names the machine it
was measured on (a key of ``MEASURED_ON``) and gives ``full`` (whole notebook, full mode),
``fast`` (whole notebook, ``COURSE_FAST=1``) and ``figures`` (the key results of a full run), any
of which may be ``None``. Write money as ``\\$`` and keep ``|`` out of the texts (Markdown tables).
"""

MACHINES = {
    "cpu": "laptop CPU",
    "apple": "Apple silicon",
    "cuda": "CUDA GPU",
}

MEASURED_ON = {
    "xeon": "2-core Intel Xeon @ 2.50 GHz VM, PyTorch 2.13 CPU",
    "h100": "one NVIDIA H100 80GB HBM3, 16 cores, PyTorch 2.11.0+cu130",
}

FOOTNOTE = (
    "The laptop-CPU rows come from a 2-core cloud machine, not a laptop; a recent laptop is "
    "usually faster. It was busy with other work while the notebooks were timed, so the times "
    "give the CPU time a notebook used (on a quiet machine the wait is about that long) and the "
    'slower wall-clock time seen. Times written "over ..." add up the timed steps a notebook\'s '
    "committed full run printed; the key figures come from those committed full runs."
)

NOTEBOOKS = {
    "01_linear_regression": {
        "does": "fits linear regression to California Housing with NumPy gradient descent",
        "cpu": {
            "on": "xeon",
            "full": "59 s of CPU time (299 s on the busy machine)",
            "fast": "44 s of CPU time (213 s on the busy machine)",
            "figures": "validation MSE 0.739 after 100 epochs (training MSE 0.708)",
        },
        "apple": None,
        "cuda": None,
    },
    "02_perceptron": {
        "does": "trains the perceptron on separable points, XOR and a noisy cloud",
        "cpu": {
            "on": "xeon",
            "full": "12 s of CPU time (80 s on the busy machine)",
            "fast": "13 s of CPU time (63 s on the busy machine)",
            "figures": "converges after 27 epochs and 86 updates; XOR never converges",
        },
        "apple": None,
        "cuda": None,
    },
    "03_logistic_regression": {
        "does": "trains logistic and softmax regression by gradient descent",
        "cpu": {
            "on": "xeon",
            "full": "33 s of CPU time (171 s on the busy machine)",
            "fast": "26 s of CPU time (133 s on the busy machine)",
            "figures": "loss 0.3191 and accuracy 86.0% after 1,000 epochs; 93.3% on the "
            "3-class problem, the same as scikit-learn",
        },
        "apple": None,
        "cuda": None,
    },
    "04_neural_networks_backprop": {
        "does": "trains a NumPy MLP written with backpropagation by hand",
        "cpu": {
            "on": "xeon",
            "full": "43 s of CPU time (197 s on the busy machine)",
            "fast": "20 s of CPU time (112 s on the busy machine)",
            "figures": "validation accuracy 97.0% (logistic regression: 85.5%); "
            "ReLU 96.0% against sigmoid 51.4% in the deep-network test",
        },
        "apple": None,
        "cuda": None,
    },
    "05_numpy_to_pytorch": {
        "does": "trains the same network in PyTorch with autograd, optimizers and data loaders",
        "cpu": {
            "on": "xeon",
            "full": "47 s of CPU time (240 s on the busy machine)",
            "fast": "21 s of CPU time (101 s on the busy machine)",
            "figures": "validation loss 0.084 after 100 epochs; validation accuracy 96.5% "
            "(the NumPy network: 97.0%)",
        },
        "apple": None,
        "cuda": None,
    },
    "06_training_well": {
        "does": "trains networks that over- and underfit, with weight decay, dropout and "
        "early stopping",
        "cpu": {
            "on": "xeon",
            "full": None,
            "fast": "37 s of CPU time (176 s on the busy machine)",
            "figures": "lowest validation loss 0.097 at epoch 38; dropout 0.5 reaches 94.1% "
            "validation accuracy (no dropout: 93.1%)",
        },
        "apple": None,
        "cuda": None,
    },
    "07_optimizers": {
        "does": "trains the same network with SGD, momentum, Adagrad, RMSProp, Adam and AdamW",
        "cpu": {
            "on": "xeon",
            "full": None,
            "fast": "38 s of CPU time (211 s on the busy machine)",
            "figures": "test accuracy 91.5% (AdamW) to 96.3% (SGD with momentum) after 300 "
            "steps; transfer learning 99.1%",
        },
        "apple": None,
        "cuda": None,
    },
    "08_tokens_embeddings": {
        "does": "trains a BPE tokenizer, word embeddings and a small RNN on tiny Shakespeare",
        "cpu": {
            "on": "xeon",
            "full": "over 80 s (the embedding training alone took 76 s)",
            "fast": "17 s of CPU time (97 s on the busy machine)",
            "figures": "BPE with 500 merges in 3.0 s; embedding training 76 s, loss 3.93 to 2.54",
        },
        "apple": None,
        "cuda": None,
    },
    "10_gpt_transformer": {
        "does": "trains a character-level GPT on tiny Shakespeare (a small model on a CPU, "
        "nanoGPT's 10.7 M-parameter model on a GPU)",
        "cpu": {
            "on": "xeon",
            "full": "over 2 min: the training alone takes 1.5 to 2.5 min "
            "(2,000 steps, 47 to 75 ms each)",
            "fast": "26 s of CPU time (136 s on the busy machine)",
            "figures": "validation loss 1.866 (4 layers, 4 heads, 128 dims; nanoGPT's CPU "
            "recipe: 1.886)",
        },
        "apple": None,
        "cuda": {
            "on": "h100",
            "full": "156 s for the training cell (93 s of training, 5,000 steps, 18.6 ms each)",
            "fast": None,
            "figures": "lowest validation loss 1.463 at step 1,750 (nanoGPT: 1.4697); "
            "879,000 tokens/s",
        },
    },
    "11_generation_finetuning": {
        "does": "trains (or loads) a small GPT, then fine-tunes it on another play",
        "cpu": {
            "on": "xeon",
            "full": "over 3 min (51 s comparing strategies, two 300-step trainings of 77 s each)",
            "fast": "23 s of CPU time (100 s on the busy machine)",
            "figures": "base model validation loss 1.878; fine-tuning 1.798 to 1.580 in "
            "300 steps (53 s), from scratch only 2.164",
        },
        "apple": None,
        "cuda": None,
    },
}
