using System.Security.Cryptography;

namespace Coffer.Protocol.Srp;

/// <summary>
/// The client half of one SRP-6a exchange (RFC 5054 §2.5–2.6 with RFC 2945 §3 proofs;
/// PROTOCOL.md §3). With <see cref="SrpParameters.Coffer"/>: a 256-bit random private exponent a,
/// A and B of 512 bytes, M1, M2 and the session key K of 32 bytes.
/// </summary>
/// <remarks>
/// <para>
/// One use, in order: send <see cref="PublicKey"/> (A); give the server's B to
/// <see cref="ComputeProof"/> and send the returned M1; check the server's M2 with
/// <see cref="VerifyServerProof"/>; only then <see cref="ExportSessionKey"/>. A step called out of
/// order, again, or after a failure throws <see cref="InvalidOperationException"/>.
/// </para>
/// <para>
/// Values from the server are authentication input, not arguments: a B of the wrong length or out
/// of range, and a wrong M2, make the step return null / false (no reason given), and the exchange
/// is over. <see cref="Dispose"/> zeroes a, x and K. Not thread-safe.
/// </para>
/// </remarks>
public sealed class SrpClient : IDisposable
{
    private readonly SrpParameters _parameters;
    private readonly byte[] _identity;
    private readonly byte[] _salt;
    private readonly byte[] _x;
    private readonly byte[] _a;
    private readonly byte[] _publicKey;
    private readonly byte[] _sessionKey;
    private readonly byte[] _expectedServerProof;
    private Step _step;

    /// <summary>Starts an exchange: draws a and computes A = g^a mod N.</summary>
    /// <param name="parameters">The SRP parameters; Coffer uses <see cref="SrpParameters.Coffer"/>.</param>
    /// <param name="identity">I, the member id; ASCII only.</param>
    /// <param name="salt">The salt, raw bytes (Coffer: the 16-byte 2SKD salt).</param>
    /// <param name="x">
    /// The private value x, big-endian, 1 to <see cref="SrpGroup.PaddedLength"/> bytes (Coffer: the
    /// 32-byte 2SKD output). It is copied; the caller zeroes its own copy.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> or <paramref name="identity"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="identity"/> is not ASCII, or <paramref name="x"/> has a bad length.</exception>
    /// <exception cref="DllNotFoundException">OpenSSL's libcrypto is not installed (docs/adr/0003).</exception>
    public SrpClient(SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> x)
        : this(parameters, identity, salt, x, RandomNumberGenerator.GetBytes(SrpMath.PrivateKeyLength))
    {
    }

    // Takes ownership of privateKey (zeroed on failure and on Dispose).
    private SrpClient(SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> x, byte[] privateKey)
    {
        _a = privateKey;
        try
        {
            ArgumentNullException.ThrowIfNull(parameters);
            SrpVerifier.CheckPrivateValue(parameters, x);
            _identity = SrpIdentity.Encode(identity);
            _parameters = parameters;
            _salt = salt.ToArray();
            _x = x.ToArray();
            _publicKey = new byte[parameters.Group.PaddedLength];
            SrpMath.GeneratorPower(parameters, _a, _publicKey);
            _sessionKey = new byte[parameters.HashLength];
            _expectedServerProof = new byte[parameters.HashLength];
        }
        catch
        {
            CryptographicOperations.ZeroMemory(_a);
            if (_x is not null)
            {
                CryptographicOperations.ZeroMemory(_x);
            }
            throw;
        }
    }

    private enum Step
    {
        AwaitingServerPublicKey,
        AwaitingServerProof,
        Authenticated,
        Failed,
        Disposed,
    }

    /// <summary>A = g^a mod N, exactly <see cref="SrpGroup.PaddedLength"/> bytes: send it to the server.</summary>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public ReadOnlySpan<byte> PublicKey
    {
        get
        {
            ObjectDisposedException.ThrowIf(_step == Step.Disposed, this);
            return _publicKey;
        }
    }

