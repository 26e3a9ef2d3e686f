using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.VectorData;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench vectors</c>: exact top-k search over random normalised vectors (1M x 768 by default) in the
/// SDK's <see cref="FlatVectorCollection{TKey, TRecord}"/>, one query and a batch, beside FAISS's exact
/// inner-product index (IndexFlatIP, run by python3 on the same vectors and queries, with the same threads)
/// in the same run. Prints one JSON object: seconds per search, queries per second, the effective memory
/// bandwidth (one read of the stored vectors per search) and GFLOP/s (2·n·d per query) beside each figure,
/// with this machine's peaks so an impossible figure shows, and the recall of each side's top-k against the other's.
/// </summary>
internal static class VectorsBenchCommand
{
    private sealed class Row
    {
        // The schema is the definition built in RunAsync (its vector length is --dimensions).
        public int Id { get; set; }
        public ReadOnlyMemory<float> Vector { get; set; }
    }

    // FAISS's side: reads the same float32 files, times IndexFlatIP.search like the C# side (best of `repeat`
    // after one warm-up), and prints its figures and the batch's top-k ids as JSON.
    private const string FaissScript = """
        import json, sys, time
        import numpy as np, faiss
        data, queries, n, d, b, k, threads, repeat = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexFlatIP(d)
        index.add(np.fromfile(data, dtype="<f4").reshape(n, d))
        q = np.fromfile(queries, dtype="<f4").reshape(b, d)
        def best(x, warm):
            if warm: index.search(x, k)
            times = []
            for _ in range(repeat):
                start = time.perf_counter(); index.search(x, k); times.append(time.perf_counter() - start)
            return min(times)
        single = best(q[:1], True)
        batch = best(q, False)  # FAISS's default: 20 queries or more go through BLAS sgemm
        _, ids = index.search(q, k)
        faiss.cvar.distance_compute_blas_threshold = 1 << 30  # its own SIMD loop instead, parallel over queries
        batch_without_blas = best(q, False)
        print(json.dumps({"version": faiss.__version__, "single_seconds": single, "batch_seconds": batch,
                          "batch_without_blas_seconds": batch_without_blas, "ids": ids.tolist()}))
        """;

    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Stored vectors.", DefaultValueFactory = _ => 1_000_000 };
        var dimensions = new Option<int>("--dimensions") { Description = "Floats per vector.", DefaultValueFactory = _ => 768 };
        var batch = new Option<int>("--batch") { Description = "Queries in the batched search.", DefaultValueFactory = _ => 100 };
        var top = new Option<int>("--top") { Description = "Results per query (k).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "Threads for both sides.", DefaultValueFactory = _ => 2 };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per measurement, after a warm-up; the best is reported.", DefaultValueFactory = _ => 3 };
        var python = new Option<string>("--python") { Description = "The python3 with faiss and numpy; empty to skip FAISS.", DefaultValueFactory = _ => "/usr/bin/python3" };
        var peakBandwidth = new Option<double>("--peak-bandwidth") { Description = "This machine's DRAM read bandwidth, GB/s (printed beside the figures).", DefaultValueFactory = _ => 35 };
        var peakGflops = new Option<double>("--peak-gflops") { Description = "This machine's fp32 GFLOP/s on --threads cores.", DefaultValueFactory = _ => 230 };
        var command = new Command("vectors",
            "Time exact top-k vector search (one query and a batch) in the SDK's flat vector store beside FAISS IndexFlatIP on the same data; prints JSON.");
        foreach (var option in new Option[] { count, dimensions, batch, top, threads, repeat, python, peakBandwidth, peakGflops }) command.Options.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = new Settings(parseResult.GetValue(count), parseResult.GetValue(dimensions), parseResult.GetValue(batch),
                parseResult.GetValue(top), parseResult.GetValue(threads), Math.Max(1, parseResult.GetValue(repeat)),
                parseResult.GetValue(python) ?? "", parseResult.GetValue(peakBandwidth), parseResult.GetValue(peakGflops));
            if (settings.Count < settings.Top || settings.Dimensions < 1 || settings.Batch < 1 || settings.Top < 1 || settings.Threads < 1)
            {
                Console.Error.WriteLine("--count must be at least --top, and --dimensions, --batch, --top and --threads at least 1.");
                return 1;
            }
            Console.WriteLine(await RunAsync(settings, cancellationToken));
            return 0;
        });
        return command;
    }

    private sealed record Settings(int Count, int Dimensions, int Batch, int Top, int Threads, int Repeat, string Python,
        double PeakBandwidth, double PeakGflops);

    private static async Task<string> RunAsync(Settings s, CancellationToken cancellationToken)
    {
        string folder = Directory.CreateTempSubdirectory("gpt-bench-vectors-").FullName;
        try
        {
            string dataPath = Path.Combine(folder, "data.f32"), queryPath = Path.Combine(folder, "queries.f32");
            var definition = new VectorStoreCollectionDefinition
            {
                Properties =
                [
                    new VectorStoreKeyProperty(nameof(Row.Id), typeof(int)),
                    new VectorStoreVectorProperty(nameof(Row.Vector), typeof(ReadOnlyMemory<float>), s.Dimensions) { DistanceFunction = DistanceFunction.DotProductSimilarity },
                ],
            };
            var store = new FlatVectorStore(new FlatVectorStoreOptions { MaxDegreeOfParallelism = s.Threads });
            var collection = store.GetCollection<int, Row>("bench", definition);
            await collection.EnsureCollectionExistsAsync(cancellationToken);
            var random = new Random(1234);
            var build = Stopwatch.StartNew();
            await using (var data = File.Create(dataPath))
            {
                const int Block = 10_000;
                for (int start = 0; start < s.Count; start += Block)
                {
                    var rows = Enumerable.Range(start, Math.Min(Block, s.Count - start)).Select(id => new Row { Id = id, Vector = Normalised(random, s.Dimensions) }).ToList();
                    await collection.UpsertAsync(rows, cancellationToken);
                    foreach (var row in rows) data.Write(MemoryMarshal.AsBytes(row.Vector.Span));
                }
            }
            double buildSeconds = build.Elapsed.TotalSeconds;
            var queries = Enumerable.Range(0, s.Batch).Select(_ => (ReadOnlyMemory<float>)Normalised(random, s.Dimensions)).ToArray();
            await using (var file = File.Create(queryPath))
            {
                foreach (var query in queries) file.Write(MemoryMarshal.AsBytes(query.Span));
            }

            double single = await BestAsync(s.Repeat, async () =>
            {
                await foreach (var _ in collection.SearchAsync(queries[0], s.Top, cancellationToken: cancellationToken)) { }
            });
            IReadOnlyList<IReadOnlyList<VectorSearchResult<Row>>> results = [];
            double batched = await BestAsync(s.Repeat, async () => results = await collection.SearchBatchAsync(queries, s.Top, cancellationToken: cancellationToken));
            int[][] ours = results.Select(r => r.Select(x => x.Record.Id).ToArray()).ToArray();

            var report = new Dictionary<string, object>
            {
                ["count"] = s.Count, ["dimensions"] = s.Dimensions, ["top"] = s.Top, ["batch"] = s.Batch, ["threads"] = s.Threads,
                ["machine_peaks"] = new Dictionary<string, object> { ["dram_read_gbs"] = s.PeakBandwidth, ["fp32_gflops"] = s.PeakGflops },
                ["note"] = "best of --repeat runs on a machine other work may share: upper bounds on the time, lower bounds on the speed",
                ["build_seconds"] = Math.Round(buildSeconds, 2),
                ["sdk"] = Figures(s, single, batched),
            };
            if (s.Python.Length > 0)
            {
                using var faiss = await RunFaissAsync(s, dataPath, queryPath, cancellationToken);
                var root = faiss.RootElement;
                double faissSingle = root.GetProperty("single_seconds").GetDouble(), faissBatch = root.GetProperty("batch_seconds").GetDouble();
                int[][] theirs = root.GetProperty("ids").EnumerateArray().Select(q => q.EnumerateArray().Select(i => (int)i.GetInt64()).ToArray()).ToArray();
                double faissOwnLoop = root.GetProperty("batch_without_blas_seconds").GetDouble();
                var faissFigures = Figures(s, faissSingle, faissBatch);
                faissFigures["version"] = root.GetProperty("version").GetString()!;
                faissFigures["batch_without_blas_ms"] = Math.Round(faissOwnLoop * 1e3, 2);
                faissFigures["batch_without_blas_gflops"] = Math.Round(2.0 * s.Count * s.Dimensions * s.Batch / faissOwnLoop / 1e9, 1);
                report["faiss_index_flat_ip"] = faissFigures;
                report["sdk_speed_over_faiss"] = new Dictionary<string, object>
                {
                    ["single"] = Math.Round(faissSingle / single, 3),
                    ["batch"] = Math.Round(faissBatch / batched, 3),
                    ["batch_against_faiss_without_blas"] = Math.Round(faissOwnLoop / batched, 3),
                };
                report["recall_at_top_against_faiss"] = Math.Round(Recall(ours, theirs), 4);
            }
            return JsonSerializer.Serialize(report);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Dictionary<string, object> Figures(Settings s, double single, double batched)
    {
        // Three decimals, not one: a small collection on a loaded machine moves well under 0.05 GB/s, which one decimal
        // would print as 0.
        double bytes = (double)s.Count * s.Dimensions * sizeof(float), flops = 2.0 * s.Count * s.Dimensions;
        return new Dictionary<string, object>
        {
            ["single_ms"] = Math.Round(single * 1e3, 2),
            ["single_queries_per_s"] = Math.Round(1 / single, 3),
            ["single_effective_gbs"] = Math.Round(bytes / single / 1e9, 3),
            ["single_gflops"] = Math.Round(flops / single / 1e9, 3),
            ["batch_ms"] = Math.Round(batched * 1e3, 2),
            ["batch_queries_per_s"] = Math.Round(s.Batch / batched, 3),
            ["batch_effective_gbs"] = Math.Round(bytes / batched / 1e9, 3),
            ["batch_gflops"] = Math.Round(flops * s.Batch / batched / 1e9, 3),
        };
    }

    private static async Task<JsonDocument> RunFaissAsync(Settings s, string dataPath, string queryPath, CancellationToken cancellationToken)
    {
        string script = Path.Combine(Path.GetDirectoryName(dataPath)!, "faiss_bench.py");
        await File.WriteAllTextAsync(script, FaissScript, cancellationToken);
        var start = new ProcessStartInfo(s.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { script, dataPath, queryPath, $"{s.Count}", $"{s.Dimensions}", $"{s.Batch}", $"{s.Top}", $"{s.Threads}", $"{s.Repeat}" })
            start.ArgumentList.Add(arg);
        // FAISS's batch search runs a BLAS sgemm: hold OpenBLAS/OpenMP to the same thread count as the SDK.
        foreach (string variable in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" }) start.Environment[variable] = $"{s.Threads}";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {s.Python}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The FAISS side ({s.Python}) failed with exit code {process.ExitCode}: {await stderr}. Install python3-faiss, or pass --python \"\" to skip it.");
        return JsonDocument.Parse(await stdout);
    }

    private static double Recall(int[][] ours, int[][] theirs) =>
        ours.Zip(theirs, (a, b) => (double)a.Intersect(b).Count() / b.Length).Average();

    private static async Task<double> BestAsync(int runs, Func<Task> action)
    {
        await action(); // warm-up: JIT, page faults
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }

    private static float[] Normalised(Random random, int dimensions)
    {
        // Uniform in the cube, then onto the sphere: cheap for a million vectors, and as hard to search as any.
        var vector = new float[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++)
        {
            vector[i] = random.NextSingle() * 2f - 1f;
            norm += vector[i] * vector[i];
        }
        float scale = (float)(1 / Math.Sqrt(norm));
        for (int i = 0; i < dimensions; i++) vector[i] *= scale;
        return vector;
    }
}
