#!/usr/bin/env python3
"""Writes .npy files with numpy itself (an independent writer) for tests/common."""
import os, sys
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
np.save(f"{out}/i8.npy", np.arange(-6, 6, dtype=np.int8).reshape(3, 4))
np.save(f"{out}/i32.npy", np.array([[-2**31, 2**31 - 1, 7]], dtype=np.int32))
np.save(f"{out}/f32.npy", np.array([0.5, -1.25], dtype=np.float32))
np.save(f"{out}/f64.npy", np.zeros(3))
np.save(f"{out}/big.npy", np.zeros(3, dtype=">i4"))
np.save(f"{out}/fortran.npy", np.asfortranarray(np.ones((2, 3), dtype=np.int8)))
np.save(f"{out}/scalar.npy", np.int32(5))
data = open(f"{out}/i8.npy", "rb").read()
open(f"{out}/truncated.npy", "wb").write(data[:-5])
open(f"{out}/notnpy.npy", "wb").write(b"hello world, not numpy")
print("ok: wrote npy files")
