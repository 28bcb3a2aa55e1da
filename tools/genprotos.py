"""Generate the Python code (+ .pyi stubs) of protos/ into the source tree, or check it is current.

python tools/genprotos.py --out .      write pyesx/{api,vmkernel,vmx}/v1/*_pb2*.py[i]
python tools/genprotos.py --check      exit 1 when the committed files differ
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.resources
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

TOP = Path(__file__).resolve().parent.parent
PROTO_ROOT = TOP / "protos"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def generate(out: Path) -> list[Path]:
    """Run protoc with the grpc and mypy plugins; return the generated files, relative to out."""
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    include = str(importlib.resources.files("grpc_tools") / "_proto")
    bin_dir = Path(sys.executable).parent
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    generated = [p.relative_to(out) for p in out.rglob("*") if p.name.endswith(GENERATED_SUFFIXES)]
    for package_dir in {p.parent for p in generated}:
        for part in [package_dir, *package_dir.parents]:
            if part != Path("."):
                (out / part / "__init__.py").touch(exist_ok=True)
    return sorted(generated)


def committed_files() -> list[Path]:
    return sorted(
        p.relative_to(TOP)
        for sub in ("pyesx/api", "pyesx/vmkernel", "pyesx/vmx")
        for p in (TOP / sub).rglob("*")
        if p.name.endswith(GENERATED_SUFFIXES)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if not args.check:
        generate(args.out or TOP)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        stale = [
            str(p) for p in fresh if not (TOP / p).exists() or not filecmp.cmp(Path(tmp) / p, TOP / p, False)
        ]
        stale += [str(p) for p in committed_files() if p not in fresh]
    if stale:
        print("generated protobuf code is stale; run `make protos` and commit:", *stale, sep="\n  ")
        return 1
    print(f"generated protobuf code is current ({len(fresh)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
