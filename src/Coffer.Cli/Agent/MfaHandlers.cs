using System.Text.Json;
using Coffer.Contracts.Mfa;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Policies;

namespace Coffer.Cli.Agent;

/// <summary>
/// The member's second factors and the organisation's policy, in the agent (docs/adr/0022). Adding an authenticator app asks
/// the person behind the connection for its first code, like the enrolment at sign-in.
/// </summary>
internal static class MfaHandlers
{
    private static readonly AgentJsonContext Json = AgentJsonContext.Default;

    public static async Task<JsonElement> HandleAsync(UnlockedSession session, AccountRequest request, AgentConversation? person,
        CancellationToken cancellationToken) => request switch
        {
            MfaListRequest => JsonSerializer.SerializeToElement(await session.RunAsync(s => new MfaClient(s).ListAsync(cancellationToken), cancellationToken)
                .ConfigureAwait(false), Json.MfaFactorsResponse),
            MfaAddTotpRequest r => JsonSerializer.SerializeToElement(await AddTotpAsync(session, r.Name, person, cancellationToken).ConfigureAwait(false),
                Json.MfaAddResult),
            MfaRemoveRequest r => JsonSerializer.SerializeToElement(await RemoveAsync(session, r.FactorId, cancellationToken).ConfigureAwait(false),
                Json.MfaFactorsResponse),
            MfaBackupCodesRequest => JsonSerializer.SerializeToElement(new BackupCodesResponse(await session.RunAsync(
                s => new MfaClient(s).RegenerateBackupCodesAsync(cancellationToken), cancellationToken).ConfigureAwait(false)), Json.BackupCodesResponse),
            PolicyShowRequest => JsonSerializer.SerializeToElement(await PolicyAsync(session, cancellationToken).ConfigureAwait(false), Json.PolicyResult),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };

    private static async Task<MfaAddResult> AddTotpAsync(UnlockedSession session, string name, AgentConversation? person, CancellationToken cancellationToken)
    {
        if (person is null)
        {
            throw new CliException(ExitCodes.Usage, "Adding an authenticator app needs its first code, asked at the terminal.");
        }
        return await session.RunAsync(async s =>
        {
            MfaClient client = new(s);
            TotpEnrolment enrolment = await client.EnrolTotpAsync(name, cancellationToken).ConfigureAwait(false);
            string code = await person.EnrolAsync(enrolment, cancellationToken).ConfigureAwait(false);
            MfaAcceptedResponse accepted;
            try
            {
                accepted = await client.ConfirmTotpAsync(enrolment.FactorId, code, cancellationToken).ConfigureAwait(false);
            }
            catch (Coffer.Sdk.Errors.CofferApiException e) when (e.Type == Coffer.Contracts.Errors.ErrorTypes.MfaFailed)
            {
                throw new CliException(ExitCodes.AuthFailed,
                    "That code was not accepted, so the authenticator app was not added: run the command again and enter the code the app shows.", e.Problem);
            }
            int left = accepted.BackupCodesLeft;
            if (left == 0)
            {
                // A first factor: backup codes with it, for the day the phone is lost.
                IReadOnlyList<string> codes = await client.RegenerateBackupCodesAsync(cancellationToken).ConfigureAwait(false);
                await person.ShowBackupCodesAsync(codes, cancellationToken).ConfigureAwait(false);
                left = codes.Count;
            }
            return new MfaAddResult(enrolment.FactorId, name, left);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<MfaFactorsResponse> RemoveAsync(UnlockedSession session, string factorId, CancellationToken cancellationToken) =>
        await session.RunAsync(async s =>
        {
            MfaClient client = new(s);
            await client.RemoveAsync(factorId, cancellationToken).ConfigureAwait(false);
            return await client.ListAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    private static async Task<PolicyResult> PolicyAsync(UnlockedSession session, CancellationToken cancellationToken)
    {
        OrganisationPolicy policy = await session.RunAsync(s => new PolicyClient(s, session.Keys).GetAsync(cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        return new PolicyResult(policy.Version, policy.Settings, policy.KeySettings, policy.KeySettingsVersion);
    }
}
