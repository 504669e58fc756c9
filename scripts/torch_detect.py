#!/usr/bin/env python3
"""PyTorch CPU side of `syrinx bench`'s detection comparison: Syrinx's default network (input
average-pooled by 2, blocks of 3x3 conv / batch norm / ReLU / 2x2 max-pool with 16, 32, 48 and 64
channels, global average pool, one logit) scoring windows one by one, as a PyTorch detector does:
each window its own image, in batches of 64, batch norm in eval mode. Only the network is
timed (no decoding, spectrogram or front end), so the comparison flatters PyTorch.

  python3 torch_detect.py BANDS FRAMES HOP_SECS [BATCHES]

prints JSON with the windows scored per second and the real time they cover (× real time).
Threads: TORCH_THREADS (default 2).
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
torch.manual_seed(0)


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))


bands, frames, hop_secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
batches = int(sys.argv[4]) if len(sys.argv) > 4 else 20
net = nn.Sequential(nn.AvgPool2d(2), block(1, 16), block(16, 32), block(32, 48), block(48, 64),
                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 1))
net.eval()
batch = 64
x = torch.rand(batch, 1, bands, frames) * 2 - 1


def step():
    with torch.inference_mode():
        torch.sigmoid(net(x)).numpy()


for _ in range(3):
    step()
times = []
for _ in range(batches):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
times.sort()
secs = times[len(times) // 2]
windows_per_sec = batch / secs
print(json.dumps({"bands": bands, "frames": frames, "hop_secs": hop_secs,
                  "windows_per_sec": round(windows_per_sec, 2),
                  "x_realtime": round(windows_per_sec * hop_secs, 2),
                  "torch": torch.__version__, "threads": torch.get_num_threads()}))