    /// <summary>
    /// Takes the server's B and returns the client proof M1 to send, keeping K. Rejects B unless it
    /// is exactly <see cref="SrpGroup.PaddedLength"/> bytes with 0 &lt; B &lt; N, and rejects u = 0.
    /// </summary>
    /// <param name="serverPublicKey">B as received.</param>
    /// <returns>M1 (<see cref="SrpParameters.HashLength"/> bytes), or null if B is rejected; the exchange is then over.</returns>
    /// <exception cref="InvalidOperationException">Not the next step of this exchange.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public byte[]? ComputeProof(ReadOnlySpan<byte> serverPublicKey)
    {
        Expect(Step.AwaitingServerPublicKey);
        _step = Step.Failed;
        try
        {
            if (!SrpMath.IsValidPublicValue(_parameters.Group, serverPublicKey))
            {
                return null;
            }

            Span<byte> u = stackalloc byte[_parameters.HashLength];
            SrpMath.Scrambler(_parameters, _publicKey, serverPublicKey, u);
            if (!u.ContainsAnyExcept((byte)0))
            {
                return null;
            }

            byte[] premaster = new byte[_parameters.Group.PaddedLength];
            try
            {
                SrpMath.ClientPremaster(_parameters, _x, _a, u, serverPublicKey, premaster);
                SrpMath.SessionKey(_parameters, premaster, _sessionKey);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(premaster);
            }

            byte[] proof = new byte[_parameters.HashLength];
            SrpMath.ClientProof(_parameters, _identity, _salt, _publicKey, serverPublicKey, _sessionKey, proof);
            SrpMath.ServerProof(_parameters, _publicKey, proof, _sessionKey, _expectedServerProof);
            _step = Step.AwaitingServerProof;
            return proof;
        }
        finally
        {
            // a and x are spent whatever happened; K survives only on success.
            CryptographicOperations.ZeroMemory(_a);
            CryptographicOperations.ZeroMemory(_x);
            if (_step == Step.Failed)
            {
                CryptographicOperations.ZeroMemory(_sessionKey);
            }
        }
    }

    /// <summary>Checks the server's proof M2 in constant time.</summary>
    /// <param name="serverProof">M2 as received.</param>
    /// <returns>True if the server knew the verifier; false otherwise, and the exchange is over.</returns>
    /// <exception cref="InvalidOperationException">Not the next step of this exchange.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public bool VerifyServerProof(ReadOnlySpan<byte> serverProof)
    {
        Expect(Step.AwaitingServerProof);
        bool valid = CryptographicOperations.FixedTimeEquals(_expectedServerProof, serverProof);
        CryptographicOperations.ZeroMemory(_expectedServerProof);
        if (!valid)
        {
            CryptographicOperations.ZeroMemory(_sessionKey);
            _step = Step.Failed;
            return false;
        }
        _step = Step.Authenticated;
        return true;
    }

    /// <summary>
    /// A copy of the session key K = H(PAD(S)) (<see cref="SrpParameters.HashLength"/> bytes),
    /// available once <see cref="VerifyServerProof"/> has returned true. The caller zeroes it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server has not been authenticated.</exception>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public byte[] ExportSessionKey()
    {
        Expect(Step.Authenticated);
        return _sessionKey.ToArray();
    }

    /// <summary>Zeroes a, x, K and the expected proof; the client is unusable afterwards.</summary>
    public void Dispose()
    {
        if (_step == Step.Disposed)
        {
            return;
        }
        _step = Step.Disposed;
        CryptographicOperations.ZeroMemory(_a);
        CryptographicOperations.ZeroMemory(_x);
        CryptographicOperations.ZeroMemory(_sessionKey);
        CryptographicOperations.ZeroMemory(_expectedServerProof);
    }

    /// <summary>A client with a chosen private exponent a, for known-answer tests and benchmarks only.</summary>
    internal static SrpClient CreateWithPrivateKey(
        SrpParameters parameters, string identity, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> x, ReadOnlySpan<byte> privateKey) =>
        new(parameters, identity, salt, x, privateKey.ToArray());

    private void Expect(Step step)
    {
        ObjectDisposedException.ThrowIf(_step == Step.Disposed, this);
        if (_step != step)
        {
            throw new InvalidOperationException(_step == Step.Failed
                ? "This SRP exchange has failed; start a new one."
                : "This SRP step is out of order.");
        }
    }
}
