using BenchmarkDotNet.Running;

namespace Coffer.Benchmarks;

internal static class Program
{
    // `dotnet run -c Release --project bench/Coffer.Benchmarks -- --filter '*'` runs everything;
    // `-- --filter '*' --job Dry` runs each benchmark once (what CI does).
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
