using System.Text.Json;

namespace Gpt.Cli.Tests;

public class ServeBenchCommandTests
{
    [Fact]
    public void Bench_serve_reports_batching_on_and_off_side_by_side_and_accounts_for_every_soak_request()
    {
        var result = GptProcess.Run("bench", "serve", "--shape", "tiny", "--clients", "4", "--new-tokens", "6", "--long-clients", "2",
            "--ttft-samples", "2", "--soak-requests", "200", "--soak-clients", "8", "--soak-max-queue", "2");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var serve = json.RootElement.GetProperty("serve");

        var throughput = serve.GetProperty("throughput");
        foreach (string side in new[] { "off", "on" })
        {
            Assert.Equal(4 * 6, throughput.GetProperty(side).GetProperty("tokens").GetInt32());
            Assert.True(throughput.GetProperty(side).GetProperty("tokens_per_s").GetDouble() > 0);
        }
        Assert.Equal(0, throughput.GetProperty("off").GetProperty("largest_step").GetInt32());   // off: no shared steps
        Assert.InRange(throughput.GetProperty("on").GetProperty("largest_step").GetInt32(), 1, 4);
        Assert.True(throughput.GetProperty("speedup").GetDouble() > 0);

        var ttft = serve.GetProperty("ttft");
        foreach (string side in new[] { "off", "on" })
        {
            Assert.True(ttft.GetProperty(side).GetProperty("median_s").GetDouble() > 0);
            Assert.True(ttft.GetProperty(side).GetProperty("long_requests_run").GetInt32() >= 2);
        }

        var soak = serve.GetProperty("soak");
        Assert.True(soak.GetProperty("every_request_accounted_for").GetBoolean());
        int answered = soak.GetProperty("answered").GetInt32(), cancelled = soak.GetProperty("cancelled_by_client").GetInt32();
        int refused = soak.GetProperty("refused").GetInt32(), failed = soak.GetProperty("failed").GetInt32();
        Assert.Equal(200, answered + cancelled + refused + failed);
        Assert.True(answered > 0 && cancelled > 0);
        // Requests 0, 97 and 194 ban every token: each fails alone, with its reason (unless refused first, the queue being full);
        // every other request is answered, cancelled by its client or refused as busy.
        Assert.InRange(failed, 1, 3);
        Assert.All(soak.GetProperty("reasons").EnumerateObject(),
            r => Assert.True(r.Name.Contains("every token was removed") || r.Name.StartsWith("GenerationQueueFullException", StringComparison.Ordinal), r.Name));
        foreach (string at in new[] { "at_1k", "at_half", "at_end" })
            Assert.True(soak.GetProperty(at).GetProperty("working_set_mb").GetDouble() > 0);
    }

    [Fact]
    public void Bench_serve_refuses_bad_limits_and_unknown_parts()
    {
        var zero = GptProcess.Run("bench", "serve", "--shape", "tiny", "--parts", "soak", "--soak-max-queue", "0");
        Assert.Equal(1, zero.ExitCode);
        Assert.Contains("max queued requests", zero.Stderr);
        Assert.DoesNotContain("   at ", zero.Stderr);
        var batch = GptProcess.Run("bench", "serve", "--shape", "tiny", "--max-batch", "0");
        Assert.Equal(1, batch.ExitCode);
        Assert.Contains("--max-batch", batch.Stderr);
        var parts = GptProcess.Run("bench", "serve", "--parts", "speed");
        Assert.Equal(1, parts.ExitCode);
        Assert.Contains("--parts", parts.Stderr);
    }
}
