using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Coffer.Protocol.Srp;

/// <summary>
/// The only door to OpenSSL's libcrypto: the handful of BIGNUM functions SRP-6a needs
/// (OpenSSL 3 <c>bn.h</c>; the same signatures exist in 1.1.1). Loaded on first use, never
/// at startup, so code that does not run SRP never needs the library.
/// </summary>
/// <remarks>
/// Function pointers from <see cref="NativeLibrary"/> rather than <c>[DllImport]</c> with a
/// resolver: an assembly can have only one <c>DllImportResolver</c>, and a missing library then
/// surfaces as one clear <see cref="DllNotFoundException"/> from <see cref="Instance"/> instead of
/// a <see cref="TypeInitializationException"/> at some later call. See docs/adr/0003.
/// </remarks>
internal sealed unsafe class LibCrypto
{
    /// <summary><c>BN_FLG_CONSTTIME</c>: routes BN_div and friends through their branch-free paths.</summary>
    internal const int FlagConstTime = 0x04;

    // The sonames .NET itself accepts on Linux (it requires OpenSSL 1.1.1 or later), newest first.
    private static readonly string[] LibraryNames = ["libcrypto.so.3", "libcrypto.so.1.1"];

    private static readonly Lazy<LibCrypto> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly delegate* unmanaged<nint> _bnNew;
    private readonly delegate* unmanaged<nint, void> _bnClearFree;
    private readonly delegate* unmanaged<nint> _bnCtxNew;
    private readonly delegate* unmanaged<nint, void> _bnCtxFree;
    private readonly delegate* unmanaged<byte*, int, nint, nint> _bnBin2Bn;
    private readonly delegate* unmanaged<nint, byte*, int, int> _bnBn2BinPad;
    private readonly delegate* unmanaged<nint, int> _bnNumBits;
    private readonly delegate* unmanaged<nint, int, void> _bnSetFlags;
    private readonly delegate* unmanaged<nint, int> _bnIsZero;
    private readonly delegate* unmanaged<nint, nint, int> _bnCmp;
    private readonly delegate* unmanaged<nint, nint, nint, int> _bnAdd;
    private readonly delegate* unmanaged<nint, nint, nint, nint, int> _bnMul;
    private readonly delegate* unmanaged<nint, nint, nint, nint, int> _bnNnMod;
    private readonly delegate* unmanaged<nint, nint, nint, nint, nint, int> _bnModAdd;
    private readonly delegate* unmanaged<nint, nint, nint, nint, nint, int> _bnModSub;
    private readonly delegate* unmanaged<nint, nint, nint, nint, nint, int> _bnModMul;
    private readonly delegate* unmanaged<nint, nint, nint, nint, nint, nint, int> _bnModExpMontConstTime;

    private LibCrypto(nint library, string name)
    {
        Name = name;
        _bnNew = (delegate* unmanaged<nint>)Export(library, "BN_new");
        _bnClearFree = (delegate* unmanaged<nint, void>)Export(library, "BN_clear_free");
        _bnCtxNew = (delegate* unmanaged<nint>)Export(library, "BN_CTX_new");
        _bnCtxFree = (delegate* unmanaged<nint, void>)Export(library, "BN_CTX_free");
        _bnBin2Bn = (delegate* unmanaged<byte*, int, nint, nint>)Export(library, "BN_bin2bn");
        _bnBn2BinPad = (delegate* unmanaged<nint, byte*, int, int>)Export(library, "BN_bn2binpad");
        _bnNumBits = (delegate* unmanaged<nint, int>)Export(library, "BN_num_bits");
        _bnSetFlags = (delegate* unmanaged<nint, int, void>)Export(library, "BN_set_flags");
        _bnIsZero = (delegate* unmanaged<nint, int>)Export(library, "BN_is_zero");
        _bnCmp = (delegate* unmanaged<nint, nint, int>)Export(library, "BN_cmp");
        _bnAdd = (delegate* unmanaged<nint, nint, nint, int>)Export(library, "BN_add");
        _bnMul = (delegate* unmanaged<nint, nint, nint, nint, int>)Export(library, "BN_mul");
        _bnNnMod = (delegate* unmanaged<nint, nint, nint, nint, int>)Export(library, "BN_nnmod");
        _bnModAdd = (delegate* unmanaged<nint, nint, nint, nint, nint, int>)Export(library, "BN_mod_add");
        _bnModSub = (delegate* unmanaged<nint, nint, nint, nint, nint, int>)Export(library, "BN_mod_sub");
        _bnModMul = (delegate* unmanaged<nint, nint, nint, nint, nint, int>)Export(library, "BN_mod_mul");
        _bnModExpMontConstTime =
            (delegate* unmanaged<nint, nint, nint, nint, nint, nint, int>)Export(library, "BN_mod_exp_mont_consttime");
    }

