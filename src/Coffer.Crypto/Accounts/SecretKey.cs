using System.Security.Cryptography;

namespace Coffer.Crypto.Accounts;

/// <summary>
/// The Secret Key of PROTOCOL.md §1: <c>C1-AAAAAA-XXXXXX-XXXXX-XXXXX-XXXXX-XXXXX</c> —
/// version <c>C1</c>, a 6-character account id (not secret) and 26 secret characters,
/// each drawn uniformly from a 31-symbol alphabet (26·log2(31) ≈ 128.8 bits). It is
/// generated on the client, never sent to a server, and zeroed on dispose.
/// </summary>
public sealed class SecretKey : IDisposable
{
    /// <summary>The 31 symbols: digits 2–9 and letters without I, O and U.</summary>
    public const string Alphabet = "23456789ABCDEFGHJKLMNPQRSTVWXYZ";

    /// <summary>The version prefix of protocol version 1.</summary>
    public const string Version = "C1";

    /// <summary>Length of the account id.</summary>
    public const int AccountIdLength = 6;

    /// <summary>Number of secret characters.</summary>
    public const int SecretLength = 26;

    private readonly byte[] _secret; // 26 ASCII bytes, pinned so zeroing reaches the only copy
    private bool _disposed;

    private SecretKey(string accountId, byte[] secret)
    {
        AccountId = accountId;
        _secret = secret;
    }

    /// <summary>The organisation's account id (6 characters of <see cref="Alphabet"/>).</summary>
    public string AccountId { get; }

    /// <summary>Generates a Secret Key for an account id.</summary>
    /// <exception cref="ArgumentException">The account id is not 6 characters of the alphabet.</exception>
    public static SecretKey Generate(string accountId)
    {
        ValidateAccountId(accountId);
        byte[] secret = GC.AllocateUninitializedArray<byte>(SecretLength, pinned: true);
        for (int i = 0; i < SecretLength; i++)
        {
            secret[i] = (byte)Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new SecretKey(accountId, secret);
    }

    /// <summary>Generates a new account id for an organisation (not secret).</summary>
    public static string GenerateAccountId() =>
        string.Create(AccountIdLength, 0, static (chars, _) =>
        {
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });

    /// <summary>
    /// Parses a Secret Key as a person types it: ASCII letters are upper-cased, spaces
    /// and hyphens ignored, anything else rejected.
    /// </summary>
    /// <exception cref="FormatException">Not a Secret Key; the message says why but never repeats the key.</exception>
    public static SecretKey Parse(ReadOnlySpan<char> text)
    {
        const int total = 2 + AccountIdLength + SecretLength;
        Span<byte> compact = stackalloc byte[total];
        int n = 0;
        try
        {
            foreach (char raw in text)
            {
                if (raw is ' ' or '-')
                {
                    continue;
                }
                char c = raw is >= 'a' and <= 'z' ? (char)(raw - 32) : raw;
                bool allowed = (n < 2 && c is 'C' or '1') || (n >= 2 && Alphabet.Contains(c, StringComparison.Ordinal));
                if (n >= total)
                {
                    throw new FormatException("A Secret Key has 34 characters besides hyphens and spaces; this one has more.");
                }
                if (!allowed)
                {
                    throw new FormatException(n < 2
                        ? "A Secret Key starts with C1."
                        : $"A Secret Key has only the characters {Alphabet} (character {n + 1} is not one of them).");
                }
                compact[n++] = (byte)c;
            }
            if (n < total)
            {
                throw new FormatException("A Secret Key has 34 characters besides hyphens and spaces; this one has fewer.");
            }
            if (compact[0] != (byte)'C' || compact[1] != (byte)'1')
            {
                throw new FormatException("A Secret Key starts with C1.");
            }
            string accountId = System.Text.Encoding.ASCII.GetString(compact.Slice(2, AccountIdLength));
            byte[] secret = GC.AllocateUninitializedArray<byte>(SecretLength, pinned: true);
            compact.Slice(2 + AccountIdLength).CopyTo(secret);
            return new SecretKey(accountId, secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(compact);
        }
    }

    /// <summary>The 26 secret characters as ASCII bytes (the 2SKD input); valid until dispose.</summary>
    public ReadOnlySpan<byte> SecretAscii
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _secret;
        }
    }

    /// <summary>
    /// The display form <c>C1-AAAAAA-XXXXXX-XXXXX-XXXXX-XXXXX-XXXXX</c>, for the
    /// Emergency Kit and the device file. The string cannot be zeroed: keep it short-lived.
    /// </summary>
    public string Format()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return string.Create(2 + 1 + AccountIdLength + 1 + SecretLength + 4, this, static (chars, key) =>
        {
            int o = 0;
            chars[o++] = 'C';
            chars[o++] = '1';
            chars[o++] = '-';
            foreach (char c in key.AccountId)
            {
                chars[o++] = c;
            }
            // Secret groups of 6, 5, 5, 5, 5.
            int[] groups = [6, 5, 5, 5, 5];
            int s = 0;
            foreach (int g in groups)
            {
                chars[o++] = '-';
                for (int i = 0; i < g; i++)
                {
                    chars[o++] = (char)key._secret[s++];
                }
            }
        });
    }

    /// <summary>Zeroes the secret characters.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_secret);
        }
    }

    /// <summary>Throws unless <paramref name="accountId"/> is 6 characters of <see cref="Alphabet"/>.</summary>
    public static void ValidateAccountId(string accountId)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        if (accountId.Length != AccountIdLength)
        {
            throw new ArgumentException("An account id is 6 characters.", nameof(accountId));
        }
        foreach (char c in accountId)
        {
            if (!Alphabet.Contains(c, StringComparison.Ordinal))
            {
                throw new ArgumentException("An account id uses only the Secret Key alphabet.", nameof(accountId));
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"SecretKey(C1-{AccountId}-…)";
}
