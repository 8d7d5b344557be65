using System.Security.Cryptography;

namespace Coffer.Protocol.Srp;

/// <summary>
/// The server half of one SRP-6a exchange (RFC 5054 §2.5–2.6 with RFC 2945 §3 proofs;
/// PROTOCOL.md §3). With <see cref="SrpParameters.Coffer"/>: a 256-bit random private exponent b,
/// A, B and v of 512 bytes, M1, M2 and the session key K of 32 bytes.
/// </summary>
/// <remarks>
/// <para>
/// One use, in order: send <see cref="PublicKey"/> (B = k·v + g^b mod N); give the client's A and
/// M1 to <see cref="VerifyClientProof"/> and send the returned M2; then
/// <see cref="ExportSessionKey"/>. A step called again, or after a failure, throws
/// <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// Values from the client are authentication input, not arguments: an A of the wrong length or
/// not in 0 &lt; A &lt; N, and a wrong M1, make <see cref="VerifyClientProof"/> return null (no
/// reason given), and the exchange is over. <see cref="Dispose"/> zeroes b, v and K. Not thread-safe.
/// </para>
/// </remarks>
public sealed class SrpServer : IDisposable
{
    private readonly SrpParameters _parameters;
    private readonly byte[] _identity;
    private readonly byte[] _salt;
    private readonly byte[] _verifier;
    private readonly byte[] _b;
    private readonly byte[] _publicKey;
    private readonly byte[] _sessionKey;
    private Step _step;

    /// <summary>Starts an exchange for one account: draws b and computes B = k·v + g^b mod N.</summary>
    /// <param name="parameters">The SRP parameters; Coffer uses <see cref="SrpParameters.Coffer"/>.</param>
    /// <param name="identity">I, the member id; ASCII only.</param>
    /// <param name="salt">The account's salt, raw bytes.</param>
    /// <param name="verifier">
    /// The stored verifier v, exactly <see cref="SrpGroup.PaddedLength"/> bytes with 0 &lt; v &lt; N
    /// (as <see cref="SrpVerifier.Compute"/> makes it). It is copied; the caller zeroes its own copy.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or <paramref name="identity"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="identity"/> is not ASCII, or <paramref name="verifier"/> is not a verifier of this group.</exception>
    /// <exception cref="DllNotFoundException">OpenSSL's libcrypto is not installed (docs/adr/0003).</exception>
    public SrpServer(SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> verifier)
        : this(parameters, identity, salt, verifier, RandomNumberGenerator.GetBytes(SrpMath.PrivateKeyLength))
    {
    }

    // Takes ownership of privateKey (zeroed on failure and on Dispose).
    private SrpServer(SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> verifier, byte[] privateKey)
        : this(parameters, identity, salt, verifier, privateKey, [])
    {
    }

    // Takes ownership of privateKey. An empty sentPublicKey means "compute B"; otherwise it is the B already sent for this b and v.
    private SrpServer(SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> verifier, byte[] privateKey,
        ReadOnlySpan<byte> sentPublicKey)
    {
        _b = privateKey;
        try
        {
            ArgumentNullException.ThrowIfNull(parameters);
            if (!SrpMath.IsValidPublicValue(parameters.Group, verifier))
            {
                throw new ArgumentException(
                    "The verifier must be exactly " + parameters.Group.PaddedLength + " bytes, with 0 < v < N.", nameof(verifier));
            }
            _identity = SrpIdentity.Encode(identity);
            _parameters = parameters;
            _salt = salt.ToArray();
            _verifier = verifier.ToArray();
            if (sentPublicKey.IsEmpty)
            {
                _publicKey = new byte[parameters.Group.PaddedLength];
                SrpMath.ServerPublicValue(parameters, _verifier, _b, _publicKey);
            }
            else if (SrpMath.IsValidPublicValue(parameters.Group, sentPublicKey))
            {
                _publicKey = sentPublicKey.ToArray();
            }
            else
            {
                throw new ArgumentException("B must be exactly " + parameters.Group.PaddedLength + " bytes, with 0 < B < N.", nameof(sentPublicKey));
            }
            _sessionKey = new byte[parameters.HashLength];
        }
        catch
        {
            CryptographicOperations.ZeroMemory(_b);
            if (_verifier is not null)
            {
                CryptographicOperations.ZeroMemory(_verifier);
            }
            throw;
        }
    }