    /// <summary>The loaded library; the first call loads it.</summary>
    /// <exception cref="DllNotFoundException">No usable libcrypto on this machine.</exception>
    /// <exception cref="EntryPointNotFoundException">The libcrypto found lacks a needed function.</exception>
    internal static LibCrypto Instance => Loaded.Value;

    /// <summary>The soname that was loaded (for diagnostics and the ADR's claims).</summary>
    internal string Name { get; }

    internal nint BnNew() => _bnNew();

    internal void BnClearFree(nint bn) => _bnClearFree(bn);

    internal nint BnCtxNew() => _bnCtxNew();

    internal void BnCtxFree(nint ctx) => _bnCtxFree(ctx);

    internal nint BnBin2Bn(byte* source, int length, nint result) => _bnBin2Bn(source, length, result);

    internal int BnBn2BinPad(nint bn, byte* destination, int length) => _bnBn2BinPad(bn, destination, length);

    internal int BnNumBits(nint bn) => _bnNumBits(bn);

    internal void BnSetFlags(nint bn, int flags) => _bnSetFlags(bn, flags);

    internal bool BnIsZero(nint bn) => _bnIsZero(bn) != 0;

    internal int BnCmp(nint a, nint b) => _bnCmp(a, b);

    internal int BnAdd(nint r, nint a, nint b) => _bnAdd(r, a, b);

    internal int BnMul(nint r, nint a, nint b, nint ctx) => _bnMul(r, a, b, ctx);

    internal int BnNnMod(nint r, nint a, nint m, nint ctx) => _bnNnMod(r, a, m, ctx);

    internal int BnModAdd(nint r, nint a, nint b, nint m, nint ctx) => _bnModAdd(r, a, b, m, ctx);

    internal int BnModSub(nint r, nint a, nint b, nint m, nint ctx) => _bnModSub(r, a, b, m, ctx);

    internal int BnModMul(nint r, nint a, nint b, nint m, nint ctx) => _bnModMul(r, a, b, m, ctx);

    /// <summary>
    /// <c>BN_mod_exp_mont_consttime(rr, a, p, m, ctx, NULL)</c>: m must be odd; a is reduced
    /// mod m first if needed; OpenSSL builds the Montgomery context itself.
    /// </summary>
    internal int BnModExpConstTime(nint r, nint a, nint p, nint m, nint ctx) =>
        _bnModExpMontConstTime(r, a, p, m, ctx, 0);

    private static LibCrypto Load()
    {
        foreach (string name in LibraryNames)
        {
            if (NativeLibrary.TryLoad(name, out nint library))
            {
                return new LibCrypto(library, name);
            }
        }
        throw new DllNotFoundException(
            "Coffer's SRP sign-in needs OpenSSL's libcrypto (" + string.Join(" or ", LibraryNames) +
            ") for constant-time modular exponentiation, and none could be loaded. " +
            "Install OpenSSL 3 (Debian/Ubuntu: apt-get install libssl3). See docs/adr/0003-srp-modexp-libcrypto.md.");
    }

    private static nint Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out nint address)
            ? address
            : throw new EntryPointNotFoundException(
                "The libcrypto that was loaded has no '" + name + "'; Coffer's SRP needs OpenSSL 1.1.1 or later.");
}

