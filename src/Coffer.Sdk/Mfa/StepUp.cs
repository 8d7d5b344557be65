using Coffer.Contracts.Auth;
using Coffer.Crypto.Kdf;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Mfa;

/// <summary>What a <c>step-up-required</c> refusal asks for (docs/adr/0024).</summary>
/// <param name="Action">The action being confirmed (<see cref="StepUpActions"/>); <see cref="StepUpActions.Describe"/> words it.</param>
/// <param name="WindowMinutes">How old the factor may be for this caller.</param>
/// <param name="Methods">What the member may present: factor kinds in the organisation's order, or <see cref="StepUpActions.SrpMethod"/>
/// for a member without a factor.</param>
public sealed record StepUpChallenge(string Action, int WindowMinutes, IReadOnlyList<string> Methods)
{
    /// <summary>Whether the member steps up with a fresh SRP proof (they have no factor).</summary>
    public bool BySrp => Methods.Contains(StepUpActions.SrpMethod);
}

/// <summary>
/// Steps a session up when the server refuses a request with <c>step-up-required</c>; set on
/// <see cref="CofferSession.StepUpHandler"/>, the session then steps up and sends the refused request once more (the refusal
/// changed nothing, so one retry is safe).
/// </summary>
public interface IStepUpHandler
{
    /// <summary>Presents what <paramref name="challenge"/> asks for in <paramref name="session"/> (a factor, or an SRP proof).</summary>
    Task StepUpAsync(CofferSession session, StepUpChallenge challenge, CancellationToken cancellationToken);
}

/// <summary>
/// The usual <see cref="IStepUpHandler"/>: asks an <see cref="IMfaHandler"/> (a person at a prompt, or
/// <see cref="TotpAuthenticator"/>) for a code and presents it; for a member without a factor, re-proves SRP with the
/// account keys the client holds (when it was given them).
/// </summary>
public sealed class MfaStepUp : IStepUpHandler
{
    private readonly IMfaHandler? _mfa;
    private readonly Func<(DerivedAccountKeys Keys, KdfParameters Kdf)>? _srpKeys;
    private readonly int _attempts;

    /// <summary>
    /// A handler presenting codes from <paramref name="mfa"/> and, for a member without a factor, proving SRP with the keys
    /// <paramref name="srpKeys"/> returns (the caller keeps and disposes them).
    /// </summary>
    /// <param name="mfa">Where codes come from; null when the member has no factor.</param>
    /// <param name="srpKeys">The derived keys and KDF parameters of the signed-in account; null when not held.</param>
    /// <param name="attempts">How many codes to try when one is refused.</param>
    public MfaStepUp(IMfaHandler? mfa, Func<(DerivedAccountKeys Keys, KdfParameters Kdf)>? srpKeys = null, int attempts = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        _mfa = mfa;
        _srpKeys = srpKeys;
        _attempts = attempts;
    }

    /// <inheritdoc/>
    public async Task StepUpAsync(CofferSession session, StepUpChallenge challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(challenge);
        MfaClient client = new(session);
        if (challenge.BySrp)
        {
            if (_srpKeys is null)
            {
                throw new InvalidOperationException("The member has no second factor and this client holds no account keys to prove the password again.");
            }
            (DerivedAccountKeys keys, KdfParameters kdf) = _srpKeys();
            await client.StepUpWithSrpAsync(keys, kdf, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_mfa is null)
        {
            throw new InvalidOperationException("This action needs a fresh second factor and no factor prompt was given.");
        }
        await client.StepUpAsync(_mfa, challenge.Methods, _attempts, cancellationToken).ConfigureAwait(false);
    }
}
