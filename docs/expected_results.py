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
    "epyc": "2-core AMD EPYC VM, nothing else running, PyTorch 2.13 CPU",
    "h100": "one NVIDIA H100 80GB HBM3, 16 cores, PyTorch 2.11.0+cu130 (an earlier run)",
}

FOOTNOTE = (
    "The laptop-CPU rows come from a 2-core cloud machine, not a laptop; a recent laptop is "
    "usually faster. It ran one notebook at a time with nothing else running; full-mode times "
    "are of the whole notebook, fast-mode times of a run with `COURSE_FAST=1`. The key "
    "figures come from the committed full runs and are printed by the notebook's cells."
)

NOTEBOOKS = {
    "01_linear_regression": {
        "does": "fits linear regression to California Housing with NumPy gradient descent",
        "cpu": {
            "on": "epyc",
            "full": "35 s",
            "fast": "34 s",
            "figures": "after 100 epochs: training MSE 0.708, validation MSE 0.739; "
            "least-squares optimum: validation MSE 0.5552",
        },
        "apple": None,
        "cuda": None,
    },
    "02_perceptron": {
        "does": "trains the perceptron on separable points, XOR and a noisy cloud, and the pocket "
        "algorithm on the XOR cloud",
        "cpu": {
            "on": "epyc",
            "full": "17 s",
            "fast": "17 s",
            "figures": "converged after 27 epochs and 86 updates; on the XOR cloud the "
            "plain rule ends at 50% of points right, the pocket holds a line "
            "with 64%",
        },
        "apple": None,
        "cuda": None,
    },
    "03_logistic_regression": {
        "does": "trains logistic and softmax regression by gradient descent, up to handwritten "
        "digits",
        "cpu": {
            "on": "epyc",
            "full": "23 s",
            "fast": "25 s",
            "figures": "loss 0.3191 and accuracy 86.0% after 1000 epochs; digits: validation "
            "accuracy 96.9% after 500 epochs",
        },
        "apple": None,
        "cuda": None,
    },
    "04_neural_networks_backprop": {
        "does": "trains a NumPy MLP written with backpropagation by hand",
        "cpu": {
            "on": "epyc",
            "full": "38 s",
            "fast": "26 s",
            "figures": "two moons: validation accuracy 97.0% (logistic regression: 85.5%); "
            "deep network after 300 epochs: relu accuracy 97.8%, sigmoid 51.4%",
        },
        "apple": None,
        "cuda": None,
    },
    "05_numpy_to_pytorch": {
        "does": "trains the same network in PyTorch with autograd, optimizers and data loaders",
        "cpu": {
            "on": "epyc",
            "full": "25 s",
            "fast": "18 s",
            "figures": "after 100 epochs: validation loss 0.084; validation accuracy "
            "PyTorch 96.5%, NumPy network 97.0%",
        },
        "apple": None,
        "cuda": None,
    },
    "06_training_well": {
        "does": "trains networks that over- and underfit, with weight decay, dropout and "
        "early stopping",
        "cpu": {
            "on": "epyc",
            "full": "58 s",
            "fast": "34 s",
            "figures": "lowest validation loss 0.097 at epoch 38 (early stopping keeps it); "
            "dropout 0.5: validation accuracy 94.8% (dropout 0.0: 93.3%)",
        },
        "apple": None,
        "cuda": None,
    },
    "07_optimizers": {
        "does": "trains the same network with SGD + momentum, Adagrad, RMSProp, Adam and AdamW, "
        "then transfers pretrained digit networks to new classes",
        "cpu": {
            "on": "epyc",
            "full": "52 s",
            "fast": "27 s",
            "figures": "test accuracy 91.5% (AdamW) to 96.3% (SGD + momentum) after 300 "
            "steps; one image per class: 85.6% broad, fine-tuned against 71.1% "
            "from scratch",
        },
        "apple": None,
        "cuda": None,
    },
    "08_tokens_embeddings": {
        "does": "trains a BPE tokenizer and skip-gram word embeddings on tiny Shakespeare",
        "cpu": {
            "on": "epyc",
            "full": "37 s",
            "fast": "26 s",
            "figures": "BPE with 500 merges trained in 0.8 s; skip-gram embeddings trained "
            "in 12 s, loss 3.84 -> 2.54",
        },
        "apple": None,
        "cuda": None,
    },
    "10_gpt_transformer": {
        "does": "trains a character-level GPT on tiny Shakespeare (a small model on a CPU, "
        "nanoGPT's 10.7 M-parameter model on a GPU)",
        "cpu": {
            "on": "epyc",
            "full": "8.8 min (the GPT: 165 s of training, 82.6 ms per step; the ladder's other "
            "rungs: about 5 min)",
            "fast": "35 s",
            "figures": "lowest validation loss 1.878 at step 2000 (nanoGPT's reference: about "
            "1.88); ladder: trigram counts 2.046, one attention head 2.401, the GPT 1.878, "
            "an LSTM of the same size 1.716",
        },
        "apple": None,
        "cuda": {
            "on": "h100",
            "full": "156 s for the training cell with evaluations and samples "
            "(93 s of training, 5000 steps, 18.6 ms per step)",
            "fast": None,
            "figures": "lowest validation loss 1.463 at step 1750 (nanoGPT's reference: "
            "about 1.47); 879,487 tokens/s",
        },
    },
    "11_generation_finetuning": {
        "does": "compares decoding strategies on notebook 10's small GPT, trains a small "
        "encoder-decoder, then fine-tunes the GPT on another play against training from scratch",
        "cpu": {
            "on": "epyc",
            "full": "3.6 min",
            "fast": "30 s",
            "figures": "base model: best validation loss 1.878; numbers in words to digits: "
            "99.6% of 1,000 held-out numbers exact; the Shrew: fine-tuned 1.790 -> best 1.586 "
            "in 300 steps, from scratch: best 2.179",
        },
        "apple": None,
        "cuda": None,
    },
    "12_modern_gpt": {
        "does": "trains small GPTs with RoPE, RMSNorm, SwiGLU and grouped-query attention in an "
        "ablation over several seeds, builds a KV cache for generation, and trains with Muon",
        "cpu": {
            "on": "epyc",
            "full": "15 min (the ablation: 21 runs of 300 steps, 9.7 min; AdamW against Muon: "
            "6 runs, 3.8 min)",
            "fast": "38 s",
            "figures": "validation loss after 300 steps, mean of 3 seeds: notebook 10's model "
            "2.4033, RoPE 2.1908, SwiGLU 2.3508, all changes 2.0975, all changes with Muon "
            "1.9658 (AdamW 2.0616); KV cache 2.9x faster at 256 generated tokens",
        },
        "apple": None,
        "cuda": None,
    },
    "13_adapting_models": {
        "does": "adapts the small Shakespeare GPT: instruction tuning (SFT, with and without "
        "masking the prompt), full fine-tuning against LoRA on another play, and DPO",
        "cpu": {
            "on": "epyc",
            "full": "7.0 min (six fine-tunings of 150 steps and 80 steps of DPO)",
            "fast": "26 s",
            "figures": "masked SFT: held-out reply loss 2.735 -> 1.848; the Shrew from "
            "1.792 to 1.605 with full fine-tuning (812,416 trainable), 1.641 "
            "with LoRA r=4 (32,768)",
        },
        "apple": None,
        "cuda": None,
    },
    "14_many_gpus": {
        "does": "trains a small GPT with data parallelism (torchrun, 2 processes) and gradient "
        "accumulation on the CPU, and works out the memory of ZeRO, FSDP and tensor "
        "parallelism",
        "cpu": {
            "on": "epyc",
            "full": "77 s",
            "fast": "62 s",
            "figures": "1 process, 2 processes and grad_accum 2: the same final val loss "
            "3.08820; 1 process with 2 threads: 73.4 ms per step, 2 processes with 1 thread "
            "each: 96.9 (1 process, 1 thread: 118.0)",
        },
        "apple": None,
        "cuda": None,
    },
}
