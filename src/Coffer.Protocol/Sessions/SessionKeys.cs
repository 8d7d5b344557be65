using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Coffer.Protocol.Envelopes;

namespace Coffer.Protocol.Sessions;

/// <summary>
/// The session layer of PROTOCOL.md §6, bound to the SRP session key K:
/// <c>encKey</c> and <c>macKey</c> = HKDF-SHA256 (RFC 5869) of K with the session id
/// as salt (32 bytes each); request tags are HMAC-SHA256 over method, raw
/// request-target, sequence number and SHA-256 of the body as sent; every body
/// (request and response, empty and error ones included) is an A256GCM envelope
/// under <c>encKey</c> with AAD <c>coffer/session/&lt;sessionId&gt;/&lt;seq&gt;/req</c> or
/// <c>…/resp/&lt;status&gt;</c>. Both halves use this class; zeroed on dispose.
/// </summary>
public sealed class SessionKeys : IDisposable
{
    private static readonly byte[] RequestTagLabel = "coffer/req/v1"u8.ToArray();

    // Most requests (every GET) have no body.
    private static readonly byte[] EmptyBodyHash = SHA256.HashData(ReadOnlySpan<byte>.Empty);

    private readonly byte[] _macKey;
    private readonly EnvelopeKey _encKey;
    // Keyed once and reset after each tag: making an HMAC context (or a one-shot HMAC, which looks the algorithm up again)
    // per request was a visible share of the session layer's cost. Not thread-safe, so used under a lock.
    private readonly IncrementalHash _mac;
    private readonly Lock _macLock = new();
    private bool _disposed;

