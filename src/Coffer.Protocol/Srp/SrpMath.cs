using System.Security.Cryptography;

namespace Coffer.Protocol.Srp;

/// <summary>
/// The SRP-6a formulas of PROTOCOL.md §3 (RFC 5054 §2.5–2.6, RFC 2945 §3) over big-endian
/// byte strings. Every modular operation runs in libcrypto (<see cref="BigNumScope"/>), and
/// exponentiations with a secret exponent or base use <c>BN_mod_exp_mont_consttime</c>.
/// Group elements in and out are exactly <see cref="SrpGroup.PaddedLength"/> bytes; hashes are
/// <see cref="SrpParameters.HashLength"/> bytes. Callers validate lengths and zero what they pass.
/// </summary>
internal static class SrpMath
{
    /// <summary>The length of the ephemeral private exponents a and b: 256 bits (PROTOCOL.md §3).</summary>
    internal const int PrivateKeyLength = 32;

    /// <summary>
    /// True when <paramref name="value"/> is exactly PAD-length and 0 &lt; value &lt; N, which also
    /// rules out value ≡ 0 (mod N). Public data, so an ordinary comparison is fine.
    /// </summary>
    internal static bool IsValidPublicValue(SrpGroup group, ReadOnlySpan<byte> value) =>
        value.Length == group.PaddedLength
        && value.ContainsAnyExcept((byte)0)
        && value.SequenceCompareTo(group.Prime) < 0; // same length, big-endian: byte order is numeric order

    /// <summary>result = base^exponent mod modulus in constant time (modulus odd; result as long as the modulus).</summary>
    internal static void ModExp(ReadOnlySpan<byte> @base, ReadOnlySpan<byte> exponent, ReadOnlySpan<byte> modulus, Span<byte> result)
    {
        using BigNumScope bn = new();
        nint m = bn.Load(modulus);
        nint b = bn.Load(@base, secret: true);
        nint e = bn.Load(exponent, secret: true);
        nint r = bn.New(secret: true);
        bn.ModExp(r, b, e, m);
        bn.Store(r, result);
    }

    /// <summary>g^exponent mod N: the verifier v (exponent x) and A (exponent a).</summary>
    internal static void GeneratorPower(SrpParameters parameters, ReadOnlySpan<byte> exponent, Span<byte> result) =>
        ModExp(parameters.Group.PaddedGenerator, exponent, parameters.Group.Prime, result);

    /// <summary>B = (k·v + g^b) mod N.</summary>
    internal static void ServerPublicValue(SrpParameters parameters, ReadOnlySpan<byte> verifier, ReadOnlySpan<byte> b, Span<byte> result)
    {
        using BigNumScope bn = new();
        nint n = bn.Load(parameters.Group.Prime);
        nint g = bn.Load(parameters.Group.PaddedGenerator);
        nint k = bn.Load(parameters.Multiplier);
        nint v = bn.Load(verifier, secret: true);
        nint bExp = bn.Load(b, secret: true);
        nint gb = bn.New(secret: true);
        bn.ModExp(gb, g, bExp, n);
        nint kv = bn.New(secret: true);
        bn.ModMultiply(kv, k, v, n);
        nint r = bn.New();
        bn.ModAdd(r, kv, gb, n);
        bn.Store(r, result);
    }

    /// <summary>u = H(PAD(A) || PAD(B)).</summary>
    internal static void Scrambler(SrpParameters parameters, ReadOnlySpan<byte> clientPublic, ReadOnlySpan<byte> serverPublic, Span<byte> u)
    {
        using IncrementalHash h = parameters.CreateHash();
        h.AppendData(clientPublic);
        h.AppendData(serverPublic);
        h.GetHashAndReset(u);
    }

