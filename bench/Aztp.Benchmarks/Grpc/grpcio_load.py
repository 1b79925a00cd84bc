"""grpcio baseline for the Aztp.Grpc load driver: the same unary echo of the same bytes, served and called by
Python grpcio (asyncio API), so its figures sit beside Aztp.Grpc's in one run.

  grpcio_load.py server [--cert F --key F --ca F]            prints "listening on PORT"
  grpcio_load.py client --port N --callers C --duration S --warmup S --payload HEX [--cert F --key F --ca F]
                                                             prints one JSON line: calls_per_second, p50_us, p99_us
Messages are passed as raw bytes (no generated stubs needed).
"""
import argparse
import asyncio
import json
import sys
import time

import grpc

METHOD = "/aztp.bench.Echo/Unary"


def read(path):
    with open(path, "rb") as f:
        return f.read()


async def serve(args):
    async def echo(request, context):
        return request

    handler = grpc.method_handlers_generic_handler("aztp.bench.Echo", {"Unary": grpc.unary_unary_rpc_method_handler(echo)})
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    if args.cert:
        credentials = grpc.ssl_server_credentials(((read(args.key), read(args.cert)),), root_certificates=read(args.ca), require_client_auth=True)
        port = server.add_secure_port("127.0.0.1:0", credentials)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print("listening on %d" % port, flush=True)
    await server.wait_for_termination()


async def load(args):
    options = [("grpc.ssl_target_name_override", "localhost")] if args.cert else []
    target = "127.0.0.1:%d" % args.port
    if args.cert:
        credentials = grpc.ssl_channel_credentials(root_certificates=read(args.ca), private_key=read(args.key), certificate_chain=read(args.cert))
        channel = grpc.aio.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.aio.insecure_channel(target)
    call = channel.unary_unary(METHOD)
    payload = bytes.fromhex(args.payload)

    async def caller(stop_at, latencies):
        while True:
            before = time.perf_counter()
            if before >= stop_at:
                return
            response = await call(payload)
            if len(response) != len(payload):
                raise RuntimeError("bad echo")
            if latencies is not None:
                latencies.append(time.perf_counter() - before)

    async def run(seconds, latencies):
        stop_at = time.perf_counter() + seconds
        start = time.perf_counter()
        await asyncio.gather(*(caller(stop_at, latencies) for _ in range(args.callers)))
        return time.perf_counter() - start

    await run(args.warmup, None)
    latencies = []
    elapsed = await run(args.duration, latencies)
    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e6 if latencies else 0

    print(json.dumps({"calls_per_second": len(latencies) / elapsed, "p50_us": percentile(0.50), "p99_us": percentile(0.99)}), flush=True)
    await channel.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("server", "client"))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--callers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--payload", default="")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ca")
    args = parser.parse_args()
    asyncio.run(serve(args) if args.mode == "server" else load(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
