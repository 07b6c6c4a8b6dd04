#!/usr/bin/env python3
"""Stand-alone verifier for an Aliquot ledger export or inclusion proof.

The format is specified in docs/ledger-format.md. Only the Python 3.11 standard library is used,
so an inspector can read this file, run it, and rely on none of Aliquot's own code.

    python3 tools/verify_ledger.py EXPORT_DIR [--public-key HEX] [--checkpoint FILE]
    python3 tools/verify_ledger.py --proof FILE [--public-key HEX]

Prints "OK: ..." and exits 0, or prints "FAIL: <where>: <what>" for the first problem found and
exits 1. Usage errors exit 2.
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import re
import sys

class Invalid(Exception):
    """The first problem found; its text is "<where>: <what>"."""

def fail(where, what):
    raise Invalid(f"{where}: {what}")

def check(condition, where, what):
    if not condition:
        fail(where, what)

def sha256(data):
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------------------------------------
# RFC 8785 JSON Canonicalization Scheme (JCS)

def parse_json(data, where):
    """Parses UTF-8 JSON, rejecting duplicate member names (RFC 8785 section 3.1: I-JSON)."""
    def no_duplicates(pairs):
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            raise ValueError("duplicate member name")
        return dict(pairs)

    try:  # NaN and Infinity parse, but canonical() rejects them
        return json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (ValueError, RecursionError) as error:  # ValueError includes UnicodeDecodeError
        fail(where, f"not valid JSON: {error}")

def format_number(value):
    """RFC 8785 section 3.2.2.3: ECMAScript Number::toString. A JSON integer denotes the
    IEEE 754 double nearest to it, so Python ints are converted first."""
    x = float(value)  # OverflowError beyond the largest double
    if not math.isfinite(x):
        raise ValueError("NaN and Infinity are not allowed")
    if x == 0:
        return "0"  # also for -0
    # repr() gives the shortest digits that round-trip, which ECMAScript also requires.
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    n = len(whole) + int(exponent or "0") - (len(whole + fraction) - len(digits))
    s = digits.rstrip("0")  # now abs(x) = 0.s * 10**n; s has k digits, as in ECMA-262
    k = len(s)
    if k <= n <= 21:
        text = s + "0" * (n - k)
    elif 0 < n <= 21:
        text = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + s
    else:
        e = n - 1
        text = (s if k == 1 else s[0] + "." + s[1:]) + "e" + ("+" if e > 0 else "-") + str(abs(e))
    return ("-" if x < 0 else "") + text

# RFC 8785 section 3.2.2.2: these characters have short escapes; other characters below U+0020
# are written \u00xx with lower-case hex; all other characters are written as themselves.
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
                 "\r": "\\r"}

def format_string(text):
    out = []
    for ch in text:
        if ch in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'

def canonical(value):
    """The RFC 8785 canonical text of a parsed JSON value; ValueError if it has none."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        try:
            return format_number(value)
        except OverflowError:
            raise ValueError(f"number {value} is beyond the range of a double") from None
    if isinstance(value, str):
        return format_string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(item) for item in value) + "]"
    if isinstance(value, dict):
        # Section 3.2.3: members sorted by the UTF-16 code units of their names. Big-endian
        # UTF-16 bytes compare exactly as the code-unit sequences do.
        names = sorted(value, key=lambda name: name.encode("utf-16-be"))
        return "{" + ",".join(format_string(n) + ":" + canonical(value[n]) for n in names) + "}"
    raise ValueError(f"not a JSON value: {value!r}")

def canonical_bytes(value, where="JSON"):
    """The canonical text in UTF-8 (a string with a lone surrogate has no UTF-8 and fails)."""
    try:
        return canonical(value).encode("utf-8")
    except (ValueError, RecursionError) as error:  # ValueError includes UnicodeEncodeError
        fail(where, f"has no canonical form: {error}")

def parse_canonical(line, where):
    """Parses JSON that must already be canonical, byte for byte."""
    value = parse_json(line, where)
    check(canonical_bytes(value, where) == line, where,
          "not canonical (RFC 8785): re-canonicalising the JSON changes its bytes")
    return value


