using BenchmarkDotNet.Attributes;
using Coffer.Crypto.Generators;

namespace Coffer.Benchmarks;

/// <summary>Password and passphrase generation as the client UI calls them (defaults: 20 characters, 6 words).</summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private readonly PassphraseOptions _passphrase = new() { WordCount = 6 };
    private readonly PasswordOptions _password = new() { Length = 20 };
    private readonly PasswordOptions _passwordNoAmbiguous = new() { Length = 20, ExcludeAmbiguous = true };

    [GlobalSetup]
    public void Setup() => _ = PassphraseGenerator.Generate(_passphrase); // loads the embedded word list once

    [Benchmark]
    public string Passphrase6Words() => PassphraseGenerator.Generate(_passphrase);

    [Benchmark]
    public string Password20Chars() => PasswordGenerator.Generate(_password);

    [Benchmark]
    public string Password20CharsNoAmbiguous() => PasswordGenerator.Generate(_passwordNoAmbiguous);
}
