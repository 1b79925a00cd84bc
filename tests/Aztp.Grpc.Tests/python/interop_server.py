"""grpc.testing.TestService on Python grpcio: the independent peer of the Aztp.Grpc interop tests.

Flags follow gRPC's interop test descriptions:
  interop_server.py --port N [--use_tls --cert F --key F --ca F --require_client_cert]
The generated stubs (empty_pb2, messages_pb2, test_pb2_grpc) must be importable (PYTHONPATH).
Prints "listening on PORT" once serving.
"""
import argparse
import sys
import time
from concurrent import futures

import grpc

import empty_pb2
import messages_pb2
import test_pb2_grpc

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"


def _status_code(number):
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


def _payload(size):
    return messages_pb2.Payload(body=b"\0" * size)


def _echo_metadata(context):
    metadata = dict(context.invocation_metadata())
    if ECHO_INITIAL in metadata:
        context.send_initial_metadata(((ECHO_INITIAL, metadata[ECHO_INITIAL]),))
    if ECHO_TRAILING in metadata:
        context.set_trailing_metadata(((ECHO_TRAILING, metadata[ECHO_TRAILING]),))


def _maybe_abort(status, context):
    if status.code != 0:
        context.abort(_status_code(status.code), status.message)


class TestService(test_pb2_grpc.TestServiceServicer):
    def EmptyCall(self, request, context):
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        _echo_metadata(context)
        if request.HasField("expect_compressed") and request.expect_compressed.value:
            encoding = dict(context.invocation_metadata()).get("grpc-encoding")
            if encoding is not None and encoding != "gzip":
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected a compressed request")
        _maybe_abort(request.response_status, context)
        if request.response_compressed.value:
            context.set_compression(grpc.Compression.Gzip)
        return messages_pb2.SimpleResponse(payload=_payload(request.response_size))

    def CacheableUnaryCall(self, request, context):
        return self.UnaryCall(request, context)

    def StreamingOutputCall(self, request, context):
        _echo_metadata(context)
        _maybe_abort(request.response_status, context)
        for parameters in request.response_parameters:
            if parameters.interval_us:
                time.sleep(parameters.interval_us / 1e6)
            yield messages_pb2.StreamingOutputCallResponse(payload=_payload(parameters.size))

    def StreamingInputCall(self, request_iterator, context):
        _echo_metadata(context)
        total = sum(len(request.payload.body) for request in request_iterator)
        return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        _echo_metadata(context)
        for request in request_iterator:
            _maybe_abort(request.response_status, context)
            for parameters in request.response_parameters:
                if parameters.interval_us:
                    time.sleep(parameters.interval_us / 1e6)
                yield messages_pb2.StreamingOutputCallResponse(payload=_payload(parameters.size))

    def HalfDuplexCall(self, request_iterator, context):
        requests = list(request_iterator)
        for request in requests:
            for parameters in request.response_parameters:
                yield messages_pb2.StreamingOutputCallResponse(payload=_payload(parameters.size))


def _flag(value):
    return str(value).lower() in ("true", "1", "yes")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--use_tls", nargs="?", const="true", default="false")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ca")
    parser.add_argument("--require_client_cert", nargs="?", const="true", default="false")
    args = parser.parse_args()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)])
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    address = "127.0.0.1:%d" % args.port
    if _flag(args.use_tls):
        with open(args.key, "rb") as f:
            key = f.read()
        with open(args.cert, "rb") as f:
            cert = f.read()
        ca = None
        if args.ca:
            with open(args.ca, "rb") as f:
                ca = f.read()
        credentials = grpc.ssl_server_credentials(((key, cert),), root_certificates=ca, require_client_auth=_flag(args.require_client_cert))
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    server.start()
    print("listening on %d" % port, flush=True)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    sys.exit(main())
