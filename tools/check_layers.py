#!/usr/bin/env python3
"""Checks every #include under src/aliquot against the dependency rule (docs/architecture.md).

    core <- ledger <- domain <- app <- {storage/*, http, ingest, reports, cli} <- server
                                 app <- storage/sql <- {storage/sqlite, storage/postgres}

A file may include its own layer and the layers below it; adapters never include each other; each
third-party library is confined to the one layer that wraps it. storage/sql is not an adapter: it
is the SQL text both database engines share (no library, no I/O), so that a statement is written
once (docs/decisions/0004). Unit tests (*_test.cc) are small
composition roots and may include any layer, like server/. There is no list of exceptions.

Usage: check_layers.py SOURCE_ROOT     (exit 1 and one line per violation)
       check_layers.py --self-test     (proves the checker rejects an arrow against the rule)
"""
import os
import re
import sys
import tempfile

ORDER = ["core", "ledger", "domain", "app"]
ADAPTERS = ["storage/sqlite", "storage/postgres", "storage/files", "http", "ingest", "reports", "cli"]
# Shared by some adapters, below them and above app; never includes an adapter.
SHARED = {"storage/sql": ["storage/sqlite", "storage/postgres"]}

# Third-party headers and the one layer allowed to include each.
CONFINED = [
    (re.compile(r"^sqlite3\.h$"), "storage/sqlite"),
    (re.compile(r"^(libpq-fe|libpq/.*)\.h$"), "storage/postgres"),
    (re.compile(r"^microhttpd\.h$"), "http"),
    (re.compile(r"^mosquitto\.h$"), "ingest"),
    (re.compile(r"^hpdf.*\.h$"), "reports"),
    (re.compile(r"^CLI/"), "cli"),
    (re.compile(r"^(openssl/|sodium)"), "core"),
    (re.compile(r"^tl/expected\.hpp$"), "core"),
]
# domain/ is pure: no I/O, threads or storage from the standard library either.
DOMAIN_FORBIDDEN = re.compile(
    r"^(thread|mutex|shared_mutex|condition_variable|future|atomic|fstream|iostream|cstdio|"
    r"filesystem|chrono|random|unistd\.h|fcntl\.h)$")

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of(relative):
    """The layer of a path relative to src/aliquot: 'core', 'domain', 'storage/sqlite', ..."""
    parts = relative.split("/")
    if parts[0] == "storage" and len(parts) > 2:
        return "storage/" + parts[1]
    return parts[0]


def allowed_layers(layer):
    if layer == "server":
        return set(ORDER) | set(ADAPTERS) | {"server"}
    if layer in ORDER:
        return set(ORDER[: ORDER.index(layer) + 1])
    if layer in SHARED:
        return set(ORDER) | {layer}
    if layer in ADAPTERS:
        return set(ORDER) | {layer} | {shared for shared, users in SHARED.items() if layer in users}
    return None


def check_file(root, relative):
    problems = []
    layer = layer_of(relative)
    allowed = allowed_layers(layer)
    if allowed is None:
        return ["%s: '%s' is not a layer of docs/architecture.md" % (relative, layer)]
    is_test = relative.endswith("_test.cc")
    with open(os.path.join(root, relative), encoding="utf-8") as source:
        for number, line in enumerate(source, 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            quote, target = match.groups()
            where = "%s:%d" % (relative, number)
            if quote == '"':
                if not target.startswith("aliquot/"):
                    if not target.startswith("tests/"):
                        problems.append('%s: includes "%s": write includes from the src root as '
                                        '"aliquot/<layer>/..."' % (where, target))
                    continue
                target_layer = layer_of(target[len("aliquot/"):])
                if not is_test and target_layer not in allowed:
                    problems.append("%s: %s includes %s (%s): against the dependency rule"
                                    % (where, layer, target_layer, target))
                continue
            for pattern, owner in CONFINED:
                if pattern.search(target) and layer != owner and not (is_test and layer != "domain"):
                    problems.append("%s: <%s> belongs to %s only; %s must go through its port"
                                    % (where, target, owner, layer))
            if layer == "domain" and DOMAIN_FORBIDDEN.match(target) and not is_test:
                problems.append("%s: domain/ is pure (no I/O, threads or clocks) but includes <%s>"
                                % (where, target))
    return problems


def check_tree(src_root):
    problems = []
    base = os.path.join(src_root, "src", "aliquot")
    for directory, _, files in os.walk(base):
        for name in sorted(files):
            if name.endswith((".h", ".cc")):
                relative = os.path.relpath(os.path.join(directory, name), base)
                problems.extend(check_file(base, relative))
    return problems


def self_test():
    """A tree with one arrow against the rule (and one with none) must be told apart."""
    with tempfile.TemporaryDirectory() as root:
        def write(relative, text):
            path = os.path.join(root, "src", "aliquot", relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
        write("core/a.h", "#include <string>\n")
        write("ledger/b.h", '#include "aliquot/core/a.h"\n')
        write("storage/sqlite/s.cc", "#include <sqlite3.h>\n#include \"aliquot/app/x.h\"\n"
              "#include \"aliquot/storage/sql/q.h\"\n")
        if check_tree(root):
            print("self-test: a clean tree was rejected: %s" % check_tree(root))
            return 1
        cases = {
            "core/bad.h": '#include "aliquot/ledger/b.h"\n',
            "http/bad.cc": '#include "aliquot/storage/sqlite/s.h"\n',
            "app/bad.cc": "#include <sqlite3.h>\n",
            "domain/batches/bad.cc": "#include <fstream>\n",
            "http/shared.cc": '#include "aliquot/storage/sql/q.h"\n',
            "storage/sql/bad.cc": '#include "aliquot/storage/sqlite/s.h"\n',
            "storage/sql/lib.cc": "#include <libpq-fe.h>\n",
        }
        for relative, text in cases.items():
            write(relative, text)
            if not check_tree(root):
                print("self-test: %s was not rejected" % relative)
                return 1
            os.remove(os.path.join(root, "src", "aliquot", relative))
    print("self-test: every arrow against the rule was rejected")
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        return self_test()
    if len(argv) != 2:
        print(__doc__)
        return 2
    problems = check_tree(argv[1])
    for problem in problems:
        print(problem)
    if problems:
        print("%d include(s) against the dependency rule (docs/architecture.md)" % len(problems))
        return 1
    print("all includes follow the dependency rule")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
