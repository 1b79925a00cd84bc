// The grpc.testing interop host; the Aztp.Grpc work fills in the server and client.
Console.Error.WriteLine("usage: Aztp.Grpc.Interop server|client [flags]");
return 2;