# ---------------------------------------------------------------------------------------------
# Ed25519 signature verification, RFC 8032 section 5.1, with Python integers

P = 2**255 - 19                                        # the field prime p
L = 2**252 + 27742317777372353535851937790883648493    # the order of the base point
D = -121665 * pow(121666, -1, P) % P                   # the curve constant d
SQRT_M1 = pow(2, (P - 1) // 4, P)                      # a square root of -1 mod p

def point_add(p, q):
    """Section 5.1.4: addition in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z.
    The formula is complete, so it also doubles (as in the RFC's section 6 code)."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a, b = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    c, d = t1 * 2 * D * t2 % P, z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)

def point_mul(scalar, point):
    """[scalar]point by double-and-add."""
    result = (0, 1, 1, 0)  # the neutral element
    while scalar > 0:
        if scalar & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        scalar >>= 1
    return result

def point_compress(point):
    """Section 5.1.2: y in 32 little-endian bytes, with the low bit of x in the top bit."""
    x, y, z, _ = point
    z_inv = pow(z, P - 2, P)
    x, y = x * z_inv % P, y * z_inv % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")

def point_decompress(data):
    """Section 5.1.3; None if the 32 bytes do not encode a point."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    x_0, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:                                          # step 1
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P         # step 2: x^2 = u/v
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P != 0:                        # step 3
        x = x * SQRT_M1 % P
        if (v * x * x - u) % P != 0:
            return None
    if x == 0 and x_0 == 1:                             # step 4
        return None
    if x & 1 != x_0:
        x = P - x
    return (x, y, 1, x * y % P)

BASE = point_decompress((4 * pow(5, -1, P) % P).to_bytes(32, "little"))  # B: y = 4/5, x even

def ed25519_verify(public_key, message, signature):
    """Section 5.1.7, cofactorless: S < L and [S]B == R + [k]A, compared as encodings."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = point_decompress(public_key), point_decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little")
    return point_compress(point_mul(s, BASE)) == point_compress(point_add(r, point_mul(k % L, a)))


# ---------------------------------------------------------------------------------------------
# RFC 9162 section 2.1 Merkle tree

def leaf_hash(data):
    return sha256(b"\x00" + data)

def node_hash(left, right):
    return sha256(b"\x01" + left + right)

EMPTY_ROOT = sha256(b"")

class MerkleFrontier:
    """The roots of the perfect subtrees along the tree's right edge, largest (leftmost) first.
    Appending a leaf and computing the current root need no other leaves."""

    def __init__(self):
        self.size = 0
        self.peaks = []  # (number of leaves, subtree root)

    def append(self, leaf):
        self.size += 1
        self.peaks.append((1, leaf))
        while len(self.peaks) >= 2 and self.peaks[-1][0] == self.peaks[-2][0]:
            (count, right), (_, left) = self.peaks.pop(), self.peaks.pop()
            self.peaks.append((2 * count, node_hash(left, right)))

    def root(self):
        """MTH of section 2.1.1: splitting at the largest power of two below n means joining
        the peaks from the right."""
        if not self.peaks:
            return EMPTY_ROOT
        root = self.peaks[-1][1]
        for _, peak in reversed(self.peaks[:-1]):
            root = node_hash(peak, root)
        return root

def merkle_root(leaves):
    frontier = MerkleFrontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()

def verify_inclusion(index, tree_size, leaf, audit_path, root):
    """Section 2.1.3.2, step by step."""
    if index >= tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in audit_path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


# ---------------------------------------------------------------------------------------------
# The records' fields (docs/ledger-format.md). A kind is (test, description).

def is_time(value):
    if not (isinstance(value, str) and TIME_PATTERN.fullmatch(value)):
        return False
    try:
        datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")  # a real date and time
        return True
    except ValueError:
        return False

def hex_digits(n):
    return (lambda v: isinstance(v, str) and re.fullmatch(f"[0-9a-f]{{{n}}}", v) is not None,
            f"{n} lower-case hex digits")

def integer(minimum):
    return (lambda v: type(v) is int and minimum <= v <= 2**53 - 1,
            f"an integer from {minimum} to 2^53-1")

def constant(c):
    return (lambda v: type(v) is type(c) and v == c, json.dumps(c))

TIME_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
TIME = (is_time, 'a UTC time "YYYY-MM-DDTHH:MM:SS.ffffffZ"')
STRING = (lambda v: isinstance(v, str), "a string")
HASH = hex_digits(64)
EVENT = {"actor": {"id": STRING, "name": STRING},
         "event_type": STRING,
         "format": constant(1),
         "hash": HASH,
         "payload": (lambda v: isinstance(v, dict), "a JSON object"),
         "prev_hash": HASH,
         "reason": (lambda v: v is None or isinstance(v, str), "a string or null"),
         "seq": integer(1),
         "stream": {"id": STRING, "type": STRING},
         "terminal": STRING,
         "time": TIME}
CHECKPOINT = {"key_id": HASH, "root_hash": HASH, "signature": hex_digits(128), "time": TIME,
              "tree_size": integer(0)}
PUBLIC_KEY = {"algorithm": constant("ed25519"), "key_id": HASH, "public_key": HASH}
MANIFEST = {"checkpoints": integer(0), "events": integer(0), "exported_at": TIME,
            "files": {"checkpoints.jsonl": HASH, "events.jsonl": HASH, "public_key.json": HASH},
            "format": constant("aliquot-ledger-export/1"), "head_hash": HASH, "root_hash": HASH,
            "tree_size": integer(0)}
PROOF = {"audit_path": (lambda v: isinstance(v, list) and all(HASH[0](h) for h in v),
                        "a list of hashes of 64 lower-case hex digits"),
         "checkpoint": CHECKPOINT, "event": EVENT, "format": constant("aliquot-inclusion-proof/1"),
         "leaf_index": integer(0), "public_key": PUBLIC_KEY}
CHECKPOINT_CONTEXT = b"aliquot-checkpoint-v1\n"  # prefixed to the signed checkpoint content

def check_fields(obj, schema, where):
    """obj must be a JSON object with exactly the members of the schema, each of its kind."""
    check(isinstance(obj, dict), where, "not a JSON object")
    missing, extra = sorted(schema.keys() - obj.keys()), sorted(obj.keys() - schema.keys())
    check(not missing, where, "missing member(s) " + ", ".join(missing))
    check(not extra, where, "unexpected member(s) " + ", ".join(extra))
    for name, kind in schema.items():
        if isinstance(kind, dict):
            check_fields(obj[name], kind, f"{where}: {name}")
        else:
            check(kind[0](obj[name]), where, f"{name} must be {kind[1]}")

def event_hash(event):
    """Content C = the canonical JSON of the event without "hash"; hash = SHA-256(0x00 || C),
    the RFC 9162 leaf hash of C."""
    return leaf_hash(canonical_bytes({k: v for k, v in event.items() if k != "hash"})).hex()

def check_public_key(key, where, pinned):
    check_fields(key, PUBLIC_KEY, where)
    raw = bytes.fromhex(key["public_key"])
    check(sha256(raw).hex() == key["key_id"], where, "key_id is not the SHA-256 of the key")
    check(point_decompress(raw) is not None, where, "public_key is not an Ed25519 point")
    check(pinned is None or key["public_key"] == pinned, where,
          f"public key {key['public_key']} is not the pinned key {pinned}")

def check_signature(checkpoint, key, where):
    """The checkpoint's key id and Ed25519 signature over CHECKPOINT_CONTEXT || canonical JSON
    of the checkpoint without "signature"."""
    check(checkpoint["key_id"] == key["key_id"], where,
          f"signed by key {checkpoint['key_id']}, not by key {key['key_id']}")
    signed = {k: v for k, v in checkpoint.items() if k != "signature"}
    check(ed25519_verify(bytes.fromhex(key["public_key"]),
                         CHECKPOINT_CONTEXT + canonical_bytes(signed, where),
                         bytes.fromhex(checkpoint["signature"])),
          where, "signature does not verify")


# ---------------------------------------------------------------------------------------------
# The export folder

def read_bytes(path, where):
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        fail(where, f"cannot read {path}: {error.strerror}")

def read_lines(folder, name):
    """The file's lines; each line, the last included, ends with "\\n"."""
    data = read_bytes(os.path.join(folder, name), name)
    check(not data or data.endswith(b"\n"), name, "the last line does not end with a newline")
    return data.split(b"\n")[:-1]

def read_object(folder, name, schema):
    lines = read_lines(folder, name)
    check(len(lines) == 1, name, "must hold exactly one line")
    obj = parse_canonical(lines[0], name)
    check_fields(obj, schema, name)
    return obj

def check_events(folder):
    """Every line of events.jsonl, in order; returns the event hashes."""
    hashes, previous = [], None
    for number, line in enumerate(read_lines(folder, "events.jsonl"), start=1):
        where = f"events.jsonl line {number}"
        event = parse_canonical(line, where)
        check_fields(event, EVENT, where)
        why = "missing" if event["seq"] > number else "duplicated"
        check(event["seq"] == number, where, f"seq {number} expected, found {event['seq']} "
                                             f"(an event is {why} or out of order)")
        where = f"event seq {number}"
        if previous is None:
            check(event["prev_hash"] == "0" * 64, where, "prev_hash of seq 1 must be 64 zeros")
        else:
            check(event["prev_hash"] == previous["hash"], where,
                  f"prev_hash does not match the hash of seq {number - 1}")
        check(event_hash(event) == event["hash"], where, "hash does not match the event's content")
        check(previous is None or event["time"] >= previous["time"], where,
              f"time {event['time']} is earlier than that of seq {number - 1}")
        hashes.append(bytes.fromhex(event["hash"]))
        previous = event
    return hashes

def check_checkpoints(folder, key, hashes):
    """Every line of checkpoints.jsonl, with one pass of a Merkle frontier over the event
    hashes; returns the number of checkpoints."""
    frontier, previous, lines = MerkleFrontier(), None, read_lines(folder, "checkpoints.jsonl")
    for number, line in enumerate(lines, start=1):
        checkpoint = parse_canonical(line, f"checkpoints.jsonl line {number}")
        check_fields(checkpoint, CHECKPOINT, f"checkpoints.jsonl line {number}")
        size = checkpoint["tree_size"]
        where = f"checkpoint {number} (tree size {size})"
        check_signature(checkpoint, key, where)
        check(previous is None or size > previous["tree_size"], where,
              f"tree_size is not larger than that of checkpoint {number - 1}")
        check(size <= len(hashes), where, f"covers {size} events but the export holds "
                                          f"{len(hashes)}")
        check(previous is None or checkpoint["time"] >= previous["time"], where,
              f"time is earlier than that of checkpoint {number - 1}")
        while frontier.size < size:
            frontier.append(hashes[frontier.size])
        check(frontier.root().hex() == checkpoint["root_hash"], where,
              f"root_hash does not match the Merkle root of events 1 to {size}")
        previous = checkpoint
    check(previous is not None, "checkpoints.jsonl", "no checkpoint: nothing is signed")
    check(previous["tree_size"] == len(hashes), "checkpoints.jsonl",
          f"the last checkpoint covers {previous['tree_size']} events but the export holds "
          f"{len(hashes)}: the rest are not signed")
    return len(lines)

def check_trusted_checkpoint(path, key, hashes):
    """A checkpoint the auditor kept from earlier; any JSON formatting is accepted."""
    where = "trusted checkpoint"
    checkpoint = parse_json(read_bytes(path, where), where)
    check_fields(checkpoint, CHECKPOINT, where)
    check_signature(checkpoint, key, where)
    size = checkpoint["tree_size"]
    check(size <= len(hashes), where, f"covers {size} events but the export holds "
                                      f"{len(hashes)}: the ledger was truncated")
    check(merkle_root(hashes[:size]).hex() == checkpoint["root_hash"], f"{where} (tree size "
          f"{size})", "root_hash differs from the export's Merkle root at that size: the ledger "
          "was rewritten or rolled back")
    return size

def verify_export(folder, pinned=None, trusted_path=None):
    manifest = read_object(folder, "manifest.json", MANIFEST)
    for name, expected in manifest["files"].items():
        check(sha256(read_bytes(os.path.join(folder, name), name)).hex() == expected,
              "manifest.json", f"the SHA-256 of {name} does not match files.{name}")
    key = read_object(folder, "public_key.json", PUBLIC_KEY)
    check_public_key(key, "public_key.json", pinned)
    hashes = check_events(folder)
    checkpoints = check_checkpoints(folder, key, hashes)
    n, root = len(hashes), merkle_root(hashes).hex()
    head = hashes[-1].hex() if hashes else EMPTY_ROOT.hex()
    for name, value in (("events", n), ("checkpoints", checkpoints), ("tree_size", n),
                        ("head_hash", head), ("root_hash", root)):
        check(manifest[name] == value, "manifest.json",
              f"{name} is {manifest[name]} but the export gives {value}")
    summary = f"OK: {n} events, {checkpoints} checkpoints, root {root} at size {n}, " \
              f"key {key['key_id']}"
    if trusted_path is not None:
        size = check_trusted_checkpoint(trusted_path, key, hashes)
        summary += f"; trusted checkpoint at size {size} matches"
    return summary


# ---------------------------------------------------------------------------------------------
# An inclusion proof (aliquot proof <seq>)

def verify_proof(path, pinned=None):
    proof = parse_json(read_bytes(path, "proof"), "proof")
    check_fields(proof, PROOF, "proof")
    key, event, checkpoint = proof["public_key"], proof["event"], proof["checkpoint"]
    check_public_key(key, "proof: public_key", pinned)
    where = f"proof: event seq {event['seq']}"
    check(event_hash(event) == event["hash"], where, "hash does not match the event's content")
    check(proof["leaf_index"] == event["seq"] - 1, "proof", "leaf_index is not the event's seq - 1")
    check_signature(checkpoint, key, "proof: checkpoint")
    check(proof["leaf_index"] < checkpoint["tree_size"], "proof",
          "leaf_index is not below the checkpoint's tree_size")
    check(verify_inclusion(proof["leaf_index"], checkpoint["tree_size"],
                           bytes.fromhex(event["hash"]),
                           [bytes.fromhex(h) for h in proof["audit_path"]],
                           bytes.fromhex(checkpoint["root_hash"])),
          "proof: audit_path", f"does not lead from event seq {event['seq']} to the root of the "
                               f"checkpoint at tree size {checkpoint['tree_size']}")
    return f"OK: event seq {event['seq']} (hash {event['hash']}) is included in the tree of " \
           f"size {checkpoint['tree_size']}, root {checkpoint['root_hash']}, key {key['key_id']}"

def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Verify an Aliquot ledger export or inclusion proof (docs/ledger-format.md).")
    parser.add_argument("export_dir", nargs="?", metavar="EXPORT_DIR")
    parser.add_argument("--proof", metavar="FILE", help="verify an inclusion proof instead")
    parser.add_argument("--public-key", metavar="HEX",
                        help="the server's public key, obtained out of band, to pin")
    parser.add_argument("--checkpoint", metavar="FILE",
                        help="a checkpoint kept from earlier: detects truncation and rollback")
    args = parser.parse_args(argv)
    if (args.export_dir is None) == (args.proof is None):
        parser.error("give either EXPORT_DIR or --proof FILE")
    if args.proof is not None and args.checkpoint is not None:
        parser.error("--checkpoint applies to an export, not to --proof")
    pinned = None if args.public_key is None else args.public_key.lower()
    if pinned is not None and not re.fullmatch("[0-9a-f]{64}", pinned):
        parser.error("--public-key must be 64 hex digits")
    if args.export_dir is not None and not os.path.isdir(args.export_dir):
        parser.error(f"{args.export_dir} is not a directory")
    try:
        if args.proof is not None:
            print(verify_proof(args.proof, pinned))
        else:
            print(verify_export(args.export_dir, pinned, args.checkpoint))
    except Invalid as error:
        print(f"FAIL: {error}")
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
