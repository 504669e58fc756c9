"""Writes tiny_embedder.onnx: a small, hand-made audio embedder for Syrinx's tests.

It stands in for a pretrained embedder (Perch, BirdNET) without shipping third-party weights:
16 kHz audio in 8192-sample windows (0.512 s) becomes 32 frames of 256 samples; a Hann-windowed
DFT (as two MatMuls, cosine and sine) gives the power of 32 bands 250 Hz apart (0-7750 Hz);
their log, averaged over each quarter of the window, is the 128-value embedding. Quarters keep
the time order, so rising and falling sweeps differ.

Run once (`pip install onnx numpy`, then `python make_tiny_embedder.py`); the output is
committed beside this script, with tiny_embedder.json (what Syrinx reads to use it).
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RATE_HZ = 16_000
FRAME = 256
FRAMES = 32
WINDOW = FRAME * FRAMES
BANDS = 32
QUARTERS = 4


def dft_weights():
    n = np.arange(FRAME)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / FRAME)
    # Bin k*4 of a 256-point DFT: k * 250 Hz at 16 kHz.
    bins = np.arange(BANDS) * 4
    phase = 2 * np.pi * np.outer(n, bins) / FRAME
    cos = (hann[:, None] * np.cos(phase)).astype(np.float32)
    sin = (hann[:, None] * np.sin(phase)).astype(np.float32)
    return cos, sin


def main():
    cos, sin = dft_weights()
    inits = [
        numpy_helper.from_array(cos, "dft_cos"),
        numpy_helper.from_array(sin, "dft_sin"),
        numpy_helper.from_array(np.array([-1, FRAMES, FRAME], dtype=np.int64), "frames_shape"),
        numpy_helper.from_array(
            np.array([-1, QUARTERS, FRAMES // QUARTERS, BANDS], dtype=np.int64), "quarters_shape"
        ),
        numpy_helper.from_array(np.array([-1, QUARTERS * BANDS], dtype=np.int64), "out_shape"),
        numpy_helper.from_array(np.array([1e-6], dtype=np.float32), "eps"),
    ]
    nodes = [
        helper.make_node("Reshape", ["audio", "frames_shape"], ["frames"]),
        helper.make_node("MatMul", ["frames", "dft_cos"], ["re"]),
        helper.make_node("MatMul", ["frames", "dft_sin"], ["im"]),
        helper.make_node("Mul", ["re", "re"], ["re2"]),
        helper.make_node("Mul", ["im", "im"], ["im2"]),
        helper.make_node("Add", ["re2", "im2"], ["power"]),
        helper.make_node("Add", ["power", "eps"], ["power_eps"]),
        helper.make_node("Log", ["power_eps"], ["log_power"]),
        helper.make_node("Reshape", ["log_power", "quarters_shape"], ["quarters"]),
        helper.make_node("ReduceMean", ["quarters"], ["quarter_means"], axes=[2], keepdims=0),
        helper.make_node("Reshape", ["quarter_means", "out_shape"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_embedder",
        [helper.make_tensor_value_info("audio", TensorProto.FLOAT, ["batch", WINDOW])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", QUARTERS * BANDS])],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13)],
        producer_name="syrinx make_tiny_embedder.py",
    )
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, "tiny_embedder.onnx")


if __name__ == "__main__":
    main()
