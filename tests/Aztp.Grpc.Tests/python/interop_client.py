"""The client side of the grpc.testing interop cases on Python grpcio, run against an Aztp.Grpc server.

Flags follow gRPC's interop test descriptions:
  interop_client.py --server_host H --server_port N --test_case NAME[,NAME...|all]
                    [--use_tls --ca F --cert F --key F --server_host_override NAME]
Prints "PASS name" or "FAIL name: reason" per case; exits 1 when any case failed.
"""
import argparse
import queue
import sys
import threading

import grpc

import empty_pb2
import messages_pb2
import test_pb2_grpc

REQUEST_SIZES = (27182, 8, 1828, 45904)
RESPONSE_SIZES = (31415, 9, 2653, 58979)
ALL_CASES = (
    "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
    "status_code_and_message", "special_status_message", "custom_metadata", "unimplemented_method",
    "unimplemented_service", "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server",
    "client_compressed_unary", "server_compressed_unary",
)


class InteropFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise InteropFailure(message)


class Pipe:
    """A request iterator fed by the test, closed explicitly."""

    _END = object()

    def __init__(self):
        self._queue = queue.Queue()

    def add(self, item):
        self._queue.put(item)

    def close(self):
        self._queue.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is self._END:
            raise StopIteration()
        return item


def zeros(size):
    return messages_pb2.Payload(body=b"\0" * size)


def large_request(**kwargs):
    return messages_pb2.SimpleRequest(response_size=314159, payload=zeros(271828), **kwargs)


def expect_status(code, detail, action):
    try:
        action()
    except grpc.RpcError as error:
        check(error.code() == code, "status %s (%s), expected %s" % (error.code(), error.details(), code))
        check(detail is None or error.details() == detail, "detail %r, expected %r" % (error.details(), detail))
        return
    raise InteropFailure("call succeeded, expected %s" % code)


def empty_unary(stub, channel):
    check(isinstance(stub.EmptyCall(empty_pb2.Empty()), empty_pb2.Empty), "no Empty returned")


def large_unary(stub, channel):
    response = stub.UnaryCall(large_request())
    check(len(response.payload.body) == 314159, "payload length %d" % len(response.payload.body))


def client_streaming(stub, channel):
    requests = (messages_pb2.StreamingInputCallRequest(payload=zeros(size)) for size in REQUEST_SIZES)
    response = stub.StreamingInputCall(requests)
    check(response.aggregated_payload_size == 74922, "aggregated size %d" % response.aggregated_payload_size)


def server_streaming(stub, channel):
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=size) for size in RESPONSE_SIZES])
    sizes = tuple(len(response.payload.body) for response in stub.StreamingOutputCall(request))
    check(sizes == RESPONSE_SIZES, "response sizes %s" % (sizes,))


def ping_pong(stub, channel):
    pipe = Pipe()
    responses = stub.FullDuplexCall(pipe)
    for request_size, response_size in zip(REQUEST_SIZES, RESPONSE_SIZES):
        pipe.add(messages_pb2.StreamingOutputCallRequest(
            response_parameters=[messages_pb2.ResponseParameters(size=response_size)], payload=zeros(request_size)))
        response = next(responses)
        check(len(response.payload.body) == response_size, "response size %d" % len(response.payload.body))
    pipe.close()
    check(next(responses, None) is None, "unexpected extra response")


def empty_stream(stub, channel):
    pipe = Pipe()
    responses = stub.FullDuplexCall(pipe)
    pipe.close()
    check(next(responses, None) is None, "unexpected response")


def status_code_and_message(stub, channel):
    message = "test status message"
    status = messages_pb2.EchoStatus(code=2, message=message)
    expect_status(grpc.StatusCode.UNKNOWN, message, lambda: stub.UnaryCall(messages_pb2.SimpleRequest(response_status=status)))

    def duplex():
        pipe = Pipe()
        responses = stub.FullDuplexCall(pipe)
        pipe.add(messages_pb2.StreamingOutputCallRequest(response_status=status))
        pipe.close()
        next(responses)

    expect_status(grpc.StatusCode.UNKNOWN, message, duplex)


def special_status_message(stub, channel):
    message = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
    status = messages_pb2.EchoStatus(code=2, message=message)
    expect_status(grpc.StatusCode.UNKNOWN, message, lambda: stub.UnaryCall(messages_pb2.SimpleRequest(response_status=status)))


