using Coffer.Contracts.Setup;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Setup;

/// <remarks>
/// Anyone may call: a new server has nobody to authenticate yet. What protects setup is the
/// one-time token from the setup link (printed by the server, carried in the link's fragment and
/// posted in the body) and the rule that it works only while no organisation exists.
/// </remarks>
internal static class SetupEndpoints
{
    public static RouteGroupBuilder MapSetupEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", GetStatus).WithName("Setup_Status");
        group.MapPost("/", CreateOrganisation).WithName("Setup_Create");
        return group;
    }

    /// <remarks>The audit key is public; the first Owner's client certifies it in the setup request (docs/adr/0016).</remarks>
    internal static async Task<Ok<SetupStatusResponse>> GetStatus(SetupStore store, AuditLog audit, CancellationToken ct)
    {
        EcdsaP256PublicKey key = audit.Key.PublicKey;
        return TypedResults.Ok(new SetupStatusResponse(!await store.IsSetUpAsync(ct), Base64Url.Encode(key.Spki), key.Fingerprint.ToString()));
    }

    internal static async Task<Results<Created<SetupResponse>, ProblemHttpResult>> CreateOrganisation(
        SetupRequest request, HttpContext http, SetupStore store, SetupLink link, AuditLog audit, IOptions<CofferOptions> options,
        TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = SetupValidator.Validate(request, options.Value.MinimumKdfIterations).Validation;
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        if (request.Organisation.AuditKeyCertificate is { } auditCert
            && Fingerprint.FromSpki(Base64Url.Decode(auditCert.PublicKey)) != audit.Key.PublicKey.Fingerprint)
        {
            return Problems.Of(CofferErrors.AuditKeyMismatch, "organisation.auditKeyCertificate names another key than this server's audit key.");
        }
        SetupOutcome outcome = await store.CreateAsync(request, clock.NowMs(), AuditEntry.CanonicalIp(http.Connection.RemoteIpAddress), ct);
        switch (outcome)
        {
            case SetupOutcome.AlreadySetUp:
                return Problems.Of(CofferErrors.AlreadySetUp);
            case SetupOutcome.BadToken:
                return Problems.Of(CofferErrors.Forbidden, "The setup token is not valid. Use the newest link the server printed.");
            case SetupOutcome.Created:
            default:
                link.Clear();
                return TypedResults.Created("/api/v1/account/keys", new SetupResponse(request.Organisation.Root.OrgId, request.Owner.MemberId));
        }
    }
}
