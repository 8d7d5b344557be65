using System.Buffers.Binary;
using System.Security.Cryptography;
using Coffer.Protocol.Srp;

namespace Coffer.Server.Features.Auth;

/// <summary>
/// What sign-in answers for an email nobody has (PROTOCOL.md §3): a member id that is a UUIDv7
/// whose time and random bits come from HMAC-SHA256(serverSecret, email) with a plausible
/// timestamp, a salt from another such HMAC, the default iterations — and, so that the exchange
/// costs what a real one costs, a verifier from a third. The same email always gets the same
/// answers, so probing twice reveals nothing either.
/// </summary>
internal sealed class DecoyIdentity(byte[] serverSecret, long createdAt)
{
    /// <summary>
    /// The decoy member id: its time lies between the organisation's creation and the moment the decoy
    /// key was made (the first sign-in attempt for an unknown email), so it is in the past like a real
    /// member's, and it never changes — probing the same email twice, days apart, sees the same id.
    /// </summary>
    public string MemberId(string normalizedEmail, long organisationCreatedAt, long decoyKeyCreatedAt)
    {
        byte[] h = Mac("coffer/decoy/member-id", normalizedEmail);
        long span = Math.Max(1, decoyKeyCreatedAt - organisationCreatedAt);
        long ms = organisationCreatedAt + (long)(BinaryPrimitives.ReadUInt64BigEndian(h) % (ulong)span);
        Span<byte> uuid = stackalloc byte[16];
        uuid[0] = (byte)(ms >> 40);
        uuid[1] = (byte)(ms >> 32);
        uuid[2] = (byte)(ms >> 24);
        uuid[3] = (byte)(ms >> 16);
        uuid[4] = (byte)(ms >> 8);
        uuid[5] = (byte)ms;
        h.AsSpan(8, 10).CopyTo(uuid[6..]);
        uuid[6] = (byte)(0x70 | (uuid[6] & 0x0F));   // version 7
        uuid[8] = (byte)(0x80 | (uuid[8] & 0x3F));   // RFC 9562 variant
        return new Guid(uuid, bigEndian: true).ToString("D");
    }

    /// <summary>When the decoy key was made.</summary>
    public long CreatedAt { get; } = createdAt;

    public byte[] Salt(string normalizedEmail) => Mac("coffer/decoy/salt", normalizedEmail)[..16];

    public byte[] Verifier(string normalizedEmail)
    {
        byte[] x = Mac("coffer/decoy/x", normalizedEmail);
        try
        {
            return SrpVerifier.Decoy(SrpParameters.Coffer, x);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(x);
        }
    }

    private byte[] Mac(string label, string normalizedEmail) =>
        HMACSHA256.HashData(serverSecret, System.Text.Encoding.UTF8.GetBytes(label + "\n" + normalizedEmail));
}