    /// <summary>S = (B − k·g^x)^(a + u·x) mod N, the client's premaster secret.</summary>
    internal static void ClientPremaster(
        SrpParameters parameters,
        ReadOnlySpan<byte> x,
        ReadOnlySpan<byte> a,
        ReadOnlySpan<byte> u,
        ReadOnlySpan<byte> serverPublic,
        Span<byte> result)
    {
        using BigNumScope bn = new();
        nint n = bn.Load(parameters.Group.Prime);
        nint g = bn.Load(parameters.Group.PaddedGenerator);
        nint k = bn.Load(parameters.Multiplier);
        nint bPub = bn.Load(serverPublic);
        nint uNum = bn.Load(u);
        nint xNum = bn.Load(x, secret: true);
        nint aNum = bn.Load(a, secret: true);

        nint gx = bn.New(secret: true);
        bn.ModExp(gx, g, xNum, n);
        nint kgx = bn.New(secret: true);
        bn.ModMultiply(kgx, k, gx, n);
        nint @base = bn.New(secret: true);
        bn.ModSubtract(@base, bPub, kgx, n);

        // The exponent is left unreduced (at most 2·256 bits plus carry for Coffer): reducing it
        // mod N − 1 would be correct but buys nothing at this size.
        nint ux = bn.New(secret: true);
        bn.Multiply(ux, uNum, xNum);
        nint exponent = bn.New(secret: true);
        bn.Add(exponent, aNum, ux);

        nint s = bn.New(secret: true);
        bn.ModExp(s, @base, exponent, n);
        bn.Store(s, result);
    }

    /// <summary>S = (A · v^u)^b mod N, the server's premaster secret.</summary>
    internal static void ServerPremaster(
        SrpParameters parameters,
        ReadOnlySpan<byte> verifier,
        ReadOnlySpan<byte> b,
        ReadOnlySpan<byte> u,
        ReadOnlySpan<byte> clientPublic,
        Span<byte> result)
    {
        using BigNumScope bn = new();
        nint n = bn.Load(parameters.Group.Prime);
        nint aPub = bn.Load(clientPublic);
        nint uNum = bn.Load(u);
        nint v = bn.Load(verifier, secret: true);
        nint bExp = bn.Load(b, secret: true);

        // v is as good as a password hash, so v^u runs constant-time too.
        nint vu = bn.New(secret: true);
        bn.ModExp(vu, v, uNum, n);
        nint @base = bn.New(secret: true);
        bn.ModMultiply(@base, aPub, vu, n);
        nint s = bn.New(secret: true);
        bn.ModExp(s, @base, bExp, n);
        bn.Store(s, result);
    }

    /// <summary>K = H(PAD(S)).</summary>
    internal static void SessionKey(SrpParameters parameters, ReadOnlySpan<byte> premaster, Span<byte> key)
    {
        using IncrementalHash h = parameters.CreateHash();
        h.AppendData(premaster);
        h.GetHashAndReset(key);
    }

    /// <summary>M1 = H(H(N) XOR H(g) || H(I) || salt || PAD(A) || PAD(B) || K) (RFC 2945 §3).</summary>
    internal static void ClientProof(
        SrpParameters parameters,
        ReadOnlySpan<byte> identity,
        ReadOnlySpan<byte> salt,
        ReadOnlySpan<byte> clientPublic,
        ReadOnlySpan<byte> serverPublic,
        ReadOnlySpan<byte> sessionKey,
        Span<byte> proof)
    {
        Span<byte> identityHash = stackalloc byte[parameters.HashLength];
        using IncrementalHash h = parameters.CreateHash();
        h.AppendData(identity);
        h.GetHashAndReset(identityHash);

        h.AppendData(parameters.GroupHash);
        h.AppendData(identityHash);
        h.AppendData(salt);
        h.AppendData(clientPublic);
        h.AppendData(serverPublic);
        h.AppendData(sessionKey);
        h.GetHashAndReset(proof);
    }

    /// <summary>M2 = H(PAD(A) || M1 || K).</summary>
    internal static void ServerProof(
        SrpParameters parameters,
        ReadOnlySpan<byte> clientPublic,
        ReadOnlySpan<byte> clientProof,
        ReadOnlySpan<byte> sessionKey,
        Span<byte> proof)
    {
        using IncrementalHash h = parameters.CreateHash();
        h.AppendData(clientPublic);
        h.AppendData(clientProof);
        h.AppendData(sessionKey);
        h.GetHashAndReset(proof);
    }
}