def custom_metadata(stub, channel):
    initial = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
    trailing = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")
    metadata = (initial, trailing)

    def check_echo(initial_metadata, trailing_metadata):
        check(initial in tuple(initial_metadata), "initial metadata not echoed: %s" % (initial_metadata,))
        check(trailing in tuple(trailing_metadata), "trailing metadata not echoed: %s" % (trailing_metadata,))

    response, call = stub.UnaryCall.with_call(large_request(), metadata=metadata)
    check(len(response.payload.body) == 314159, "unary payload length")
    check_echo(call.initial_metadata(), call.trailing_metadata())

    pipe = Pipe()
    responses = stub.FullDuplexCall(pipe, metadata=metadata)
    pipe.add(messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=314159)], payload=zeros(271828)))
    pipe.close()
    check(len(next(responses).payload.body) == 314159, "duplex payload length")
    check(next(responses, None) is None, "extra duplex response")
    check_echo(responses.initial_metadata(), responses.trailing_metadata())


def unimplemented_method(stub, channel):
    expect_status(grpc.StatusCode.UNIMPLEMENTED, None, lambda: stub.UnimplementedCall(empty_pb2.Empty()))


def unimplemented_service(stub, channel):
    call = channel.unary_unary(
        "/grpc.testing.UnimplementedService/UnimplementedCall",
        request_serializer=empty_pb2.Empty.SerializeToString,
        response_deserializer=empty_pb2.Empty.FromString)
    expect_status(grpc.StatusCode.UNIMPLEMENTED, None, lambda: call(empty_pb2.Empty()))


def cancel_after_begin(stub, channel):
    pipe = Pipe()
    future = stub.StreamingInputCall.future(pipe)
    future.cancel()
    check(future.cancelled(), "call not cancelled")
    check(future.code() == grpc.StatusCode.CANCELLED, "status %s" % future.code())
    pipe.close()


def cancel_after_first_response(stub, channel):
    pipe = Pipe()
    responses = stub.FullDuplexCall(pipe)
    pipe.add(messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=31415)], payload=zeros(27182)))
    check(len(next(responses).payload.body) == 31415, "first response size")
    responses.cancel()
    expect_status(grpc.StatusCode.CANCELLED, None, lambda: next(responses))
    pipe.close()


def timeout_on_sleeping_server(stub, channel):
    pipe = Pipe()
    responses = stub.FullDuplexCall(pipe, timeout=0.001)
    pipe.add(messages_pb2.StreamingOutputCallRequest(payload=zeros(27182)))
    expect_status(grpc.StatusCode.DEADLINE_EXCEEDED, None, lambda: next(responses))
    pipe.close()


def client_compressed_unary(stub, channel):
    # Feature probe: an uncompressed request that claims compression must be rejected.
    expect_status(grpc.StatusCode.INVALID_ARGUMENT, None,
                  lambda: stub.UnaryCall(large_request(expect_compressed=messages_pb2.BoolValue(value=True))))
    response = stub.UnaryCall(large_request(expect_compressed=messages_pb2.BoolValue(value=True)), compression=grpc.Compression.Gzip)
    check(len(response.payload.body) == 314159, "compressed request: response size")
    response = stub.UnaryCall(large_request(expect_compressed=messages_pb2.BoolValue(value=False)), compression=grpc.Compression.NoCompression)
    check(len(response.payload.body) == 314159, "uncompressed request: response size")


def server_compressed_unary(stub, channel):
    for compressed in (True, False):
        response = stub.UnaryCall(large_request(response_compressed=messages_pb2.BoolValue(value=compressed)))
        check(len(response.payload.body) == 314159, "response size with response_compressed=%s" % compressed)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server_host", default="localhost")
    parser.add_argument("--server_port", type=int, required=True)
    parser.add_argument("--test_case", default="all")
    parser.add_argument("--use_tls", nargs="?", const="true", default="false")
    parser.add_argument("--ca")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--server_host_override")
    args = parser.parse_args()

    target = "%s:%d" % (args.server_host, args.server_port)
    options = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]
    if str(args.use_tls).lower() in ("true", "1"):
        def read(path):
            if not path:
                return None
            with open(path, "rb") as f:
                return f.read()
        credentials = grpc.ssl_channel_credentials(root_certificates=read(args.ca), private_key=read(args.key), certificate_chain=read(args.cert))
        if args.server_host_override:
            options.append(("grpc.ssl_target_name_override", args.server_host_override))
        channel = grpc.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(target, options=options)

    stub = test_pb2_grpc.TestServiceStub(channel)
    cases = ALL_CASES if args.test_case == "all" else args.test_case.split(",")
    failed = 0
    for name in cases:
        case = globals().get(name)
        if name not in ALL_CASES or case is None:
            print("FAIL %s: unknown test case" % name, flush=True)
            failed += 1
            continue
        try:
            case(stub, channel)
            print("PASS %s" % name, flush=True)
        except Exception as error:  # report every failure, keep going
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(error).__name__, error), flush=True)
    channel.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
