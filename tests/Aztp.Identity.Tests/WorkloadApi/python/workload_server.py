"""A SPIFFE Workload API server for tests (Python grpcio), built from src/Aztp.Identity/Protos/workload.proto.

It serves what the test writes to a JSON state file and pushes a new message on every open stream when the file
changes (the test replaces it atomically). Usage: workload_server.py SOCKET_PATH STATE_FILE
Prints READY on stdout once it listens. Every rpc requires the metadata `workload.spiffe.io: true`.
"""
import base64
import json
import os
import sys
import threading
import time
from concurrent import futures

import grpc
from google.protobuf import struct_pb2

import workload_pb2
import workload_pb2_grpc

SECURITY_HEADER = "workload.spiffe.io"


class State:
    def __init__(self, path):
        self.path = path
        self.cond = threading.Condition()
        self.version = 0
        self.data = {}
        self.mtime = None
        self.reload()

    def reload(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return
        key = (st.st_mtime_ns, st.st_ino, st.st_size)
        if key == self.mtime:
            return
        with open(self.path, "r", encoding="utf-8") as f:
            data = json.load(f)
        with self.cond:
            self.mtime = key
            self.data = data
            self.version += 1
            self.cond.notify_all()

    def watch(self):
        while True:
            time.sleep(0.02)
            try:
                self.reload()
            except (OSError, ValueError) as e:
                print("state reload failed: %s" % e, file=sys.stderr, flush=True)

    def wait_change(self, seen, context):
        with self.cond:
            while self.version == seen and context.is_active():
                self.cond.wait(0.2)
            return self.version, self.data


def b64(text):
    return base64.b64decode(text) if text else b""


def check(context, data):
    md = dict(context.invocation_metadata())
    if md.get(SECURITY_HEADER) != "true":
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "security header missing from request")
    if data.get("deny"):
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "no identity issued")


def x509_response(data):
    resp = workload_pb2.X509SVIDResponse()
    for s in data.get("svids", []):
        resp.svids.add(spiffe_id=s["spiffe_id"], x509_svid=b64(s["chain"]), x509_svid_key=b64(s["key"]),
                       bundle=b64(s["bundle"]), hint=s.get("hint", ""))
    for td, der in data.get("federated", {}).items():
        resp.federated_bundles[td] = b64(der)
    return resp


def decode_payload(token):
    part = token.split(".")[1]
    part += "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(part))


class WorkloadApi(workload_pb2_grpc.SpiffeWorkloadAPIServicer):
    def __init__(self, state):
        self.state = state

    def _stream(self, context, build):
        seen, data = self.state.version, self.state.data
        check(context, data)
        while context.is_active():
            if data.get("deny"):
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "no identity issued")
            yield build(data)
            seen, data = self.state.wait_change(seen, context)

    def FetchX509SVID(self, request, context):
        yield from self._stream(context, x509_response)

    def FetchX509Bundles(self, request, context):
        def build(data):
            resp = workload_pb2.X509BundlesResponse()
            for s in data.get("svids", [])[:1]:
                resp.bundles["spiffe://" + s["spiffe_id"].split("/")[2]] = b64(s["bundle"])
            for td, der in data.get("federated", {}).items():
                resp.bundles[td] = b64(der)
            return resp
        yield from self._stream(context, build)

    def FetchJWTBundles(self, request, context):
        def build(data):
            resp = workload_pb2.JWTBundlesResponse()
            for td, jwks in data.get("jwt_bundles", {}).items():
                resp.bundles[td] = jwks.encode("utf-8")
            return resp
        yield from self._stream(context, build)

    def FetchJWTSVID(self, request, context):
        data = self.state.data
        check(context, data)
        if not request.audience:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "audience must be specified")
        resp = workload_pb2.JWTSVIDResponse()
        for t in data.get("jwt_tokens", {}).get(request.audience[0], []):
            if request.spiffe_id and t["spiffe_id"] != request.spiffe_id:
                continue
            resp.svids.add(spiffe_id=t["spiffe_id"], svid=t["svid"])
        if not resp.svids:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "no identity issued")
        return resp

    def ValidateJWTSVID(self, request, context):
        data = self.state.data
        check(context, data)
        known = data.get("valid_tokens", [])
        if request.svid not in known:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "token is not valid")
        claims = decode_payload(request.svid)
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if request.audience not in auds:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "audience mismatch")
        st = struct_pb2.Struct()
        st.update(claims)
        return workload_pb2.ValidateJWTSVIDResponse(spiffe_id=claims["sub"], claims=st)


def main():
    socket_path, state_path = sys.argv[1], sys.argv[2]
    state = State(state_path)
    threading.Thread(target=state.watch, daemon=True).start()
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    workload_pb2_grpc.add_SpiffeWorkloadAPIServicer_to_server(WorkloadApi(state), server)
    server.add_insecure_port("unix:" + socket_path)
    server.start()
    print("READY", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
