#!/usr/bin/python3
"""An independent verifier for Aztp audit trails, written from docs/audit.md alone (sections 1-5).

It shares no code with Aztp.Audit: Python's hashlib, json and sqlite3, and the `cryptography` package for
signatures and certificates. The tests run it beside AuditVerifier on the same stores (intact and tampered)
and require the two to agree, which is how docs/audit.md is held to "precise enough to write a verifier".

Usage:
  verify_audit.py --jsonl FILE[.gz] --bundle PATH [--no-trust] [--allow-unsealed]
  verify_audit.py --sqlite DB [--table NAME] --bundle PATH [--no-trust] [--allow-unsealed]

PATH is a PEM file or a directory of PEM files holding the trust anchors (CA certificates).
Prints one JSON object: {"intact", "records", "events", "checkpoints", "lastSeq", "lastHash", "error"}.
Exit status: 0 intact, 1 broken, 2 usage error.
"""

import base64
import datetime
import gzip
import hashlib
import json
import os
import re
import sqlite3
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

GENESIS = "0" * 64
HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")
TIMESTAMP = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")

# alg -> (hash, curve or None for RSA, P1363 signature length or None)
ALGORITHMS = {
    "ES256": (hashes.SHA256, ec.SECP256R1, 64),
    "ES384": (hashes.SHA384, ec.SECP384R1, 96),
    "ES512": (hashes.SHA512, ec.SECP521R1, 132),
    "RS256": (hashes.SHA256, None, None),
}


class Broken(Exception):
    """The trail does not verify; the message says where and why."""


class Record:
    def __init__(self, seq, prev_hash, hash_, kind, payload):
        self.seq = seq
        self.prev_hash = prev_hash
        self.hash = hash_
        self.kind = kind          # "event" or "checkpoint"
        self.payload = payload    # the stored payload bytes, verbatim


# ---------------------------------------------------------------- reading (docs/audit.md section 4)

def top_level_spans(line):
    """Yields (key, value_text_span) for each member of a JSON object line, keeping each value's raw text."""
    decoder = json.JSONDecoder()
    text = line
    i = skip_ws(text, 0)
    if i >= len(text) or text[i] != "{":
        raise ValueError("not a JSON object")
    i = skip_ws(text, i + 1)
    if i < len(text) and text[i] == "}":
        return
    while True:
        if text[i] != '"':
            raise ValueError("expected a key")
        key, i = decoder.raw_decode(text, i)
        i = skip_ws(text, i)
        if i >= len(text) or text[i] != ":":
            raise ValueError("expected ':'")
        i = skip_ws(text, i + 1)
        _, end = decoder.raw_decode(text, i)
        yield key, (i, end)
        i = skip_ws(text, end)
        if i < len(text) and text[i] == ",":
            i = skip_ws(text, i + 1)
            continue
        if i < len(text) and text[i] == "}":
            if skip_ws(text, i + 1) != len(text):
                raise ValueError("trailing text after the object")
            return
        raise ValueError("expected ',' or '}'")


def skip_ws(text, i):
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def read_jsonl(path):
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        data = f.read()
    lines = data.split(b"\n")
    torn = lines.pop()  # the text after the last LF: empty when the file ends with a complete line
    for number, raw in enumerate(lines, start=1):
        # Work on the decoded text, but hash the payload's original bytes: slice the UTF-8 bytes of the value.
        members = {}
        try:
            text = raw.decode("utf-8")
            for key, (start, end) in top_level_spans(text):
                if key in members:
                    raise ValueError("duplicate key " + key)
                members[key] = (start, end)
        except ValueError as e:
            raise Broken("line %d: malformed record (%s)" % (number, e))
        kinds = [k for k in ("event", "checkpoint") if k in members]
        if len(kinds) != 1 or not {"seq", "prevHash", "hash"} <= members.keys():
            raise Broken("line %d: a record needs seq, prevHash, hash and exactly one of event/checkpoint" % number)
        value = lambda k: json.loads(text[members[k][0]:members[k][1]])
        start, end = members[kinds[0]]
        payload = text[start:end].encode("utf-8")
        yield number, Record(value("seq"), value("prevHash"), value("hash"), kinds[0], payload)
    if torn:
        raise Broken("the file ends with an incomplete line (a write that never completed)")


