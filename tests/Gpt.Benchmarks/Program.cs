using BenchmarkDotNet.Running;
using Gpt.Benchmarks.Gemm;

// `gemm-vs-openblas`: CpuGemm against OpenBLAS in the same run (needs libopenblas0 installed).
if (args.Length > 0 && args[0] == "gemm-vs-openblas") return GemmVsOpenBlas.Run(args[1..]);

// Every [Benchmark] class in this assembly; pick with --filter, e.g. --filter '*Gemm*'.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
