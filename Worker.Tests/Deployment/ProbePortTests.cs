using System.Text.Json.Nodes;
using Worker.Tests.Support;

namespace Worker.Tests.Deployment;

/// <summary>
/// The worker as a container runs it: aspirate's ConfigMap sets ASPNETCORE_URLS to 8080 (with its trailing ';'), the
/// manifest sets the Kestrel endpoint.
/// </summary>
public sealed class ProbePortTests
{
    [Fact]
    public async Task The_worker_serves_its_probes_on_8000_even_when_ASPNETCORE_URLS_says_8080()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://127.0.0.1:8000/internal/alive"));
        var kestrelUrl = JsonNode.Parse(await File.ReadAllTextAsync(RepositoryPaths.Manifest))!["resources"]!["worker"]!["env"]!["Kestrel__Endpoints__probes__Url"]!.GetValue<string>();
        var worker = new RunningProcess("dotnet", [RepositoryPaths.WorkerAssembly], new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = "http://+:8080;",
            ["Kestrel__Endpoints__probes__Url"] = kestrelUrl,
            // Well-formed, pointing at nothing: liveness needs no dependency.
            ["ConnectionStrings__rabbitmq"] = "amqp://worker:secret@127.0.0.1:9",
            ["ConnectionStrings__redis"] = "127.0.0.1:9,password=secret",
            ["ConnectionStrings__workerdb"] = "Host=127.0.0.1;Port=9;Username=postgres;Password=secret;Database=workerdb",
        });

        var status = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); status == 0 && DateTime.UtcNow < deadline && !worker.HasExited;)
        {
            try
            {
                using var response = await http.GetAsync("http://127.0.0.1:8000/internal/alive");
                status = (int)response.StatusCode;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(250);
            }
        }

        try
        {
            Assert.Equal(204, status);
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://127.0.0.1:8080/internal/alive"));
        }
        finally
        {
            worker.Dispose();
        }

        // Nothing answered on 8000 before this worker started, and nothing does once it is gone: the 204 was its own.
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("http://127.0.0.1:8000/internal/alive"));
    }
}