/// <summary>
/// One BN_CTX and the BIGNUMs made from it. Disposing clears every BIGNUM with
/// <c>BN_clear_free</c> (secret or not: it costs nothing and nobody must remember which).
/// Not thread-safe; lives for one computation.
/// </summary>
internal sealed unsafe class BigNumScope : IDisposable
{
    private readonly LibCrypto _lib;
    private readonly List<nint> _owned = new(12);
    private nint _ctx;

    internal BigNumScope()
    {
        _lib = LibCrypto.Instance;
        _ctx = _lib.BnCtxNew();
        if (_ctx == 0)
        {
            throw new CryptographicException("libcrypto: BN_CTX_new failed.");
        }
    }

    /// <summary>A new BIGNUM (value zero), flagged constant-time when it will hold a secret.</summary>
    internal nint New(bool secret = false)
    {
        nint bn = _lib.BnNew();
        if (bn == 0)
        {
            throw new CryptographicException("libcrypto: BN_new failed.");
        }
        _owned.Add(bn);
        if (secret)
        {
            _lib.BnSetFlags(bn, LibCrypto.FlagConstTime);
        }
        return bn;
    }

    /// <summary>A BIGNUM holding the unsigned big-endian integer in <paramref name="bigEndian"/>.</summary>
    internal nint Load(ReadOnlySpan<byte> bigEndian, bool secret = false)
    {
        nint bn = New(secret);
        fixed (byte* p = bigEndian)
        {
            if (_lib.BnBin2Bn(p, bigEndian.Length, bn) == 0)
            {
                throw new CryptographicException("libcrypto: BN_bin2bn failed.");
            }
        }
        return bn;
    }

    /// <summary>Writes <paramref name="bn"/> big-endian, left-padded with zeros to exactly the destination's length.</summary>
    internal void Store(nint bn, Span<byte> destination)
    {
        fixed (byte* p = destination)
        {
            if (_lib.BnBn2BinPad(bn, p, destination.Length) != destination.Length)
            {
                throw new CryptographicException("libcrypto: BN_bn2binpad failed (value too large).");
            }
        }
    }

    internal int NumBits(nint bn) => _lib.BnNumBits(bn);

    internal bool IsZero(nint bn) => _lib.BnIsZero(bn);

    internal int Compare(nint a, nint b) => _lib.BnCmp(a, b);

    /// <summary>r = a + b (no reduction).</summary>
    internal void Add(nint r, nint a, nint b) => Check(_lib.BnAdd(r, a, b), "BN_add");

    /// <summary>r = a · b (no reduction).</summary>
    internal void Multiply(nint r, nint a, nint b) => Check(_lib.BnMul(r, a, b, _ctx), "BN_mul");

    /// <summary>r = a mod m, in [0, m).</summary>
    internal void Reduce(nint r, nint a, nint m) => Check(_lib.BnNnMod(r, a, m, _ctx), "BN_nnmod");

    /// <summary>r = (a + b) mod m.</summary>
    internal void ModAdd(nint r, nint a, nint b, nint m) => Check(_lib.BnModAdd(r, a, b, m, _ctx), "BN_mod_add");

    /// <summary>r = (a − b) mod m, in [0, m).</summary>
    internal void ModSubtract(nint r, nint a, nint b, nint m) => Check(_lib.BnModSub(r, a, b, m, _ctx), "BN_mod_sub");

    /// <summary>r = (a · b) mod m.</summary>
    internal void ModMultiply(nint r, nint a, nint b, nint m) => Check(_lib.BnModMul(r, a, b, m, _ctx), "BN_mod_mul");

    /// <summary>r = a^p mod m in constant time (m odd).</summary>
    internal void ModExp(nint r, nint a, nint p, nint m) =>
        Check(_lib.BnModExpConstTime(r, a, p, m, _ctx), "BN_mod_exp_mont_consttime");

    public void Dispose()
    {
        foreach (nint bn in _owned)
        {
            _lib.BnClearFree(bn);
        }
        _owned.Clear();
        if (_ctx != 0)
        {
            // BN_CTX_free clears its pooled temporaries as it frees them.
            _lib.BnCtxFree(_ctx);
            _ctx = 0;
        }
    }

    private static void Check(int result, string function)
    {
        if (result != 1)
        {
            throw new CryptographicException("libcrypto: " + function + " failed.");
        }
    }
}