    private enum Step
    {
        AwaitingClientProof,
        Authenticated,
        Failed,
        Disposed,
    }

    /// <summary>B = (k·v + g^b) mod N, exactly <see cref="SrpGroup.PaddedLength"/> bytes: send it to the client.</summary>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public ReadOnlySpan<byte> PublicKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_step == Step.Disposed, this);
            return _publicKey;
        }
    }

    /// <summary>
    /// Takes the client's A and proof M1, checks M1 in constant time, and returns the server proof
    /// M2 to send. Rejects A unless it is exactly <see cref="SrpGroup.PaddedLength"/> bytes with
    /// 0 &lt; A &lt; N.
    /// </summary>
    /// <param name="clientPublicKey">A as received.</param>
    /// <param name="clientProof">M1 as received.</param>
    /// <returns>M2 (<see cref="SrpParameters.HashLength"/> bytes), or null if A or M1 is rejected; the exchange is then over.</returns>
    /// <exception cref="InvalidOperationException">Not the next step of this exchange.</exception>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public byte[]? VerifyClientProof(ReadOnlySpan<byte> clientPublicKey, ReadOnlySpan<byte> clientProof)
    {
        ObjectDisposedException.ThrowIf(_step == Step.Disposed, this);
        if (_step != Step.AwaitingClientProof)
        {
            throw new InvalidOperationException(_step == Step.Failed
                ? "This SRP exchange has failed; start a new one."
                : "This SRP exchange is already complete.");
        }
        _step = Step.Failed;
        try
        {
            if (!SrpMath.IsValidPublicValue(_parameters.Group, clientPublicKey))
            {
                return null;
            }

            Span<byte> u = stackalloc byte[_parameters.HashLength];
            SrpMath.Scrambler(_parameters, clientPublicKey, _publicKey, u);

            byte[] premaster = new byte[_parameters.Group.PaddedLength];
            try
            {
                SrpMath.ServerPremaster(_parameters, _verifier, _b, u, clientPublicKey, premaster);
                SrpMath.SessionKey(_parameters, premaster, _sessionKey);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(premaster);
            }

            Span<byte> expectedProof = stackalloc byte[_parameters.HashLength];
            SrpMath.ClientProof(_parameters, _identity, _salt, clientPublicKey, _publicKey, _sessionKey, expectedProof);
            bool valid = CryptographicOperations.FixedTimeEquals(expectedProof, clientProof);
            CryptographicOperations.ZeroMemory(expectedProof);
            if (!valid)
            {
                return null;
            }

            byte[] serverProof = new byte[_parameters.HashLength];
            SrpMath.ServerProof(_parameters, clientPublicKey, clientProof, _sessionKey, serverProof);
            _step = Step.Authenticated;
            return serverProof;
        }
        finally
        {
            // b and v are spent whatever happened; K survives only on success.
            CryptographicOperations.ZeroMemory(_b);
            CryptographicOperations.ZeroMemory(_verifier);
            if (_step == Step.Failed)
            {
                CryptographicOperations.ZeroMemory(_sessionKey);
            }
        }
    }

    /// <summary>
    /// A copy of the session key K = H(PAD(S)) (<see cref="SrpParameters.HashLength"/> bytes),
    /// available once <see cref="VerifyClientProof"/> has accepted the client. The caller zeroes it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The client has not been authenticated.</exception>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public byte[] ExportSessionKey()
    {
        ObjectDisposedException.ThrowIf(_step == Step.Disposed, this);
        if (_step != Step.Authenticated)
        {
            throw new InvalidOperationException("The client has not been authenticated.");
        }
        return _sessionKey.ToArray();
    }

    /// <summary>
    /// Exports the private ephemeral b (32 bytes) so that a server with several nodes can finish the
    /// exchange on whichever node receives the client's proof (<c>Resume</c>). Whoever can read
    /// it, A and v can compute this exchange's session key: store it no more widely than session keys,
    /// delete it when the exchange ends, and zero the returned copy.
    /// </summary>
    /// <exception cref="InvalidOperationException">The exchange already ended.</exception>
    public byte[] ExportPrivateEphemeral()
    {
        ObjectDisposedException.ThrowIf(_step == Step.Disposed, this);
        if (_step != Step.AwaitingClientProof)
        {
            throw new InvalidOperationException("The exchange already ended.");
        }
        return _b.ToArray();
    }

    /// <summary>
    /// Resumes an exchange started elsewhere from its exported b: recomputes B (which equals what
    /// was sent) and awaits the client's proof.
    /// </summary>
    /// <exception cref="ArgumentException">b is not 32 bytes, or another argument is invalid as for the constructor.</exception>
    public static SrpServer Resume(SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> verifier,
        ReadOnlySpan<byte> privateEphemeral)
    {
        if (privateEphemeral.Length != SrpMath.PrivateKeyLength)
        {
            throw new ArgumentException("b is 32 bytes.", nameof(privateEphemeral));
        }
        return new SrpServer(parameters, identity, salt, verifier, privateEphemeral.ToArray());
    }

    /// <summary>
    /// Resumes an exchange started elsewhere from its exported b and the B that was sent, without recomputing B: one
    /// modular exponentiation (g^b) less than <see cref="Resume(SrpParameters, string, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.
    /// B is trusted to be the <see cref="PublicKey"/> the first node sent for this b and v (keep it where b is kept); a
    /// different B only makes the client's proof fail.
    /// </summary>
    /// <param name="parameters">The SRP parameters; Coffer uses <see cref="SrpParameters.Coffer"/>.</param>
    /// <param name="identity">I, the member id; ASCII only.</param>
    /// <param name="salt">The account's salt, raw bytes.</param>
    /// <param name="verifier">The verifier the exchange started with; copied.</param>
    /// <param name="privateEphemeral">b from <see cref="ExportPrivateEphemeral"/>, 32 bytes; copied.</param>
    /// <param name="publicKey">B as sent, exactly <see cref="SrpGroup.PaddedLength"/> bytes with 0 &lt; B &lt; N.</param>
    /// <exception cref="ArgumentException">b is not 32 bytes, B is not a value of this group, or another argument is invalid as for the constructor.</exception>
    public static SrpServer Resume(SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> verifier,
        ReadOnlySpan<byte> privateEphemeral, ReadOnlySpan<byte> publicKey)
    {
        if (privateEphemeral.Length != SrpMath.PrivateKeyLength)
        {
            throw new ArgumentException("b is 32 bytes.", nameof(privateEphemeral));
        }
        if (publicKey.IsEmpty)
        {
            throw new ArgumentException("B is required.", nameof(publicKey));
        }
        return new SrpServer(parameters, identity, salt, verifier, privateEphemeral.ToArray(), publicKey);
    }

    /// <summary>Zeroes b, v and K; the server is unusable afterwards.</summary>
    public void Dispose()
    {
        if (_step == Step.Disposed)
        {
            return;
        }
        _step = Step.Disposed;
        CryptographicOperations.ZeroMemory(_b);
        CryptographicOperations.ZeroMemory(_verifier);
        CryptographicOperations.ZeroMemory(_sessionKey);
    }

    /// <summary>A server with a chosen private exponent b, for known-answer tests and benchmarks only.</summary>
    internal static SrpServer CreateWithPrivateKey(
        SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> verifier, ReadOnlySpan<byte> privateKey) =>
        new(parameters, identity, salt, verifier, privateKey.ToArray());
}
