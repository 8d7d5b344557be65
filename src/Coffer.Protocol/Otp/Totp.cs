using System.Security.Cryptography;

namespace Coffer.Protocol.Otp;

/// <summary>
/// TOTP (RFC 6238): HOTP (RFC 4226) with counter <c>T = floor((unixTime − T0) / X)</c> (§4.2),
/// X the period in seconds (default 30) and T0 the start time (default 0). HMAC-SHA-1, -256 or -512,
/// 6–8 digits.
/// </summary>
/// <remarks>
/// Key ownership: the constructor copies the key into a buffer this instance owns and zeroes it in
/// <see cref="Dispose"/>; the caller still owns, and should zero, the span it passed in.
/// <para>
/// Replay: RFC 6238 §5.2 says a verifier must not accept the second attempt of a valid code.
/// <see cref="Verify(ReadOnlySpan{char}, long, int)"/> returns the time step it matched so the server
/// can store it per factor and refuse any step at or below the last one it accepted.
/// </para>
/// </remarks>
public sealed class Totp : IDisposable
{
    /// <summary>The RFC 6238 default period, in seconds.</summary>
    public const int DefaultPeriod = 30;

    /// <summary>The widest verification window accepted: ±10 steps (five minutes at 30 s).</summary>
    public const int MaxWindow = 10;

    private readonly byte[] _key;
    private bool _disposed;

    /// <summary>Creates a generator over a copy of <paramref name="key"/>.</summary>
    /// <param name="key">The shared secret; at least one byte.</param>
    /// <param name="digits">Code length, 6 to 8.</param>
    /// <param name="algorithm">The HMAC hash.</param>
    /// <param name="period">The time step X in seconds, at least 1.</param>
    /// <param name="t0">The Unix time T0 (seconds) at which step 0 starts.</param>
    /// <exception cref="ArgumentException">Empty key, digits outside 6–8, unknown algorithm, or period below 1.</exception>
    public Totp(ReadOnlySpan<byte> key, int digits = Hotp.MinDigits, OtpAlgorithm algorithm = OtpAlgorithm.Sha1, int period = DefaultPeriod, long t0 = 0)
    {
        Hotp.ValidateKey(key);
        Hotp.ValidateDigits(digits);
        Hotp.ValidateAlgorithm(algorithm);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _key = key.ToArray();
        Digits = digits;
        Algorithm = algorithm;
        Period = period;
        T0 = t0;
    }

    /// <summary>Number of decimal digits in a code.</summary>
    public int Digits { get; }

    /// <summary>The HMAC hash.</summary>
    public OtpAlgorithm Algorithm { get; }

    /// <summary>The time step X, in seconds.</summary>
    public int Period { get; }

    /// <summary>The Unix time T0, in seconds, at which step 0 starts.</summary>
    public long T0 { get; }

    /// <summary>The time step containing <paramref name="unixSeconds"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The time is before T0.</exception>
    public long TimeStep(long unixSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(unixSeconds, T0);
        return (long)((ulong)(unixSeconds - T0) / (ulong)Period);
    }

    /// <summary>The time step containing <paramref name="time"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The time is before T0.</exception>
    public long TimeStep(DateTimeOffset time) => TimeStep(time.ToUnixTimeSeconds());

    /// <summary>The code at <paramref name="unixSeconds"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The time is before T0.</exception>
    public string Compute(long unixSeconds) => ComputeAtStep(TimeStep(unixSeconds));

    /// <summary>The code at <paramref name="time"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The time is before T0.</exception>
    public string Compute(DateTimeOffset time) => Compute(time.ToUnixTimeSeconds());

    /// <summary>The code for time step <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The step is negative.</exception>
    public string ComputeAtStep(long step)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return Hotp.FormatCode(Hotp.Code(_key, (ulong)step, Digits, Algorithm), Digits);
    }

    /// <summary>
    /// Checks <paramref name="code"/> against the steps from <c>current − window</c> to
    /// <c>current + window</c> and returns the matching step, or null. Every candidate is computed
    /// and compared in constant time, with no early exit, so timing does not tell which step matched.
    /// If two steps happen to share the code, the later one is returned. A code that is not
    /// <see cref="Digits"/> ASCII digits is simply wrong (null).
    /// </summary>
    /// <param name="code">What the person typed.</param>
    /// <param name="unixSeconds">The verifier's current Unix time in seconds.</param>
    /// <param name="window">Steps accepted on each side of the current one (clock drift, typing time); 0 to 10.</param>
    /// <returns>The matched time step, which the caller must record and never accept again; or null.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Window outside 0–10, or the time is before T0.</exception>
    public long? Verify(ReadOnlySpan<char> code, long unixSeconds, int window = 1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(window);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, MaxWindow);
        long current = TimeStep(unixSeconds);

        Span<byte> given = stackalloc byte[Hotp.MaxDigits];
        if (!Hotp.TryReadDigits(code, Digits, given))
        {
            return null;
        }

        long matched = -1;
        for (long step = current - window; step <= current + window; step++)
        {
            if (step < 0)
            {
                continue; // before T0: not a step at all (public information, no timing concern)
            }
            bool equal = Hotp.MatchesAt(_key, (ulong)step, Digits, Algorithm, given[..Digits]);
            // Branch-free select keeps the loop's work identical whichever candidate matched.
            long mask = -(equal ? 1L : 0L);
            matched = (step & mask) | (matched & ~mask);
        }
        CryptographicOperations.ZeroMemory(given);
        return matched >= 0 ? matched : null;
    }

    /// <summary>
    /// <see cref="Verify(ReadOnlySpan{char}, long, int)"/> at <paramref name="now"/>.
    /// </summary>
    public long? Verify(ReadOnlySpan<char> code, DateTimeOffset now, int window = 1) => Verify(code, now.ToUnixTimeSeconds(), window);

    /// <summary>Zeroes the key copy; the instance is unusable afterwards.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_key);
            _disposed = true;
        }
    }
}
