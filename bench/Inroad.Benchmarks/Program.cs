using BenchmarkDotNet.Running;

namespace Inroad.Benchmarks;

/// <summary>Runs the benchmarks chosen with <c>--filter</c>; one folder per layer.</summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