def read_sqlite(path, table):
    if not re.fullmatch(r"[a-z0-9_]+", table):
        raise SystemExit(usage("table name must match [a-z0-9_]+"))
    connection = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        # Storage order (docs/audit.md, "SQLite and PostgreSQL"): id when the table has an id column, else rowid.
        columns = [row[1] for row in connection.execute("PRAGMA table_info(%s)" % table)]
        order = "id" if "id" in columns else "rowid"
        rows = connection.execute(
            "SELECT seq, prev_hash, hash, kind, json FROM %s ORDER BY %s" % (table, order))
        for number, (seq, prev_hash, hash_, kind, payload) in enumerate(rows, start=1):
            if isinstance(payload, str):
                payload = payload.encode("utf-8")
            yield number, Record(seq, prev_hash, hash_, kind, payload)
    finally:
        connection.close()


# ---------------------------------------------------------------- chain (section 2)

def record_hash(prev_hash, payload):
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload).hexdigest()


# ---------------------------------------------------------------- checkpoints (section 3)

def parse_time(text):
    if not isinstance(text, str) or not TIMESTAMP.match(text):
        raise Broken("checkpoint timestamp is not yyyy-MM-ddTHH:mm:ss.fffZ")
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def check_signature(public_key, alg, signature, signed):
    digest, curve, size = ALGORITHMS[alg]
    try:
        if curve is None:
            if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < 2048:
                raise Broken("RS256 checkpoint signed by a key that is not RSA >= 2048 bits")
            public_key.verify(signature, signed, padding.PKCS1v15(), digest())
        else:
            if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, curve):
                raise Broken("%s checkpoint signed by a key on another curve" % alg)
            if len(signature) != size:
                raise Broken("%s signature must be %d bytes (r||s)" % (alg, size))
            half = size // 2
            der = encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big"))
            public_key.verify(der, signed, ec.ECDSA(digest()))
    except InvalidSignature:
        raise Broken("checkpoint signature does not verify")


def issued_by(cert, issuer):
    """True when issuer's key signed cert (and the names match)."""
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def valid_at(cert, when):
    return cert.not_valid_before <= when <= cert.not_valid_after


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def chains_to(leaf, intermediates, anchors, when):
    """Walks leaf -> intermediates -> an anchor; every certificate valid at `when`, every issuer a CA."""
    current = leaf
    pool = list(intermediates)
    for _ in range(len(pool) + 1):
        for anchor in anchors:
            if issued_by(current, anchor):
                return valid_at(anchor, when)
        nxt = next((c for c in pool if is_ca(c) and valid_at(c, when) and issued_by(current, c)), None)
        if nxt is None:
            return False
        pool.remove(nxt)
        current = nxt
    return False


def check_checkpoint(record, anchors):
    try:
        body = json.loads(record.payload.decode("utf-8"))
    except ValueError:
        raise Broken("checkpoint payload is not JSON")
    fields = ("coveredSeq", "coveredHash", "timestamp", "agentId", "spiffeId", "alg", "x5c", "signature")
    if not isinstance(body, dict) or any(k not in body for k in fields):
        raise Broken("checkpoint lacks one of " + ", ".join(fields))
    if body["coveredSeq"] != record.seq - 1 or body["coveredHash"] != record.prev_hash:
        raise Broken("checkpoint does not cover the record before it")
    if body["alg"] not in ALGORITHMS:
        raise Broken("unknown checkpoint alg " + str(body["alg"]))
    when = parse_time(body["timestamp"])
    chain = [x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in body["x5c"]]
    if not chain:
        raise Broken("checkpoint x5c is empty")
    leaf = chain[0]
    try:
        uris = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.UniformResourceIdentifier)
    except x509.ExtensionNotFound:
        uris = []
    if len(uris) != 1 or not uris[0].startswith("spiffe://") or uris[0] != body["spiffeId"]:
        raise Broken("checkpoint leaf's single URI SAN does not equal spiffeId")
    if is_ca(leaf):
        raise Broken("checkpoint leaf is a CA certificate")
    signed = "\n".join(["aztp-audit-checkpoint-v1", str(body["coveredSeq"]), body["coveredHash"], body["timestamp"],
                        body["agentId"], body["spiffeId"]]).encode("utf-8")
    check_signature(leaf.public_key(), body["alg"], base64.b64decode(body["signature"], validate=True), signed)
    if anchors is not None:
        if not valid_at(leaf, when):
            raise Broken("checkpoint leaf was not valid at the checkpoint time")
        if not chains_to(leaf, chain[1:], anchors, when):
            raise Broken("checkpoint leaf does not chain to the trust bundle")
    return body["spiffeId"]


