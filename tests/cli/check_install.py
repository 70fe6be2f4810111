#!/usr/bin/env python3
"""Install and package (docs/user-guide.md#installing).

check_install.py install BUILD TMP: `cmake --install BUILD --prefix TMP/prefix`, then the
installed dtqvp, run from another directory, lists and runs the shipped scenarios (also
`report --traffic`, which reads a shipped scenario); the built-in apps' rv32 ELFs
run from PREFIX/share/dtqvp/riscv; the prefix is moved and still works (no
path of the build tree is compiled in); the installed Python module runs the installed binary.

check_install.py package BUILD TMP: cpack builds the Debian package (what `make package`
runs), dpkg-deb extracts it into TMP/root, and the extracted /usr/bin/dtqvp runs a shipped
scenario by name from another directory; the package's Depends name the shared libraries."""
import json, os, shutil, subprocess, sys

mode, build, tmp = sys.argv[1:4]
shutil.rmtree(tmp, ignore_errors=True)
os.makedirs(tmp)
elsewhere = os.path.join(tmp, "elsewhere")
os.makedirs(elsewhere)


def sh(*args, env=None, ok=True):
    r = subprocess.run([str(a) for a in args], cwd=elsewhere, capture_output=True, text=True, env=env)
    if ok and r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(map(str, args))} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def check_prefix(prefix, python_dir):
    exe = os.path.join(prefix, "bin", "dtqvp")
    assert os.access(exe, os.X_OK), exe
    lst = sh(exe, "scenarios", "--paths").stdout
    assert os.path.join(os.path.realpath(prefix), "share/dtqvp/scenarios/default.yaml") in lst, lst
    assert "sweeps/model_seq" in lst and "models/gpt2" in lst, lst
    # A shipped scenario by name, from a directory that has no scenarios/.
    sh(exe, "run", "default", "--set", "vssa.arrays=1", "--quiet", "--out", "o1")
    st = json.load(open(os.path.join(elsewhere, "o1", "stats.json")))
    assert st["scenario"] == "default" and st["stats"]["vssa.cycles"]["value"] > 0, st["scenario"]
    # A shipped scenario that names files of its own (relative to itself): the trained ONNX layer.
    sh(exe, "run", "onnx_use_lite", "--quiet", "--out", "o_use")
    st = json.load(open(os.path.join(elsewhere, "o_use", "stats.json")))
    assert st["stats"]["onnx.layer0.mismatches"]["value"] == 0, st["stats"]["onnx.layer0.mismatches"]
    # The same path under the data folder works too ("scenarios/default.yaml").
    sh(exe, "check", "scenarios/default.yaml")
    # report --traffic reads scenarios/report_traffic.yaml from the data folder.
    r = sh(exe, "report", "--model", "bert-base", "--seq", "16", "--traffic", "--layers", "1")
    assert "share/dtqvp/scenarios/report_traffic.yaml" in r.stdout, r.stdout
    # The built-in apps' rv32 ELFs are installed under share/dtqvp/riscv and host.cpu rv32 runs
    # them from there (when the build has the rv32 cross-compiler).
    if os.path.isdir(os.path.join(build, "sw", "riscv")):
        elf = os.path.join(prefix, "share/dtqvp/riscv/hello.elf")
        assert os.path.isfile(elf), elf
        r = sh(exe, "run", "firmware_hello", "--set", "host.cpu=rv32", "--quiet", "--out", "o_rv32")
        st = json.load(open(os.path.join(elsewhere, "o_rv32", "stats.json")))
        assert st["stats"]["host.instructions"]["value"] > 0, st["stats"].get("host.instructions")
    # The installed plotter is there.
    assert os.path.isfile(os.path.join(prefix, "share/dtqvp/tools/plot_sweep.py"))
    # The installed Python module finds the installed binary.
    if python_dir and os.path.isdir(os.path.join(prefix, python_dir, "dtqvp")):
        env = dict(os.environ, PYTHONPATH=os.path.join(prefix, python_dir))
        env.pop("DTQVP_EXE", None)
        code = ("import dtqvp, os; print(os.path.realpath(dtqvp.exe())); "
                "r = dtqvp.run('dma_stream', {'workload.dma_stream.bytes': '64KiB'}); "
                "print(r['stats']['dram.bytes_read']['value'])")
        out = sh("/usr/bin/python3", "-c", code, env=env).stdout.split()
        assert out[0] == os.path.realpath(exe), (out, exe)
        assert out[1] == "65536", out
        print("ok: the Python module in", prefix, "runs", out[0])
    elif python_dir:
        sys.exit(f"FAIL: no Python module under {prefix}/{python_dir}")


python_dir = "lib/python3/dist-packages" if os.path.isdir(os.path.join(build, "python", "dtqvp")) else ""
if mode == "install":
    prefix = os.path.join(tmp, "prefix")
    r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    check_prefix(prefix, python_dir)
    moved = os.path.join(tmp, "moved")
    os.rename(prefix, moved)
    check_prefix(moved, python_dir)
    print("ok: installed prefix works, also after moving it")
elif mode == "package":
    pkg = os.path.join(tmp, "pkg")
    r = subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(build, "CPackConfig.cmake"), "-B", pkg],
                       capture_output=True, text=True, cwd=build)
    assert r.returncode == 0, r.stdout + r.stderr
    debs = [f for f in os.listdir(pkg) if f.endswith(".deb")]
    assert len(debs) == 1, os.listdir(pkg)
    deb = os.path.join(pkg, debs[0])
    depends = sh("dpkg-deb", "-f", deb, "Depends").stdout
    for lib in ("libsystemc", "libyaml-cpp", "libfmt"):
        assert lib in depends, depends
    root = os.path.join(tmp, "root")
    sh("dpkg-deb", "-x", deb, root)
    check_prefix(os.path.join(root, "usr"), python_dir)
    print("ok:", debs[0], "installs into a root and runs; Depends:", depends.strip())
else:
    sys.exit("usage: check_install.py install|package BUILD TMP")
