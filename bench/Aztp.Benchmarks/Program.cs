using BenchmarkDotNet.Running;

if (args is ["grpc-load", ..]) { return await Aztp.Benchmarks.Grpc.GrpcLoadDriver.RunAsync(args[1..]); }
if (args is ["rpc-load", ..]) { return await Aztp.Benchmarks.Rpc.RpcLoadDriver.RunAsync(args[1..]); }
if (args is ["emit-load", ..]) { return await Aztp.Benchmarks.Core.EmitLoadDriver.RunAsync(args[1..]); }

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
