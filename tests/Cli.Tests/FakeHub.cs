using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rex.Cli.Tests;

/// <summary>
/// A Hugging Face Hub in this process, on a loopback port, in the Hub's URL layout: `GET /api/models/{repo}/revision/
/// {revision}` lists one repository's files (a model directory's, plus `extraListed`: names it lists but never serves,
/// as a repository's .bin weights or images, which a client must not ask for) and `GET /{repo}/resolve/{revision}/
/// {file}` serves them. With a token, both answer 401 unless sent `Authorization: Bearer TOKEN`; an unknown
/// repository gets 404. It keeps the path of every file request.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    readonly WebApplication app;
    readonly ConcurrentQueue<string> fileRequests = new();

    FakeHub(string repo, string directory, string? token, IReadOnlyList<string> extraListed)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (token is not null && context.Request.Headers.Authorization != $"Bearer {token}")
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            else await next(context);
        });
        app.MapGet($"/api/models/{repo}/revision/{{revision}}", () => Results.Json(new
        {
            id = repo,
            siblings = Directory.GetFiles(directory).Select(Path.GetFileName).Concat(extraListed).Select(name => new { rfilename = name }),
        }));
        app.MapGet($"/{repo}/resolve/{{revision}}/{{**file}}", (string file) =>
        {
            fileRequests.Enqueue(file);
            var path = Path.Combine(directory, file);
            return File.Exists(path) ? Results.File(path, "application/octet-stream") : Results.NotFound();
        });
    }

    public string Endpoint => app.Urls.Single();

    /// <summary>The file names clients asked for, in order.</summary>
    public IReadOnlyCollection<string> FileRequests => fileRequests;

    public static async Task<FakeHub> Start(string repo, string directory, string? token = null, params string[] extraListed)
    {
        var hub = new FakeHub(repo, directory, token, extraListed);
        await hub.app.StartAsync();
        return hub;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
