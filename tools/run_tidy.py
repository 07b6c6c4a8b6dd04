#!/usr/bin/env python3
"""Runs clang-tidy on every source file of src/aliquot, remembering files that passed.

A file is checked again only when something that can change its verdict changes: the file itself,
any header of the project, .clang-tidy, or its compile command. So a second run of scripts/test
with nothing changed costs seconds, not minutes, and never skips a file that needs a look.

Usage: run_tidy.py BUILD_DIR [JOBS]
"""
import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def project_state():
    """A digest of everything shared by all files: the tidy config and every project header."""
    digest = hashlib.sha256()
    paths = [os.path.join(ROOT, ".clang-tidy")]
    for directory, _, files in os.walk(os.path.join(ROOT, "src")):
        paths.extend(os.path.join(directory, name) for name in files if name.endswith(".h"))
    for path in sorted(paths):
        digest.update(path.encode())
        with open(path, "rb") as source:
            digest.update(source.read())
    return digest.hexdigest()


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    build = os.path.abspath(argv[1])
    jobs = int(argv[2]) if len(argv) > 2 else os.cpu_count() or 1
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as commands:
        entries = [entry for entry in json.load(commands)
                   if entry["file"].startswith(os.path.join(ROOT, "src", "aliquot") + os.sep)]
    cache = os.path.join(build, "tidy-passed")
    os.makedirs(cache, exist_ok=True)
    shared = project_state()

    def stamp_of(entry):
        digest = hashlib.sha256(shared.encode())
        digest.update(entry.get("command", " ".join(entry.get("arguments", []))).encode())
        with open(entry["file"], "rb") as source:
            digest.update(source.read())
        return os.path.join(cache, digest.hexdigest())

    def check(entry):
        stamp = stamp_of(entry)
        if os.path.exists(stamp):
            return entry["file"], True, ""
        result = subprocess.run(["clang-tidy-14", "-quiet", "-p", build, entry["file"]],
                                capture_output=True, text=True, check=False)
        passed = result.returncode == 0
        if passed:
            open(stamp, "w", encoding="utf-8").close()
        return entry["file"], passed, result.stdout + result.stderr

    failed = 0
    checked = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for path, passed, output in pool.map(check, entries):
            checked += 1
            if not passed:
                failed += 1
                print(output)
                print("clang-tidy: %s has problems" % os.path.relpath(path, ROOT))
    if failed:
        print("clang-tidy: %d of %d files have problems" % (failed, checked))
        return 1
    print("clang-tidy: %d files clean" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
