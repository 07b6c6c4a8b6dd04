"""Tests for tools/verify_ledger.py. Run from the repository root:

    python3 -m unittest tools/verify_ledger_test.py -v

Standard library only. The synthetic export writer and the Ed25519 signer live here, not in the
verifier, so that the verifier stays a verifier.
"""
import contextlib
import copy
import hashlib
import io
import json
import os
import struct
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_ledger as v  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Ed25519 key generation and signing, RFC 8032 sections 5.1.5 and 5.1.6 (test side only)

def expand_secret(secret):
    digest = hashlib.sha512(secret).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar = (scalar & ((1 << 254) - 8)) | (1 << 254)  # clear bits 0-2 and 255, set bit 254
    return scalar, digest[32:]


def ed25519_public_key(secret):
    return v.point_compress(v.point_mul(expand_secret(secret)[0], v.BASE))


def ed25519_sign(secret, message):
    scalar, prefix = expand_secret(secret)
    public = v.point_compress(v.point_mul(scalar, v.BASE))
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % v.L
    r_bytes = v.point_compress(v.point_mul(r, v.BASE))
    k = int.from_bytes(hashlib.sha512(r_bytes + public + message).digest(), "little") % v.L
    return r_bytes + ((r + k * scalar) % v.L).to_bytes(32, "little")


# RFC 8032 section 7.1, TEST 1 to TEST 3: secret key, public key, message, signature.
RFC8032_VECTORS = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"),
]


class Ed25519Test(unittest.TestCase):
    def test_rfc8032_vectors_verify(self):
        for _, public, message, signature in RFC8032_VECTORS:
            with self.subTest(public=public):
                self.assertTrue(v.ed25519_verify(bytes.fromhex(public), bytes.fromhex(message),
                                                 bytes.fromhex(signature)))

    def test_flipped_bits_fail(self):
        for _, public, message, signature in RFC8032_VECTORS:
            key, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
            for index in (0, 31, 32, 63):  # in R and in S
                bad = bytearray(sig)
                bad[index] ^= 0x01
                self.assertFalse(v.ed25519_verify(key, msg, bytes(bad)))
            self.assertFalse(v.ed25519_verify(key, msg + b"\x00", sig))
            bad_key = bytearray(key)
            bad_key[0] ^= 0x01
            self.assertFalse(v.ed25519_verify(bytes(bad_key), msg, sig))

    def test_non_canonical_s_is_rejected(self):
        # S + L satisfies the group equation too; RFC 8032 5.1.7 requires S < L.
        _, public, message, signature = RFC8032_VECTORS[0]
        sig = bytes.fromhex(signature)
        s = int.from_bytes(sig[32:], "little") + v.L
        self.assertFalse(v.ed25519_verify(bytes.fromhex(public), bytes.fromhex(message),
                                          sig[:32] + s.to_bytes(32, "little")))

    def test_invalid_encodings_are_rejected(self):
        self.assertIsNone(v.point_decompress((v.P + 1).to_bytes(32, "little")))  # y >= p
        self.assertIsNone(v.point_decompress((2).to_bytes(32, "little")))  # x^2 not a square
        self.assertIsNone(v.point_decompress((1 | 1 << 255).to_bytes(32, "little")))  # -0

    def test_test_signer_reproduces_rfc8032(self):
        # The signer used for the synthetic exports below is itself checked against the RFC.
        for secret, public, message, signature in RFC8032_VECTORS:
            self.assertEqual(ed25519_public_key(bytes.fromhex(secret)).hex(), public)
            self.assertEqual(ed25519_sign(bytes.fromhex(secret), bytes.fromhex(message)).hex(),
                             signature)


# ---------------------------------------------------------------------------------------------
# RFC 8785 canonical JSON

def canonicalise(text):
    return v.canonical_bytes(v.parse_json(text.encode("utf-8"), "test")).decode("utf-8")


