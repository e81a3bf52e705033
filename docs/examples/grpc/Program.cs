using VectorDb.GrpcExample;

// A VectorDb server must be running: `dotnet run -c Release --project src/VectorDb.Server` (gRPC on port 6334).
//   dotnet run --project docs/examples/grpc -- [http://127.0.0.1:6334]
var address = new Uri(args is [var given] ? given : "http://127.0.0.1:6334");
return await QdrantClientExample.RunAsync(address, Console.Out);
