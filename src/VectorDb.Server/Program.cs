// The REST server arrives with the REST issue; until then it only proves the project builds and runs.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => Results.Ok(new { title = "vectordb", version = typeof(VectorDb.VectorDatabase).Assembly.GetName().Version?.ToString() }));
await app.RunAsync();