class CanonicalJsonTest(unittest.TestCase):
    def test_rfc8785_section_3_2_2_sample(self):
        source = r'''{
          "numbers": [333333333.33333329, 1E30, 4.50,
                      2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }'''
        expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,'
                    '1e-27],"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
        self.assertEqual(canonicalise(source), expected)

    def test_rfc8785_section_3_2_3_sorting(self):
        source = r'''{"\u20ac": "Euro Sign", "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"}'''
        names = list(json.loads(canonicalise(source)))
        self.assertEqual(names, ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"])

    def test_numbers(self):
        cases = [("5e-324", "5e-324"), ("1e21", "1e+21"), ("1e22", "1e+22"),
                 ("9.999999999999997e+22", "9.999999999999997e+22"), ("0.000001", "0.000001"),
                 ("9.999999999999997e-7", "9.999999999999997e-7"), ("1e-7", "1e-7"),
                 ("333333333.3333333", "333333333.3333333"), ("-0", "0"), ("-0.0", "0"),
                 ("100000000000000000000", "100000000000000000000"), ("4.50", "4.5"),
                 ("9007199254740993", "9007199254740992"), ("-1.5E-10", "-1.5e-10")]
        for source, expected in cases:
            with self.subTest(source=source):
                self.assertEqual(canonicalise(source), expected)

    def test_rfc8785_appendix_b(self):
        vectors = [("0000000000000000", "0"), ("8000000000000000", "0"),
                   ("0000000000000001", "5e-324"), ("8000000000000001", "-5e-324"),
                   ("7fefffffffffffff", "1.7976931348623157e+308"),
                   ("4340000000000000", "9007199254740992"),
                   ("4430000000000000", "295147905179352830000"),
                   ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
                   ("444b1ae4d6e2ef4f", "999999999999999900000"), ("444b1ae4d6e2ef50", "1e+21"),
                   ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
                   ("3eb0c6f7a0b5ed8d", "0.000001"),
                   ("41b3de4355555555", "333333333.3333333"),
                   ("41b3de4355555557", "333333333.33333343"),
                   ("becbf647612f3696", "-0.0000033333333333333333"),
                   ("43143ff3c1cb0959", "1424953923781206.2")]
        for bits, expected in vectors:
            with self.subTest(bits=bits):
                value = struct.unpack(">d", bytes.fromhex(bits))[0]
                self.assertEqual(v.canonical(value), expected)

    def test_string_escapes(self):
        self.assertEqual(canonicalise(r'"\u0000\u001F\u007f\b\t\n\f\r\"\\\/\u00e9\u2028"'),
                         '"\\u0000\\u001f\u007f\\b\\t\\n\\f\\r\\"\\\\/\u00e9\u2028"')

    def test_rejections(self):
        for source in ('{"a":1,"a":2}', '"\\ud800"', "NaN", "[Infinity]", "1e400", "{", "\ufeff{}"):
            with self.subTest(source=source), self.assertRaises(v.Invalid):
                canonicalise(source)
        with self.assertRaises(v.Invalid):
            v.parse_json(b"\xff", "test")

    def test_parse_canonical_wants_exact_bytes(self):
        self.assertEqual(v.parse_canonical(b'{"a":[1,2],"b":null}', "x"), {"a": [1, 2], "b": None})
        for line in (b'{"b":null,"a":[1,2]}', b'{"a": [1,2],"b":null}', b'{"a":[1.0,2],"b":null}',
                     b'{"a":"\\u0041"}', b'{"a":1} '):
            with self.subTest(line=line), self.assertRaisesRegex(v.Invalid, "not canonical"):
                v.parse_canonical(line, "x")


# ---------------------------------------------------------------------------------------------
# RFC 9162 Merkle tree

def naive_root(leaves):
    """MTH, RFC 9162 section 2.1.1, by the recursive definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)  # the largest power of two below n
    return v.node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


def naive_path(m, leaves):
    """PATH(m, D[n]), RFC 9162 section 2.1.3.1."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return naive_path(m, leaves[:k]) + [naive_root(leaves[k:])]
    return naive_path(m - k, leaves[k:]) + [naive_root(leaves[:k])]


def sample_leaves(n):
    return [v.leaf_hash(f"leaf {i}".encode()) for i in range(n)]


class MerkleTest(unittest.TestCase):
    def test_frontier_matches_recursive_definition(self):
        leaves, frontier = sample_leaves(20), v.MerkleFrontier()
        self.assertEqual(frontier.root(), hashlib.sha256(b"").digest())
        for n in range(0, 21):
            with self.subTest(size=n):
                self.assertEqual(frontier.root(), naive_root(leaves[:n]))
                self.assertEqual(v.merkle_root(leaves[:n]), naive_root(leaves[:n]))
            if n < 20:
                frontier.append(leaves[n])

    def test_leaf_and_node_prefixes(self):
        self.assertEqual(v.leaf_hash(b"x"), hashlib.sha256(b"\x00x").digest())
        a, b = b"a" * 32, b"b" * 32
        self.assertEqual(v.node_hash(a, b), hashlib.sha256(b"\x01" + a + b).digest())

    def test_inclusion_proofs(self):
        leaves = sample_leaves(13)
        for n in range(1, 14):
            root = naive_root(leaves[:n])
            for m in range(n):
                path = naive_path(m, leaves[:n])
                with self.subTest(size=n, index=m):
                    self.assertTrue(v.verify_inclusion(m, n, leaves[m], path, root))
                    self.assertFalse(v.verify_inclusion(m, n, leaves[(m + 1) % 13], path, root))
                    self.assertFalse(v.verify_inclusion(m, n, leaves[m], path + [root], root))
                    if path:
                        self.assertFalse(v.verify_inclusion(m, n, leaves[m], path[:-1], root))
            self.assertFalse(v.verify_inclusion(n, n, leaves[0], [], root))


# ---------------------------------------------------------------------------------------------
# A synthetic export, written the way docs/ledger-format.md says

SECRET = hashlib.sha256(b"aliquot verify_ledger_test key").digest()  # deterministic test key
OTHER_SECRET = hashlib.sha256(b"someone else's key").digest()


def public_key_object(secret):
    raw = ed25519_public_key(secret)
    return {"algorithm": "ed25519", "key_id": hashlib.sha256(raw).hexdigest(),
            "public_key": raw.hex()}


def make_events(count):
    events, previous = [], "0" * 64
    for seq in range(1, count + 1):
        event = {"actor": {"id": "system", "name": "Aliquot server"} if seq == 1
                 else {"id": "u-0042", "name": "Dr. Anna Müller"},
                 "event_type": "system.initialised" if seq == 1 else "batch.material_weighed",
                 "format": 1, "payload": {"lot": f"L-{seq:03d}", "mass_g": seq * 2.5,
                                          "note": "Lösung \u20ac \"klar\"\n", "ok": True},
                 "prev_hash": previous, "reason": "typo in lot" if seq % 4 == 0 else None,
                 "seq": seq, "stream": {"id": "B-2026-0001", "type": "batch"},
                 "terminal": "WS-07",
                 "time": f"2026-03-02T09:{seq // 60:02d}:{seq % 60:02d}.123456Z"}
        event["hash"] = v.event_hash(event)
        previous = event["hash"]
        events.append(event)
    return events


def rechain(events, start):
    """What someone rewriting history does: recompute every hash from index start on."""
    for index in range(start, len(events)):
        events[index]["prev_hash"] = events[index - 1]["hash"] if index else "0" * 64
        events[index]["hash"] = v.event_hash(events[index])


def make_checkpoint(events, size, secret=SECRET):
    root = v.merkle_root([bytes.fromhex(e["hash"]) for e in events[:size]])
    checkpoint = {"key_id": public_key_object(secret)["key_id"], "root_hash": root.hex(),
                  "time": f"2026-03-02T10:{size // 60:02d}:{size % 60:02d}.000000Z",
                  "tree_size": size}
    message = v.CHECKPOINT_CONTEXT + v.canonical_bytes(checkpoint)
    checkpoint["signature"] = ed25519_sign(secret, message).hex()
    return checkpoint


def jsonl(objects):
    return b"".join(v.canonical_bytes(obj) + b"\n" for obj in objects)


def write_manifest(folder):
    """Writes manifest.json for whatever the other files now hold, as a tamperer would."""
    files = {}
    for name in ("checkpoints.jsonl", "events.jsonl", "public_key.json"):
        with open(os.path.join(folder, name), "rb") as file:
            files[name] = file.read()
    lines = files["events.jsonl"].splitlines()
    hashes = [bytes.fromhex(json.loads(line)["hash"]) for line in lines]
    manifest = {"checkpoints": len(files["checkpoints.jsonl"].splitlines()), "events": len(hashes),
                "exported_at": "2026-03-02T11:00:00.000000Z",
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
                "format": "aliquot-ledger-export/1",
                "head_hash": (hashes[-1] if hashes else hashlib.sha256(b"").digest()).hex(),
                "root_hash": v.merkle_root(hashes).hex(), "tree_size": len(hashes)}
    with open(os.path.join(folder, "manifest.json"), "wb") as file:
        file.write(jsonl([manifest]))


def write_export(folder, events, checkpoints, secret=SECRET):
    for name, data in (("events.jsonl", jsonl(events)), ("checkpoints.jsonl", jsonl(checkpoints)),
                       ("public_key.json", jsonl([public_key_object(secret)]))):
        with open(os.path.join(folder, name), "wb") as file:
            file.write(data)
    write_manifest(folder)


class ExportTest(unittest.TestCase):
    SIZES = (3, 8, 12)

    def setUp(self):
        temporary = tempfile.TemporaryDirectory()
        self.addCleanup(temporary.cleanup)
        self.outside = temporary.name  # where the auditor keeps a checkpoint
        self.folder = os.path.join(temporary.name, "export")
        os.mkdir(self.folder)
        self.events = make_events(12)
        self.checkpoints = [make_checkpoint(self.events, size) for size in self.SIZES]
        write_export(self.folder, self.events, self.checkpoints)

    def edit_lines(self, name, edit):
        path = os.path.join(self.folder, name)
        with open(path, "rb") as file:
            lines = file.read().split(b"\n")[:-1]
        with open(path, "wb") as file:
            file.write(b"".join(line + b"\n" for line in edit(lines)))
        write_manifest(self.folder)

    def trusted(self, checkpoint):
        path = os.path.join(self.outside, "trusted.json")  # pretty-printed, as a person saves it
        with open(path, "w", encoding="utf-8") as file:
            json.dump(checkpoint, file, indent=2)
        return path

    def assertFails(self, message, **kwargs):
        with self.assertRaises(v.Invalid) as raised:
            v.verify_export(self.folder, **kwargs)
        self.assertIn(message, str(raised.exception))

    def test_accepts_a_good_export(self):
        key = public_key_object(SECRET)
        root = v.merkle_root([bytes.fromhex(e["hash"]) for e in self.events]).hex()
        self.assertEqual(v.verify_export(self.folder), f"OK: 12 events, 3 checkpoints, root "
                                                       f"{root} at size 12, key {key['key_id']}")
        self.assertTrue(v.verify_export(self.folder, pinned=key["public_key"]).startswith("OK"))
        for checkpoint in self.checkpoints:
            summary = v.verify_export(self.folder, trusted_path=self.trusted(checkpoint))
            self.assertTrue(summary.endswith(
                f"; trusted checkpoint at size {checkpoint['tree_size']} matches"))

    def test_accepts_an_empty_ledger(self):
        write_export(self.folder, [], [make_checkpoint([], 0)])
        self.assertIn("OK: 0 events, 1 checkpoints, root " + hashlib.sha256(b"").hexdigest(),
                      v.verify_export(self.folder))

    def test_main_exit_codes(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(v.main([self.folder]), 0)
            self.edit_lines("events.jsonl", lambda lines: lines[:-1])
            self.assertEqual(v.main([self.folder]), 1)
        self.assertRegex(out.getvalue(), r"^OK: 12 events, .*\n"
                                         r"FAIL: checkpoint 3 \(tree size 12\): covers 12 events")
        with contextlib.redirect_stderr(io.StringIO()):
            for argv in ([], [self.folder, "--proof", "x"], [self.folder, "--public-key", "zz"],
                         [os.path.join(self.folder, "absent")],
                         ["--proof", "p", "--checkpoint", "c"]):
                with self.subTest(argv=argv), self.assertRaises(SystemExit) as raised:
                    v.main(argv)
                self.assertEqual(raised.exception.code, 2)

    def test_file_changed_without_manifest(self):
        with open(os.path.join(self.folder, "events.jsonl"), "ab") as file:
            file.write(b"\n")
        self.assertFails("manifest.json: the SHA-256 of events.jsonl does not match")

    def test_payload_byte_changed(self):
        self.edit_lines("events.jsonl",
                        lambda lines: [line.replace(b"L-005", b"L-006") for line in lines])
        self.assertFails("event seq 5: hash does not match the event's content")

    def test_changed_event_with_its_hash_recomputed(self):
        self.events[4]["payload"]["mass_g"] = 99
        self.events[4]["hash"] = v.event_hash(self.events[4])
        write_export(self.folder, self.events, self.checkpoints)
        self.assertFails("event seq 6: prev_hash does not match the hash of seq 5")

    def test_rewritten_chain_against_signed_checkpoint(self):
        self.events[4]["payload"]["mass_g"] = 99
        rechain(self.events, 4)
        write_export(self.folder, self.events, self.checkpoints)
        self.assertFails("checkpoint 2 (tree size 8): root_hash does not match the Merkle root")

    def test_event_deleted(self):
        self.edit_lines("events.jsonl", lambda lines: lines[:4] + lines[5:])
        self.assertFails("events.jsonl line 5: seq 5 expected, found 6 "
                         "(an event is missing or out of order)")

    def test_events_swapped(self):
        self.edit_lines("events.jsonl", lambda lines: lines[:3] + [lines[4], lines[3]] + lines[5:])
        self.assertFails("events.jsonl line 4: seq 4 expected, found 5")

    def test_event_duplicated(self):
        self.edit_lines("events.jsonl", lambda lines: lines[:5] + [lines[4]] + lines[5:])
        self.assertFails("events.jsonl line 6: seq 6 expected, found 5 "
                         "(an event is duplicated or out of order)")

    def test_line_not_canonical(self):
        spaced = json.dumps(self.events[1], ensure_ascii=False, sort_keys=True).encode("utf-8")
        self.edit_lines("events.jsonl", lambda lines: lines[:1] + [spaced] + lines[2:])
        self.assertFails("events.jsonl line 2: not canonical")

    def test_event_with_a_wrong_member(self):
        del self.events[6]["terminal"]
        write_export(self.folder, self.events, self.checkpoints)
        self.assertFails("events.jsonl line 7: missing member(s) terminal")

    def test_bad_signature(self):
        def flip(lines):
            checkpoint = json.loads(lines[1])
            signature = bytearray.fromhex(checkpoint["signature"])
            signature[10] ^= 0x04
            checkpoint["signature"] = signature.hex()
            return lines[:1] + [v.canonical_bytes(checkpoint)] + lines[2:]
        self.edit_lines("checkpoints.jsonl", flip)
        self.assertFails("checkpoint 2 (tree size 8): signature does not verify")

    def test_unsigned_events_at_the_end(self):
        self.events += make_events(13)[12:]
        self.events[12]["payload"]["note"] = "appended"
        rechain(self.events, 12)
        write_export(self.folder, self.events, self.checkpoints)
        self.assertFails("checkpoints.jsonl: the last checkpoint covers 12 events but the export "
                         "holds 13")

    def test_pinned_key_and_substituted_key(self):
        # Someone re-signs everything with a key of their own: consistent, but not our key.
        write_export(self.folder, self.events,
                     [make_checkpoint(self.events, s, OTHER_SECRET) for s in self.SIZES],
                     OTHER_SECRET)
        self.assertTrue(v.verify_export(self.folder).startswith("OK"))
        self.assertFails("is not the pinned key", pinned=ed25519_public_key(SECRET).hex())
        self.assertFails("trusted checkpoint: signed by key",
                         trusted_path=self.trusted(self.checkpoints[0]))

    def test_truncation_against_trusted_checkpoint(self):
        trusted = self.trusted(self.checkpoints[2])  # size 12, kept by the auditor
        write_export(self.folder, self.events[:8], self.checkpoints[:2])
        self.assertTrue(v.verify_export(self.folder).startswith("OK: 8 events"))
        self.assertFails("trusted checkpoint: covers 12 events but the export holds 8: the ledger "
                         "was truncated", trusted_path=trusted)

    def test_rollback_against_trusted_checkpoint(self):
        trusted = self.trusted(self.checkpoints[1])  # size 8, kept by the auditor
        # Someone with the server's private key rewrites event 5 and re-signs every checkpoint.
        self.events[4]["payload"]["mass_g"] = 99
        rechain(self.events, 4)
        resigned = [make_checkpoint(self.events, size) for size in self.SIZES]
        write_export(self.folder, self.events, resigned)
        self.assertTrue(v.verify_export(self.folder).startswith("OK: 12 events"))
        self.assertFails("trusted checkpoint (tree size 8): root_hash differs from the export's "
                         "Merkle root at that size: the ledger was rewritten or rolled back",
                         trusted_path=trusted)

    def test_forged_trusted_checkpoint(self):
        forged = dict(self.checkpoints[1], tree_size=9)
        self.assertFails("trusted checkpoint: signature does not verify",
                         trusted_path=self.trusted(forged))


class WorkedExampleTest(unittest.TestCase):
    """The values printed in docs/ledger-format.md section 11."""

    def test_event_hash_and_checkpoint_signature(self):
        event = {"actor": {"id": "system", "name": "Aliquot server"},
                 "event_type": "system.initialised", "format": 1, "payload": {"site": "Zürich"},
                 "prev_hash": "0" * 64, "reason": None, "seq": 1,
                 "stream": {"id": "system", "type": "system"}, "terminal": "server",
                 "time": "2026-03-02T09:00:00.000000Z"}
        content = v.canonical_bytes(event)
        self.assertEqual(len(content), 322)
        event_hash = "52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab"
        self.assertEqual(hashlib.sha256(b"\x00" + content).hexdigest(), event_hash)
        self.assertEqual(v.event_hash(event), event_hash)
        secret, public = bytes.fromhex(RFC8032_VECTORS[0][0]), RFC8032_VECTORS[0][1]
        key_id = "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"
        self.assertEqual(hashlib.sha256(bytes.fromhex(public)).hexdigest(), key_id)
        checkpoint = {"key_id": key_id, "root_hash": event_hash,
                      "time": "2026-03-02T09:00:01.000000Z", "tree_size": 1}
        message = b"aliquot-checkpoint-v1\n" + v.canonical_bytes(checkpoint)
        signature = ("2255d25fb1a9c6dde47581c651883f3bdb9983c8bf23bde4323da0afae9d10b392d0767fbd"
                     "288890a54f8bbe20d3f8e72686929b712c3997d90337964d373609")
        self.assertEqual(ed25519_sign(secret, message).hex(), signature)
        self.assertTrue(v.ed25519_verify(bytes.fromhex(public), message, bytes.fromhex(signature)))


class ProofTest(unittest.TestCase):
    def setUp(self):
        self.events = make_events(11)
        self.checkpoint = make_checkpoint(self.events, 11)
        self.hashes = [bytes.fromhex(e["hash"]) for e in self.events]
        handle, self.path = tempfile.mkstemp(suffix=".json")
        os.close(handle)
        self.addCleanup(os.remove, self.path)

    def write_proof(self, seq, **changes):
        proof = {"audit_path": [h.hex() for h in naive_path(seq - 1, self.hashes)],
                 "checkpoint": copy.deepcopy(self.checkpoint),
                 "event": copy.deepcopy(self.events[seq - 1]),
                 "format": "aliquot-inclusion-proof/1", "leaf_index": seq - 1,
                 "public_key": public_key_object(SECRET)}
        proof.update(changes)
        with open(self.path, "wb") as file:
            file.write(v.canonical_bytes(proof) + b"\n")
        return proof

    def test_accepts_every_event(self):
        for seq in range(1, 12):
            self.write_proof(seq)
            with self.subTest(seq=seq):
                self.assertTrue(v.verify_proof(self.path).startswith(f"OK: event seq {seq} "))
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(v.main(["--proof", self.path]), 0)

    def test_rejections(self):
        changed = copy.deepcopy(self.events[6])
        changed["payload"]["lot"] = "L-999"
        rehashed = dict(changed, hash=v.event_hash(changed))
        bad_signature = dict(self.checkpoint, time="2026-03-02T10:00:12.000000Z")
        cases = [({"event": changed}, "proof: event seq 7: hash does not match"),
                 ({"event": rehashed}, "proof: audit_path: does not lead from event seq 7"),
                 ({"leaf_index": 5}, "proof: leaf_index is not the event's seq - 1"),
                 ({"checkpoint": bad_signature}, "proof: checkpoint: signature does not verify"),
                 ({"format": "other"}, "proof: format must be")]
        for changes, message in cases:
            self.write_proof(7, **changes)
            with self.subTest(message=message), self.assertRaises(v.Invalid) as raised:
                v.verify_proof(self.path)
            self.assertIn(message, str(raised.exception))
        self.write_proof(7)
        with self.assertRaisesRegex(v.Invalid, "is not the pinned key"):
            v.verify_proof(self.path, pinned=ed25519_public_key(OTHER_SECRET).hex())


if __name__ == "__main__":
    unittest.main()
