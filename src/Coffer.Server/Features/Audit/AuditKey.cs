using System.Security.Cryptography;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Configuration;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// The server's audit key (PROTOCOL.md §11): ECDSA P-256 (<see cref="EcdsaP256"/>), unencrypted PKCS#8 DER in a 0600
/// file under the data directory, made at first start and never written to the database, so whoever holds only the
/// database cannot sign checkpoints. Several nodes must share the file. The organisation root certifies it (the
/// <c>audit-key</c> record, docs/adr/0016): the first Owner's client at setup, or an Owner later through
/// <c>POST /api/v1/audit/key-certificate</c>. A new file is a new key, uncertified until an Owner certifies it again.
/// Each checkpoint row carries the public key it was signed with; <c>coffer-server audit verify</c> trusts the key in
/// this file and any key the root certified.
/// </summary>
internal sealed class AuditKey : IDisposable
{
    public const string FileName = "audit-key.p8";

    private readonly EcdsaP256PrivateKey _key;

    private AuditKey(EcdsaP256PrivateKey key) => _key = key;

    public EcdsaP256PublicKey PublicKey => _key.PublicKey;

    public static string PathIn(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), FileName);

    /// <summary>Loads the key from <paramref name="dataDirectory"/>, creating it (0600, directory 0700) if it does not exist.</summary>
    public static AuditKey LoadOrCreate(string dataDirectory)
    {
        string path = PathIn(dataDirectory);
        if (!File.Exists(path))
        {
            TryCreate(path);
        }
        return Load(path) ?? throw new InvalidOperationException($"The audit key file {path} is missing.");
    }

    /// <summary>Loads the key, or null when the file does not exist.</summary>
    /// <exception cref="InvalidOperationException">The file is not a P-256 PKCS#8 key.</exception>
    public static AuditKey? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        byte[] pkcs8 = File.ReadAllBytes(path);
        try
        {
            return new AuditKey(EcdsaP256.ImportPrivateKey(pkcs8));
        }
        catch (ArgumentException)
        {
            throw new InvalidOperationException($"The audit key file {path} does not hold a P-256 PKCS#8 key.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    public byte[] Sign(TbsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Sign(_key);
    }

    public void Dispose() => _key.Dispose();

    private static void TryCreate(string path)
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        byte[] pkcs8 = key.ExportPkcs8();
        try
        {
            PrivateKeyFile.CreateOnce(path, pkcs8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}
