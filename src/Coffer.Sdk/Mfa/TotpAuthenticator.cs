using System.Security.Cryptography;
using Coffer.Contracts.Mfa;
using Coffer.Protocol.Otp;

namespace Coffer.Sdk.Mfa;

/// <summary>
/// A software authenticator (RFC 6238 through <see cref="Totp"/>): keeps the secret of the <c>otpauth://</c> URI it enrolled
/// or was given, and answers a sign-in's factor prompt itself — for programs that sign in unattended, and for tests.
/// The server accepts each time step once, within ±1 step; this authenticator never offers a step it already used, so
/// within one 30-second step it can answer up to twice (the current step and the next); after that it uses a backup code
/// when it holds some (<see cref="AddBackupCodes"/>), else it offers the next step, which the server then refuses.
/// </summary>
/// <remarks>Holding the secret here is holding the factor: keep such an authenticator only where the account's other
/// secrets may be (it is meant for tests and automation, not for a person's second device).</remarks>
public sealed class TotpAuthenticator : IMfaHandler, IDisposable
{
    private readonly TimeProvider _clock;
    private readonly Queue<string> _backupCodes = new();
    private readonly Lock _gate = new();
    private byte[]? _secret;
    private long _lastStep = -1;

    /// <summary>An authenticator that will take the secret of the member's first enrolment.</summary>
    public TotpAuthenticator(TimeProvider? clock = null, string factorName = "Coffer SDK")
    {
        _clock = clock ?? TimeProvider.System;
        FactorName = factorName;
    }

    /// <summary>The name enrolments made through this authenticator give their factor.</summary>
    public string FactorName { get; }

    /// <summary>Whether it holds a secret (it enrolled, or was given a URI).</summary>
    public bool HasSecret
    {
        get
        {
            lock (_gate)
            {
                return _secret is not null;
            }
        }
    }

    /// <summary>Backup codes it holds and has not used.</summary>
    public int BackupCodesLeft
    {
        get
        {
            lock (_gate)
            {
                return _backupCodes.Count;
            }
        }
    }

    /// <summary>Takes the secret of a TOTP <paramref name="otpauthUri"/> (SHA-1, 6 digits, 30 s, as Coffer enrols).</summary>
    /// <exception cref="FormatException">Not a TOTP URI with Coffer's parameters.</exception>
    public void Load(string otpauthUri)
    {
        using OtpAuthUri uri = OtpAuthUri.Parse(otpauthUri);
        if (uri.Type != OtpType.Totp || uri.Algorithm != OtpAlgorithm.Sha1 || uri.Digits != Hotp.MinDigits || uri.Period != Totp.DefaultPeriod)
        {
            throw new FormatException("Not a TOTP URI with SHA-1, 6 digits and a 30-second period.");
        }
        lock (_gate)
        {
            if (_secret is not null)
            {
                CryptographicOperations.ZeroMemory(_secret);
            }
            _secret = uri.Secret.ToArray();
            _lastStep = -1;
        }
    }

    /// <summary>Keeps backup codes to use when no fresh time step is left.</summary>
    public void AddBackupCodes(IEnumerable<string> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        lock (_gate)
        {
            _backupCodes.Clear();
            foreach (string code in codes)
            {
                _backupCodes.Enqueue(code);
            }
        }
    }

    /// <summary>The next code to present: TOTP for the current step, or the next one when that was used, else a backup code.</summary>
    /// <exception cref="InvalidOperationException">It holds no secret.</exception>
    public MfaCode NextCode(IReadOnlyList<string>? methods = null)
    {
        lock (_gate)
        {
            byte[] secret = _secret ?? throw new InvalidOperationException("This authenticator holds no TOTP secret.");
            using Totp totp = new(secret);
            long current = totp.TimeStep(_clock.GetUtcNow());
            long step = Math.Max(current, _lastStep + 1);
            bool backups = methods is null || methods.Contains(MfaKinds.BackupCode);
            if (step > current + 1 && backups && _backupCodes.Count > 0)
            {
                return new MfaCode(MfaKinds.BackupCode, _backupCodes.Dequeue());
            }
            _lastStep = step;
            return new MfaCode(MfaKinds.Totp, totp.ComputeAtStep(step));
        }
    }

    /// <summary>The TOTP code at <paramref name="time"/>, without marking its step used (for showing, and for tests).</summary>
    /// <exception cref="InvalidOperationException">It holds no secret.</exception>
    public string CodeAt(DateTimeOffset time)
    {
        lock (_gate)
        {
            using Totp totp = new(_secret ?? throw new InvalidOperationException("This authenticator holds no TOTP secret."));
            return totp.Compute(time);
        }
    }

    /// <summary>
    /// Like <see cref="NextCode"/>, but when the server's window (the current step and the next) is spent and no backup code
    /// is left, waits (on the system clock) for the next time step rather than offer a code the server will refuse.
    /// </summary>
    /// <exception cref="InvalidOperationException">It holds no secret.</exception>
    public async Task<MfaCode> NextCodeAsync(IReadOnlyList<string>? methods = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                byte[] secret = _secret ?? throw new InvalidOperationException("This authenticator holds no TOTP secret.");
                using Totp totp = new(secret);
                DateTimeOffset now = _clock.GetUtcNow();
                long current = totp.TimeStep(now);
                bool backups = (methods is null || methods.Contains(MfaKinds.BackupCode)) && _backupCodes.Count > 0;
                // Only real time passes by itself: with another clock (a test's), the caller moves time.
                if (_lastStep + 1 <= current + 1 || backups || _clock != TimeProvider.System)
                {
                    return NextCode(methods);
                }
                long periodSeconds = Totp.DefaultPeriod;
                wait = DateTimeOffset.FromUnixTimeSeconds((current + 1) * periodSeconds) - now + TimeSpan.FromMilliseconds(50);
            }
            await Task.Delay(wait, _clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public Task<MfaCode> GetCodeAsync(IReadOnlyList<string> methods, CancellationToken cancellationToken) => NextCodeAsync(methods, cancellationToken);

    /// <inheritdoc/>
    public Task<string> EnrolAsync(TotpEnrolment enrolment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        Load(enrolment.Uri);
        return Task.FromResult(NextCode([MfaKinds.Totp]).Code);
    }

    /// <summary>Zeroes the secret.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_secret is not null)
            {
                CryptographicOperations.ZeroMemory(_secret);
                _secret = null;
            }
        }
    }
}
