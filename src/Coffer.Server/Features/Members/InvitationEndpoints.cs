using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Setup;
using Coffer.Server.Features.Vaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Members;

/// <remarks>
/// Anyone may call: the invitee has no account yet. The one-time token from the mailed link (carried in its
/// fragment, posted in the body) is what authorises, until it is used or expires. A token that is unknown,
/// used or expired gets the same 403, and is never logged.
/// </remarks>
internal static class InvitationEndpoints
{
    public static RouteGroupBuilder MapInvitationEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/lookup", Lookup).WithName("Invitations_Lookup");
        group.MapPost("/accept", Accept).WithName("Invitations_Accept");
        return group;
    }

    internal static async Task<Results<Ok<InvitationLookupResponse>, ProblemHttpResult>> Lookup(InvitationLookupRequest request,
        InvitationStore store, PolicyStore policies, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        byte[] token = v.Bytes("token", request.Token, exactLength: 32);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        int minPasswordLength = (await policies.CurrentAsync(ct)).Settings.MinPasswordLength;
        return await store.LookupAsync(token, minPasswordLength, clock.NowMs(), ct) is { } found ? TypedResults.Ok(found) : BadToken();
    }

    internal static async Task<Results<Ok<InvitationAcceptResponse>, ProblemHttpResult>> Accept(InvitationAcceptRequest request, HttpContext http,
        InvitationStore store, IOptions<CofferOptions> options, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = Validate(request, options.Value.MinimumKdfIterations);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        (AcceptOutcome outcome, string? memberId) = await store.AcceptAsync(request, Base64Url.Decode(request.Token), clock.NowMs(),
            AuditEntry.CanonicalIp(http.Connection.RemoteIpAddress), ct);
        return outcome switch
        {
            AcceptOutcome.Accepted => TypedResults.Ok(new InvitationAcceptResponse(memberId!, "pending_confirmation")),
            AcceptOutcome.GuestPersonalVault => Problems.Validation("personalVault", "must be null: guests have no personal vault"),
            AcceptOutcome.PersonalVaultMissing => Problems.Validation("personalVault", "is required: every member but a guest has a personal vault"),
            AcceptOutcome.PersonalVaultInvalid => Problems.Validation("personalVault.grant",
                "must wrap the vault key to this keyset's encryption key for this member, signed by this keyset's signing key"),
            _ => BadToken(),
        };
    }

    private static ProblemHttpResult BadToken() =>
        Problems.Of(CofferErrors.Forbidden, "The invitation is not valid: it was used, it expired, or the link is incomplete. Ask for a new one.");

    private static RequestValidation Validate(InvitationAcceptRequest r, int minimumIterations)
    {
        RequestValidation v = new();
        v.Bytes("token", r.Token, exactLength: 32);
        SetupValidator.Credentials(v, "", r.Kdf, r.Verifier, minimumIterations);
        KeysetDto ks = r.Keyset;
        string kid = SetupValidator.KeysetKid(v, "keyset", ks);
        v.Check(ks.Serial == 1, "keyset.serial", "must be 1 for a new member");
        v.Envelope("keyset.sealedSymmetricKey", ks.SealedSymmetricKey, "auk");
        v.Envelope("keyset.sealedEncryptionPrivateKey", ks.SealedEncryptionPrivateKey, kid);
        v.Envelope("keyset.sealedSigningPrivateKey", ks.SealedSigningPrivateKey, kid);
        SetupValidator.KeyFingerprint(v, "keyset.encryptionPublicKey", ks.EncryptionPublicKey, SpkiAlgorithm.Rsa);
        SetupValidator.KeyFingerprint(v, "keyset.signingPublicKey", ks.SigningPublicKey, SpkiAlgorithm.EcP256);
        if (r.PersonalVault is { } vault)
        {
            // Its shape here; whom it is for and whether its signature holds once the invitation (member, group) is known.
            string id = v.Id("personalVault.id", vault.Id);
            v.Check(vault.Kind == VaultKinds.Personal, "personalVault.kind", "must be personal");
            v.Check(vault.KeySerial == 1, "personalVault.keySerial", "must be 1 for a new vault");
            v.Check(vault.AttributesVersion >= 1, "personalVault.attributesVersion", "must be at least 1");
            v.Envelope("personalVault.sealedAttributes", vault.SealedAttributes, $"vault:{id}:k1");
            SignedWrapDto? grant = vault.Grant;
            if (grant is null)
            {
                v.Fail("personalVault.grant", "is required");
            }
            else
            {
                v.Check(grant.ObjectKind == "vault" && grant.ObjectId == id && grant.KeySerial == 1 && grant.RecipientKind == "member"
                    && grant.RecipientId == grant.SignerId && grant.RecipientKeysetSerial == ks.Serial, "personalVault.grant",
                    "must wrap key 1 of this vault to you, at this keyset, signed by you");
                v.Bytes("personalVault.grant.wrap", grant.Wrap, exactLength: 256);
                v.Bytes("personalVault.grant.signature", grant.Signature, exactLength: 64);
            }
        }
        return v;
    }
}
