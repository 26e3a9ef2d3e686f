using BenchmarkDotNet.Running;
using Gpt.Benchmarks.Gemm;
using Gpt.Benchmarks.Llama;

// `gemm-vs-openblas`: CpuGemm against OpenBLAS in the same run (needs libopenblas0 installed).
if (args.Length > 0 && args[0] == "gemm-vs-openblas") return GemmVsOpenBlas.Run(args[1..]);

// `llama-vs-sdk`: llama.cpp (LLamaSharp) on the GGUF export against the SDK on the same model, in one run (see README.md).
if (args.Length > 0 && args[0] == "llama-vs-sdk") return LlamaVsSdk.Run(args[1..]);

// Every [Benchmark] class in this assembly; pick with --filter, e.g. --filter '*Gemm*'.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