# ---------------------------------------------------------------- the walk (section 5, "Writing an independent verifier")

def verify(records, anchors, allow_unsealed):
    summary = {"intact": False, "records": 0, "events": 0, "checkpoints": 0, "lastSeq": 0, "lastHash": None,
               "error": None}
    previous = None
    try:
        for number, r in records:
            where = "record %d (seq %s)" % (number, r.seq)
            if not isinstance(r.seq, int) or isinstance(r.seq, bool) or r.seq < 1:
                raise Broken(where + ": seq is not a positive integer")
            if not all(isinstance(h, str) and HEX64.match(h) for h in (r.prev_hash, r.hash)):
                raise Broken(where + ": prevHash/hash are not 64 lower-case hex digits")
            if r.kind not in ("event", "checkpoint"):
                raise Broken(where + ": unknown record kind")
            if previous is None:
                if r.seq == 1 and r.prev_hash != GENESIS:
                    raise Broken(where + ": the first record does not link to the genesis hash")
                if r.seq > 1 and r.kind != "checkpoint":
                    raise Broken(where + ": the trail starts after seq 1 without a checkpoint anchor")
            else:
                if r.seq != previous.seq + 1:
                    raise Broken(where + ": expected seq %d" % (previous.seq + 1))
                if r.prev_hash != previous.hash:
                    raise Broken(where + ": prevHash is not the previous record's hash")
            if record_hash(r.prev_hash, r.payload) != r.hash:
                raise Broken(where + ": hash does not match prevHash and payload")
            if r.kind == "checkpoint":
                try:
                    check_checkpoint(r, anchors)
                except Broken as e:
                    raise Broken(where + ": " + str(e))
                except (ValueError, TypeError, AttributeError) as e:
                    raise Broken(where + ": malformed checkpoint (%s)" % type(e).__name__)
                summary["checkpoints"] += 1
            else:
                summary["events"] += 1
            summary["records"] += 1
            summary["lastSeq"] = r.seq
            summary["lastHash"] = r.hash
            previous = r
        if previous is None:
            raise Broken("the trail is empty")
        if previous.kind != "checkpoint" and not allow_unsealed:
            raise Broken("records after the last checkpoint (truncated or unsealed tail)")
        summary["intact"] = True
    except Broken as e:
        summary["error"] = str(e)
    return summary


def load_anchors(path):
    files = [os.path.join(path, n) for n in sorted(os.listdir(path))] if os.path.isdir(path) else [path]
    anchors = []
    for name in files:
        with open(name, "rb") as f:
            data = f.read()
        for block in re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.S):
            anchors.append(x509.load_pem_x509_certificate(block))
    if not anchors:
        raise SystemExit(usage("no certificates in " + path))
    return anchors


def usage(message):
    sys.stderr.write("usage error: %s\n%s" % (message, __doc__))
    return 2


def main(argv):
    args = {"--table": "aztp_audit"}
    flags = set()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--no-trust", "--allow-unsealed"):
            flags.add(a)
            i += 1
        elif a in ("--jsonl", "--sqlite", "--bundle", "--table") and i + 1 < len(argv):
            args[a] = argv[i + 1]
            i += 2
        else:
            return usage("unexpected argument " + a)
    if ("--jsonl" in args) == ("--sqlite" in args):
        return usage("give exactly one of --jsonl FILE or --sqlite DB")
    if "--no-trust" not in flags and "--bundle" not in args:
        return usage("--bundle PATH is required (or --no-trust)")
    anchors = None if "--no-trust" in flags else load_anchors(args["--bundle"])
    records = read_jsonl(args["--jsonl"]) if "--jsonl" in args else read_sqlite(args["--sqlite"], args["--table"])
    summary = verify(records, anchors, "--allow-unsealed" in flags)
    print(json.dumps(summary))
    return 0 if summary["intact"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
