using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Coffer.Cli.State;
using Coffer.Contracts.Mfa;
using Coffer.Contracts.Policies;
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

    public static async Task<JsonElement> HandleAsync(UnlockedSession session, AccountStore store, AccountRequest request, AgentConversation? person,
        CancellationToken cancellationToken) => request switch
        {
            MfaListRequest => JsonSerializer.SerializeToElement(await session.RunAsync(s => new MfaClient(s).ListAsync(cancellationToken), cancellationToken)
                .ConfigureAwait(false), Json.MfaFactorsResponse),
            MfaAddTotpRequest r => JsonSerializer.SerializeToElement(await AddTotpAsync(session, r.Name, person, cancellationToken).ConfigureAwait(false),
                Json.MfaAddResult),
            MfaAddSecurityKeyRequest r => JsonSerializer.SerializeToElement(await AddSecurityKeyAsync(session, r.Name, person, cancellationToken)
                .ConfigureAwait(false), Json.MfaAddResult),
            MfaRemoveRequest r => JsonSerializer.SerializeToElement(await RemoveAsync(session, r.FactorId, cancellationToken).ConfigureAwait(false),
                Json.MfaFactorsResponse),
            MfaBackupCodesRequest => JsonSerializer.SerializeToElement(new BackupCodesResponse(await session.RunAsync(
                s => new MfaClient(s).RegenerateBackupCodesAsync(cancellationToken), cancellationToken).ConfigureAwait(false)), Json.BackupCodesResponse),
            PolicyShowRequest => JsonSerializer.SerializeToElement(await PolicyAsync(session, store, null, cancellationToken).ConfigureAwait(false),
                Json.PolicyResult),
            PolicySetRequest r => JsonSerializer.SerializeToElement(await PolicyAsync(session, store, r.Changes, cancellationToken).ConfigureAwait(false),
                Json.PolicyResult),
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

    /// <summary>
    /// Registers a security key through the browser (docs/adr/0026): the server's creation options go to the page by the
    /// agent's one-time loopback listener, the credential comes back and the server verifies it. The server may first ask for
    /// a fresh factor (step-up), which the session's step-up handler asks of the same person.
    /// </summary>
    private static async Task<MfaAddResult> AddSecurityKeyAsync(UnlockedSession session, string name, AgentConversation? person,
        CancellationToken cancellationToken)
    {
        if (person is null)
        {
            throw new CliException(ExitCodes.Usage, "Adding a security key needs a browser on this computer, reached from the terminal.");
        }
        return await session.RunAsync(async s =>
        {
            MfaClient client = new(s);
            SecurityKeyRegistrationOptionsResponse begun = await client.BeginSecurityKeyRegistrationAsync(name, cancellationToken).ConfigureAwait(false);
            WebAuthnRegistrationCredentialDto credential = await person.RegisterSecurityKeyAsync(s.Connection.ServerUrl, begun.PublicKey, name,
                cancellationToken).ConfigureAwait(false);
            MfaAcceptedResponse accepted;
            try
            {
                accepted = await client.FinishSecurityKeyRegistrationAsync(begun.CeremonyId, credential, cancellationToken).ConfigureAwait(false);
            }
            catch (Coffer.Sdk.Errors.CofferApiException e) when (e.Type == Coffer.Contracts.Errors.ErrorTypes.MfaFailed)
            {
                throw new CliException(ExitCodes.AuthFailed,
                    "The security key's answer was not accepted, so it was not added: run the command again (a key that cannot verify you may not meet the organisation's policy).",
                    e.Problem);
            }
            int left = accepted.BackupCodesLeft;
            if (left == 0)
            {
                IReadOnlyList<string> codes = await client.RegenerateBackupCodesAsync(cancellationToken).ConfigureAwait(false);
                await person.ShowBackupCodesAsync(codes, cancellationToken).ConfigureAwait(false);
                left = codes.Count;
            }
            return new MfaAddResult(accepted.FactorId ?? "", name, left);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<MfaFactorsResponse> RemoveAsync(UnlockedSession session, string factorId, CancellationToken cancellationToken) =>
        await session.RunAsync(async s =>
        {
            MfaClient client = new(s);
            await client.RemoveAsync(factorId, cancellationToken).ConfigureAwait(false);
            return await client.ListAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Reads the policy (its key settings verified, which moves the pin forward, then stored) and, with <paramref name="changes"/>,
    /// writes it over the version read: key settings are signed with the root here (only Owners hold it).
    /// </summary>
    private static Task<PolicyResult> PolicyAsync(UnlockedSession session, AccountStore store, IReadOnlyDictionary<string, string>? changes,
        CancellationToken cancellationToken) =>
        session.ExclusiveAsync(async () =>
        {
            OrganisationPolicy policy = await session.RunAsync(async s =>
            {
                PolicyClient client = new(s, session.Keys);
                OrganisationPolicy current = await client.GetAsync(cancellationToken).ConfigureAwait(false);
                if (changes is null || changes.Count == 0)
                {
                    return current;
                }
                PolicySettingsDto settings = current.Settings;
                KeyPolicySettingsDto keys = current.KeySettings;
                foreach ((string name, string value) in changes)
                {
                    if (Has(settings, name, Json.PolicySettingsDto))
                    {
                        settings = With(settings, name, value, Json.PolicySettingsDto);
                    }
                    else if (Has(keys, name, Json.KeyPolicySettingsDto))
                    {
                        keys = With(keys, name, value, Json.KeyPolicySettingsDto);
                    }
                    else
                    {
                        throw new CliException(ExitCodes.Usage, $"The policy has no setting {name}: see `coffer policy show --format json` for their names.");
                    }
                }
                try
                {
                    return await client.UpdateAsync(current.Version, settings, keys == current.KeySettings ? null : keys, cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidOperationException e)
                {
                    throw new CliException(ExitCodes.Forbidden, e.Message);
                }
            }, cancellationToken).ConfigureAwait(false);
            await AccountUpkeep.TrySavePinsAsync(session, store, cancellationToken).ConfigureAwait(false);
            return new PolicyResult(policy.Version, policy.Settings, policy.KeySettings, policy.KeySettingsVersion);
        }, cancellationToken);

    private static bool Has<T>(T value, string name, JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToNode(value, type) is JsonObject o && o.ContainsKey(name);

    /// <summary>One setting replaced, its value read as the kind the setting has: a number, yes/no, a comma-separated list, or text.</summary>
    private static T With<T>(T value, string name, string text, JsonTypeInfo<T> type)
    {
        JsonObject o = (JsonObject)JsonSerializer.SerializeToNode(value, type)!;
        JsonNode? old = o[name];
        o[name] = old?.GetValueKind() switch
        {
            JsonValueKind.Number when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) => JsonValue.Create(n),
            JsonValueKind.True or JsonValueKind.False when text is "true" or "yes" or "on" => JsonValue.Create(true),
            JsonValueKind.True or JsonValueKind.False when text is "false" or "no" or "off" => JsonValue.Create(false),
            JsonValueKind.Array => new JsonArray([.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(item => (JsonNode?)JsonValue.Create(item))]),
            JsonValueKind.String or JsonValueKind.Null or null => JsonValue.Create(text),
            _ => throw new CliException(ExitCodes.Usage, $"{name} takes {(old!.GetValueKind() == JsonValueKind.Number ? "a whole number" : "yes or no")}."),
        };
        return o.Deserialize(type)!;
    }
}