    private SessionKeys(string sessionId, byte[] macKey, EnvelopeKey encKey)
    {
        SessionId = sessionId;
        _macKey = macKey;
        _encKey = encKey;
        _mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, macKey);
    }

    /// <summary>The session id these keys belong to.</summary>
    public string SessionId { get; }

    /// <summary>The key id of session envelopes: <c>session:&lt;sessionId&gt;</c> (docs/adr/0001).</summary>
    public static string KidFor(string sessionId) => "session:" + sessionId;

    /// <summary>Derives the session keys from the SRP key K (any length, normally 32 bytes) and the session id.</summary>
    /// <exception cref="ArgumentException">K is empty or the session id is not a lowercase id.</exception>
    public static SessionKeys Derive(ReadOnlySpan<byte> sessionKey, string sessionId)
    {
        if (sessionKey.Length < 16)
        {
            throw new ArgumentException("The session key is at least 16 bytes.", nameof(sessionKey));
        }
        ValidateSessionId(sessionId);
        byte[] salt = System.Text.Encoding.ASCII.GetBytes(sessionId);
        byte[] mac = GC.AllocateUninitializedArray<byte>(32, pinned: true);
        Span<byte> enc = stackalloc byte[32];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, sessionKey, enc, salt, "coffer/session/enc"u8);
            HKDF.DeriveKey(HashAlgorithmName.SHA256, sessionKey, mac, salt, "coffer/session/mac"u8);
            return new SessionKeys(sessionId, mac, new EnvelopeKey(KidFor(sessionId), enc));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(enc);
        }
    }

    /// <summary>
    /// Computes the request tag (32 bytes) over the method, the raw request-target as
    /// sent (path and query, e.g. <c>/api/v1/vaults?since=3</c>), the sequence number
    /// and the body bytes as sent (the sealed envelope; empty for none).
    /// </summary>
    public byte[] ComputeRequestTag(string method, string requestTarget, ulong seq, ReadOnlySpan<byte> body)
    {
        byte[] tag = new byte[HMACSHA256.HashSizeInBytes];
        ComputeRequestTag(method, requestTarget, seq, body, tag);
        return tag;
    }

    private void ComputeRequestTag(string method, string requestTarget, ulong seq, ReadOnlySpan<byte> body, Span<byte> tag)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(requestTarget);
        int methodLength = System.Text.Encoding.ASCII.GetByteCount(method);
        int targetLength = System.Text.Encoding.UTF8.GetByteCount(requestTarget);
        if (methodLength > ushort.MaxValue || targetLength > ushort.MaxValue)
        {
            throw new ArgumentException("Field longer than 65535 bytes.");
        }
        int length = RequestTagLabel.Length + 2 + methodLength + 2 + targetLength + 8 + 32;
        byte[]? rented = length > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> message = (rented is null ? stackalloc byte[1024] : rented)[..length];
        try
        {
            RequestTagLabel.CopyTo(message);
            int at = RequestTagLabel.Length;
            BinaryPrimitives.WriteUInt16BigEndian(message[at..], (ushort)methodLength);
            at += 2 + System.Text.Encoding.ASCII.GetBytes(method, message[(at + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(message[at..], (ushort)targetLength);
            at += 2 + System.Text.Encoding.UTF8.GetBytes(requestTarget, message[(at + 2)..]);
            BinaryPrimitives.WriteUInt64BigEndian(message[at..], seq);
            at += 8;
            if (body.IsEmpty)
            {
                EmptyBodyHash.CopyTo(message[at..]);
            }
            else
            {
                SHA256.HashData(body, message[at..]);
            }
            lock (_macLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _mac.AppendData(message);
                _mac.GetHashAndReset(tag);
            }
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Checks a received tag in constant time.</summary>
    public bool VerifyRequestTag(string method, string requestTarget, ulong seq, ReadOnlySpan<byte> body, ReadOnlySpan<byte> tag)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        ComputeRequestTag(method, requestTarget, seq, body, expected);
        return tag.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, tag);
    }
    /// <summary>The <c>Coffer-Auth</c> header value for a request.</summary>
    public string AuthorizationHeader(string method, string requestTarget, ulong seq, ReadOnlySpan<byte> body) =>
        CofferAuthHeader.Format(SessionId, seq, ComputeRequestTag(method, requestTarget, seq, body));

    /// <summary>Seals a request body for sequence number <paramref name="seq"/>.</summary>
    public Envelope SealRequest(ulong seq, ReadOnlySpan<byte> plaintext) => _encKey.Seal(RequestContext(seq), plaintext);

    /// <summary>Opens a request body; null if it was not sealed for this session and sequence number.</summary>
    public byte[]? OpenRequest(ulong seq, Envelope envelope) => _encKey.Open(RequestContext(seq), envelope);

    /// <summary>Seals a response body, binding the HTTP status code.</summary>
    public Envelope SealResponse(ulong seq, int status, ReadOnlySpan<byte> plaintext) => _encKey.Seal(ResponseContext(seq, status), plaintext);

    /// <summary>Opens a response body; null if it was not sealed for this request and status.</summary>
    public byte[]? OpenResponse(ulong seq, int status, Envelope envelope) => _encKey.Open(ResponseContext(seq, status), envelope);

    /// <summary>
    /// Seals event <paramref name="n"/> (1, 2, 3… in the order sent) of the Server-Sent Events stream answering request
    /// <paramref name="seq"/>, AAD <c>coffer/session/&lt;sessionId&gt;/&lt;seq&gt;/event/&lt;n&gt;</c> (ADR 0008).
    /// </summary>
    public Envelope SealEvent(ulong seq, ulong n, ReadOnlySpan<byte> plaintext) => _encKey.Seal(EventContext(seq, n), plaintext);

    /// <summary>Opens event <paramref name="n"/> of the stream answering request <paramref name="seq"/>; null if it is not exactly that event.</summary>
    public byte[]? OpenEvent(ulong seq, ulong n, Envelope envelope) => _encKey.Open(EventContext(seq, n), envelope);

    /// <summary>Zeroes both keys.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        lock (_macLock)
        {
            _disposed = true;
            _mac.Dispose();
        }
        CryptographicOperations.ZeroMemory(_macKey);
        _encKey.Dispose();
    }

    private string RequestContext(ulong seq) =>
        string.Create(CultureInfo.InvariantCulture, $"coffer/session/{SessionId}/{seq}/req");

    private string EventContext(ulong seq, ulong n) =>
        n == 0 ? throw new ArgumentOutOfRangeException(nameof(n)) : string.Create(CultureInfo.InvariantCulture, $"coffer/session/{SessionId}/{seq}/event/{n}");

    private string ResponseContext(ulong seq, int status)
    {
        if (status is < 100 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(status));
        }
        return string.Create(CultureInfo.InvariantCulture, $"coffer/session/{SessionId}/{seq}/resp/{status}");
    }

    internal static void ValidateSessionId(string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        foreach (char c in sessionId)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                throw new ArgumentException("A session id is a lowercase id.", nameof(sessionId));
            }
        }
    }
}
