using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coffer.Contracts;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Common;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Issuers;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Members;
using Coffer.Contracts.Mfa;
using Coffer.Contracts.Policies;
using Coffer.Contracts.Vaults;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Ids;
using Coffer.Sdk.Members;
using Coffer.Sdk.Vaults;
using Coffer.Sdk.Wire;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Microsoft.AspNetCore.Routing;

namespace Coffer.Server.Tests.Features.Authorization;

/// <summary>
/// The authorisation matrix of POLICY.md ("Authorisation", vault permissions): every endpoint behind the session layer ×
/// {Owner, Administrator, Team Member, Guest, member of another vault, suspended member, no session}, against one
/// organisation per engine. The table below is the expectation; every endpoint in the server's own routing table must
/// have a row, so a new endpoint without one fails <see cref="Matrix_CoversEverySessionEndpoint"/>.
/// </summary>
/// <remarks>
/// Expectations, one letter per role in the order O A T G X S N (Owner, Administrator, Team Member with an editor grant on
/// vault A, Guest with a viewer grant on vault A, Team Member with a grant on vault B only, member suspended after signing in,
/// no session at all):
/// <list type="bullet">
/// <item><c>A</c> allowed: the call passed authorisation. Any 2xx, or a 4xx other than 401/403/404 — say 400 from validating a
/// deliberately bad body, or 409 from a deliberately stale version — counts, because the server decides those only after
/// deciding the caller may act. A 5xx never counts.</item>
/// <item><c>F</c> forbidden: 403. <c>N</c> not found: 404 (a vault, member or session the caller may not see is answered like a
/// missing one). <c>U</c> unauthenticated: 401.</item>
/// </list>
/// Vault routes name vault A and its item, so the member of another vault asks with an id that is not theirs (404). Bodies of
/// vault writes are well formed (right key ids, right lengths) so the grant check is reached: a viewer must meet 403, not a
/// validation error. Destructive rows come last and act on throwaway targets (spare members, a spare grant, the Team
/// Member's second session and device); within a row the refused roles call first, so an allowed call cannot change
/// what a refused one sees.
/// </remarks>
public sealed class AuthorizationMatrixTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private static readonly string[] Editor =
    [
        VaultPermissions.ViewItems, VaultPermissions.ViewAndCopyPasswords, VaultPermissions.ViewItemHistory, VaultPermissions.CreateItems,
        VaultPermissions.EditItems, VaultPermissions.ArchiveItems, VaultPermissions.DeleteItems,
    ];

    private static readonly string[] Viewer = [VaultPermissions.ViewItems, VaultPermissions.ViewAndCopyPasswords, VaultPermissions.ViewItemHistory];

    private static readonly Role[] Roles = Enum.GetValues<Role>();

    /// <summary>The matrix, in the order it runs: reads and refused or harmless writes first, then what ends or removes something.</summary>
    private static readonly Row[] Rows =
    [
        //                                                                       O A T G X S N
        // Own account, sessions and devices: every member, for themselves.
        new("GET", "/api/v1/account/keys", "AAAAAUU"),
        new("PUT", "/api/v1/account/pins", "AAAAAUU", Body: (s, r) => s.PinsOf(r)),
        new("GET", "/api/v1/account/pins", "AAAAAUU"),
        new("GET", "/api/v1/account/feed", "AAAAAUU"),
        // Credential and email changes (docs/adr/0017): malformed bodies, so allowed callers get 400 and nothing changes.
        new("POST", "/api/v1/account/credentials", "AAAAAUU", Body: (_, _) => Bytes(new ChangeCredentialsRequest("nothing",
            new Contracts.Auth.KdfDto("x", "AA", 1), "AA", "not-an-id", 0, new Contracts.Common.EnvelopeDto("k", "A256GCM", "AA", "AA")),
            Json.ChangeCredentialsRequest)),
        new("POST", "/api/v1/account/email", "AAAAAUU", Body: (_, _) => Bytes(new EmailChangeRequest("not-an-email"), Json.EmailChangeRequest)),
        new("POST", "/api/v1/account/email/confirm", "AAAAAUU", Body: (_, _) => Bytes(new EmailConfirmRequest("AA"), Json.EmailConfirmRequest)),
        new("GET", "/api/v1/sessions", "AAAAAUU"),
        new("GET", "/api/v1/devices", "AAAAAUU"),
        new("GET", "/api/v1/events", "AAAAAUU"),

        // Vaults: reads need a grant (POLICY.md: organisation roles give no vault access), writes the grant's permission.
        new("GET", "/api/v1/vaults", "AAAAAUU"),
        new("POST", "/api/v1/vaults", "AAAFAUU", Body: (s, r) => s.CreateVault(r)),
        new("GET", "/api/v1/vaults/{vaultId}", "ANAANUU"),
        new("GET", "/api/v1/vaults/{vaultId}/items", "ANAANUU"),
        new("GET", "/api/v1/vaults/{vaultId}/items/{itemId}", "ANAANUU"),
        new("GET", "/api/v1/vaults/{vaultId}/items/{itemId}/history", "ANAANUU"),
        new("PUT", "/api/v1/vaults/{vaultId}/items/{itemId}", "ANAFNUU", Body: (s, _) => s.ItemWrite(s.ItemId, archived: false, trashed: false)),
        new("PUT", "/api/v1/vaults/{vaultId}/items/{itemId}", "ANAFNUU", Body: (s, _) => s.ItemWrite(s.NewItemId, archived: false, trashed: false, baseVersion: 0, vaultKeySerial: 2),
            Ids: (s, _) => new() { ["itemId"] = s.NewItemId }),
        new("POST", "/api/v1/vaults/{vaultId}/items/{itemId}/archive", "ANAFNUU", Body: (s, _) => s.ItemWrite(s.ItemId, archived: true, trashed: false)),
        new("POST", "/api/v1/vaults/{vaultId}/items/{itemId}/trash", "ANAFNUU", Body: (s, _) => s.ItemWrite(s.ItemId, archived: false, trashed: true)),
        new("POST", "/api/v1/vaults/{vaultId}/items/{itemId}/restore", "ANAFNUU", Body: (s, _) => s.ItemWrite(s.TrashedItemId, archived: false, trashed: false),
            Ids: (s, _) => new() { ["itemId"] = s.TrashedItemId }),
        new("POST", "/api/v1/vaults/{vaultId}/items/{itemId}/delete", "ANAFNUU", Body: (s, _) => s.ItemDelete()),
        // Reported uses (reveal, copy): any member; uses in vaults they cannot read are skipped, not refused. An empty report: 400.
        new("POST", "/api/v1/vaults/usage", "AAAAAUU", Body: (_, _) => Bytes(new ItemUsageReport([]), Json.ItemUsageReport)),
        new("GET", "/api/v1/vaults/{vaultId}/grants", "ANFFNUU"),
        new("POST", "/api/v1/vaults/{vaultId}/rotate", "ANFFNUU", Body: (s, r) => s.Rotate(r)),
        new("PUT", "/api/v1/vaults/{vaultId}/grants/{principalKind}/{principalId}", "ANFFNUU", Body: (s, r) => s.PutGrant(r)),
        new("PATCH", "/api/v1/vaults/{vaultId}/grants/{principalKind}/{principalId}", "ANFFNUU",
            Body: (_, _) => Bytes(new ChangeVaultGrantRequest([VaultPermissions.ViewItems]), Json.ChangeVaultGrantRequest)),
        new("DELETE", "/api/v1/vaults/{vaultId}/grants/{principalKind}/{principalId}", "ANFFNUU"),

        // The member directory: anyone confirmed reads active members; manage_members also sees the others.
        new("GET", "/api/v1/members", "AAAAAUU"),
        new("GET", "/api/v1/members/{memberId}", "AAAAAUU"),
        new("GET", "/api/v1/members/{memberId}", "AANNNUU", Ids: (s, _) => new() { ["memberId"] = s.PendingId }),
        new("GET", "/api/v1/members/{memberId}/certificate", "AAAAAUU"),
        new("GET", "/api/v1/members/{memberId}/devices", "AAFFFUU"),
        new("POST", "/api/v1/members/invitations", "AAFFFUU",
            Body: (_, _) => Bytes(new InviteMemberRequest("not-an-email", "Nobody", "team_members"), Json.InviteMemberRequest)),
        new("GET", "/api/v1/members/{memberId}/keys", "AAFFFUU", Ids: (s, _) => new() { ["memberId"] = s.PendingId }),
        new("POST", "/api/v1/members/{memberId}/confirm", "AAFFFUU", Body: (s, _) => s.Confirm(), Ids: (s, _) => new() { ["memberId"] = s.PendingId }),
        // Re-certification (docs/adr/0027): manage_members, like confirmation; a malformed certificate, so allowed callers get 400.
        new("POST", "/api/v1/members/{memberId}/recertify", "AAFFFUU", Body: (_, _) => BadRecertification()),

        // Groups: anyone confirmed reads; manage_groups changes.
        new("GET", "/api/v1/groups", "AAAAAUU"),
        new("GET", "/api/v1/groups/{groupId}", "AAAAAUU"),
        new("POST", "/api/v1/groups", "AAFFFUU", Body: (s, _) => s.CreateGroup()),
        new("PUT", "/api/v1/groups/{groupId}", "AAFFFUU", Body: (_, _) => Bytes(new UpdateGroupRequest("Team", ["not_a_permission"]), Json.UpdateGroupRequest)),
        new("POST", "/api/v1/groups/{groupId}/members", "AAFFFUU", Body: (s, _) => Bytes(new AddGroupMemberRequest(s.BadWrap()), Json.AddGroupMemberRequest)),
        // Only Owners change the Owners group (docs/adr/0010): a well-formed wrap, so the Administrator meets the rule, not validation.
        new("POST", "/api/v1/groups/{groupId}/members", "AFFFFUU", Body: (s, r) => Bytes(new AddGroupMemberRequest(s.OwnersGroupWrap(r)), Json.AddGroupMemberRequest),
            Ids: (s, _) => new() { ["groupId"] = s.OwnersGroupId }),
        new("POST", "/api/v1/groups/{groupId}/rotate", "AAFFFUU", Body: (s, _) => s.RotateGroup()),
        new("POST", "/api/v1/groups/{groupId}/recertify", "AAFFFUU", Body: (_, _) => BadRecertification()),

        // The activity log: view_activity_log.
        new("GET", "/api/v1/audit/events", "AAFFFUU"),
        new("GET", "/api/v1/audit/export", "AAFFFUU"),
        new("GET", "/api/v1/audit/checkpoints/latest", "AAFFFUU"),
        new("POST", "/api/v1/audit/countersignatures", "AAFFFUU",
            Body: (_, _) => Bytes(new AuditCountersignRequest(1, "AA", 0, "AA"), Json.AuditCountersignRequest)),
        // The audit key and its root certificate are public to every confirmed member; only Owners certify it (docs/adr/0016).
        new("GET", "/api/v1/audit/key", "AAAAAUU"),
        new("POST", "/api/v1/audit/key-certificate", "AFFFFUU",
            Body: (_, _) => Bytes(new AuditKeyCertificateDto("AA", 0, "AA"), Json.AuditKeyCertificateDto)),

        // Revocations: anyone confirmed reads the newest list; publishing is manage_members'.
        new("GET", "/api/v1/revocations", "AAAAAUU"),
        new("POST", "/api/v1/revocations", "AAFFFUU", Body: (_, _) => Bytes(new RevocationListDto(0, -1, [], null, "AA"), Json.RevocationListDto)),

        // Issuer keys (docs/adr/0015): administrators ask, Owners list and certify, anyone confirmed reads the certificates.
        new("GET", "/api/v1/issuers", "AAAAAUU"),
        new("GET", "/api/v1/issuers/requests", "AFFFFUU"),
        // What a holder's issuers certified, for retiring them (docs/adr/0027): manage_members (without a holder: 400).
        new("GET", "/api/v1/issuers/certified", "AAFFFUU"),
        new("POST", "/api/v1/issuers/requests", "AAFFFUU",
            Body: (_, _) => Bytes(new IssuerKeyRequest("x", "admin", "AA", new Contracts.Common.EnvelopeDto("k", "A256GCM", "AA", "AA")), Json.IssuerKeyRequest)),
        new("POST", "/api/v1/issuers", "AFFFFUU",
            Body: (_, _) => Bytes(new CertifyIssuerRequest(new IssuerCertificateDto("x", "admin", "x", "AA", 0, 0, "AA")), Json.CertifyIssuerRequest)),

        // What ends something. Sessions: only one's own (the Team Member's spare session; everyone else's id is 404).
        // The policy document (docs/adr/0022): everyone reads it, manage_policies writes it (an invalid body: 400 for them).
        new("GET", "/api/v1/policy", "AAAAAUU"),
        new("PUT", "/api/v1/policy", "AAFFFUU", Body: (_, _) => Bytes(new PolicyUpdateRequest(0,
            new PolicySettingsDto(1, "never", [], 0, [], 0, [], 0, 0, 0, 0, 0, 0, 0, false, 0)), Json.PolicyUpdateRequest)),
        // Second factors: each member's own (malformed bodies, so nothing changes; an unknown factor is 404).
        new("GET", "/api/v1/mfa/factors", "AAAAAUU"),
        new("POST", "/api/v1/mfa/totp", "AAAAAUU", Body: (_, _) => Bytes(new TotpEnrolRequest(""), Json.TotpEnrolRequest)),
        new("POST", "/api/v1/mfa/totp/{factorId}/confirm", "AAAAAUU", Body: (_, _) => Bytes(new MfaCodeRequest("totp", ""), Json.MfaCodeRequest),
            Ids: (_, _) => new() { ["factorId"] = "not-an-id" }),
        new("POST", "/api/v1/mfa/verify", "AAAAAUU", Body: (_, _) => Bytes(new MfaCodeRequest("nothing", "1"), Json.MfaCodeRequest)),
        new("DELETE", "/api/v1/mfa/factors/{factorId}", "NNNNNUU", Ids: (_, _) => new() { ["factorId"] = "0190a1b2-0000-7000-8000-0000000000ff" }),
        // Security keys (docs/adr/0026): each member's own; malformed bodies (400), and nobody here has a key to assert (404).
        new("POST", "/api/v1/mfa/security-keys/registrations", "AAAAAUU",
            Body: (_, _) => Bytes(new SecurityKeyRegistrationRequest(""), Json.SecurityKeyRegistrationRequest)),
        new("POST", "/api/v1/mfa/security-keys/registrations/{ceremonyId}", "AAAAAUU",
            Body: (_, _) => Bytes(new WebAuthnRegistrationCredentialDto("AA", "AA", "x", new WebAuthnAttestationResponseDto("AA", "AA", null)),
                Json.WebAuthnRegistrationCredentialDto), Ids: (_, _) => new() { ["ceremonyId"] = "not-an-id" }),
        new("POST", "/api/v1/mfa/security-keys/assertions", "NNNNNUU"),
        new("POST", "/api/v1/mfa/security-keys/assertions/{ceremonyId}", "AAAAAUU",
            Body: (_, _) => Bytes(new WebAuthnAssertionCredentialDto("AA", "AA", "x", new WebAuthnAssertionResponseDto("AA", "AA", "AA", null)),
                Json.WebAuthnAssertionCredentialDto), Ids: (_, _) => new() { ["ceremonyId"] = "not-an-id" }),
        // Step-up by SRP (docs/adr/0024): any member in their own session (malformed bodies: 400).
        new("POST", "/api/v1/auth/step-up/start", "AAAAAUU", Body: (_, _) => Bytes(new StepUpStartRequest("AA"), Json.StepUpStartRequest)),
        new("POST", "/api/v1/auth/step-up/finish", "AAAAAUU", Body: (_, _) => Bytes(new StepUpFinishRequest("not-an-id", "AA"), Json.StepUpFinishRequest)),

        new("DELETE", "/api/v1/sessions/{sessionId}", "NNANNUU"),
        // Devices: one's own, or anyone's with manage_members (the Team Member's second device).
        new("DELETE", "/api/v1/devices/{deviceId}", "AAANNUU"),
        // Releasing a lock: manage_members, on any member not removed (the Owner's account has nothing to release; harmless).
        new("POST", "/api/v1/members/{memberId}/unlock", "AAFFFUU", Ids: (_, _) => new() { ["memberId"] = TestOrganisation.OwnerId }),
        // Lifecycle: manage_members, each allowed caller on its own spare member (suspend, then reactivate, then remove).
        // Only an Owner acts on an Owner (docs/adr/0009); the Owner, the last one, meets 409 acting on themselves.
        new("POST", "/api/v1/members/{memberId}/suspend", "AFFFFUU", Ids: (_, _) => new() { ["memberId"] = TestOrganisation.OwnerId }),
        new("POST", "/api/v1/members/{memberId}/suspend", "AAFFFUU", Ids: (s, r) => new() { ["memberId"] = s.SpareFor(r) }),
        new("POST", "/api/v1/members/{memberId}/reactivate", "AAFFFUU", Ids: (s, r) => new() { ["memberId"] = s.SpareFor(r) }),
        new("DELETE", "/api/v1/members/{memberId}", "AAFFFUU", Ids: (s, r) => new() { ["memberId"] = s.SpareFor(r) }),
        new("POST", "/api/v1/mfa/backup-codes", "AAAAAUU"),
        new("POST", "/api/v1/auth/signout", "AAAAAUU"),
    ];

    private enum Role
    {
        Owner,
        Administrator,
        TeamMember,
        Guest,
        OtherVaultMember,
        Suspended,
        NoSession,
    }

    [Fact]
    public async Task Matrix_CoversEverySessionEndpoint()
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite, setUp: false);
        HashSet<string> routed = [.. SessionEndpoints(org)];
        HashSet<string> rows = [.. Rows.Select(r => r.Key)];

        Assert.True(routed.Count >= 40, $"found only {routed.Count} session endpoints");
        string[] missing = [.. routed.Except(rows).Order(StringComparer.Ordinal)];
        Assert.True(missing.Length == 0, "No authorisation matrix row for: " + string.Join(", ", missing));
        string[] stale = [.. rows.Except(routed).Order(StringComparer.Ordinal)];
        Assert.True(stale.Length == 0, "Matrix rows for endpoints the server does not have: " + string.Join(", ", stale));
        // Every row has a column per role; a suspended member and a caller without a session are refused everywhere.
        Assert.All(Rows, r => Assert.Matches("^[AFNU]{5}UU$", r.Expect));
    }

    [Theory, BothEngines]
    public async Task EveryEndpoint_ForEveryRole_AnswersAsPolicySays(Engine engine)
    {
        // An origin with a host name, so security keys are available and their endpoints reach their own checks.
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine,
            settings: new Dictionary<string, string?> { ["Coffer:WebAuthn:Origin"] = "http://localhost:8443" });
        await using Scenario s = await Scenario.CreateAsync(org);

        List<string> mismatches = [];
        foreach (Row row in Rows)
        {
            // Refused roles first: an allowed call (ending a session, removing a grant) must not change what they meet.
            foreach (Role role in Roles.OrderBy(r => row.ExpectFor(r) == 'A' ? 1 : 0))
            {
                (int status, string seen) = await s.CallAsync(row, role);
                char expected = row.ExpectFor(role);
                if (!Matches(expected, status))
                {
                    mismatches.Add($"{row.Method} {row.Pattern} as {role}: expected {Describe(expected)}, got {seen}");
                }
            }
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {Rows.Length * Roles.Length} calls disagree with POLICY.md:\n" + string.Join('\n', mismatches));
    }

    private static bool Matches(char expected, int status) => expected switch
    {
        'A' => status is >= 200 and < 300 or (>= 400 and < 500 and not (401 or 403 or 404)),
        'F' => status == 403,
        'N' => status == 404,
        'U' => status == 401,
        _ => false,
    };

    private static string Describe(char expected) => expected switch
    {
        'A' => "allowed (2xx or a 4xx other than 401/403/404)",
        'F' => "403",
        'N' => "404",
        _ => "401",
    };

    private static List<string> SessionEndpoints(TestOrganisation org) =>
        [.. org.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<RequiresCofferSession>() is not null)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                .Select(m => m + " " + Normalise(e.RoutePattern.RawText!)))];

    private static string Normalise(string pattern) => "/" + pattern.Trim('/');

    private static byte[] Bytes<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    /// <summary>A re-certification whose certificate is malformed (no ids, no signature): refused with 400 once the caller may ask.</summary>
    private static byte[] BadRecertification() =>
        Bytes(new RecertifyRequest(new SubjectCertificateDto("x", "member", "team_members", "x", 1, "AA", "AA", "x", 0, "AA")), Json.RecertifyRequest);

    /// <summary>One endpoint asked of every role: its expectations (<c>OATGXSN</c>), its body per caller and ids other than the defaults.</summary>
    private sealed record Row(string Method, string Pattern, string Expect, Func<Scenario, Role, byte[]>? Body = null,
        Func<Scenario, Role, Dictionary<string, string>>? Ids = null)
    {
        public string Key => Method + " " + Normalise(Pattern);

        public char ExpectFor(Role role) => Expect[(int)role];
    }

    /// <summary>The organisation the matrix runs against: who is who, what exists, and a session per role.</summary>
    private sealed class Scenario : IAsyncDisposable
    {
        private readonly TestOrganisation _org;
        private readonly List<IDisposable> _owned = [];
        private readonly Dictionary<Role, (SignInResult SignIn, UnlockedAccount Keys)> _callers = [];

        private Scenario(TestOrganisation org) => _org = org;

        public string VaultId { get; private set; } = "";

        public string ItemId { get; private set; } = "";

        public string TrashedItemId { get; private set; } = "";

        /// <summary>An item id nobody has used: creating it needs create_items.</summary>
        public string NewItemId { get; } = UuidV7.New(TimeProvider.System);

        /// <summary>A vault id nobody has used.</summary>
        public string NewVaultId { get; } = UuidV7.New(TimeProvider.System);

        public string TeamMemberId { get; private set; } = "";

        public string PendingId { get; private set; } = "";

        public string GroupId { get; private set; } = "";

        public string OwnersGroupId { get; private set; } = "";

        /// <summary>Holds a viewer grant on vault A whose change and removal the grant rows ask for.</summary>
        public string SpareGrantee { get; private set; } = "";

        public string SpareForOwner { get; private set; } = "";

        public string SpareForAdministrator { get; private set; } = "";

        public string TeamMemberSpareSessionId { get; private set; } = "";

        public string TeamMemberSecondDeviceId { get; } = "0190a1b2-0000-7000-8000-00000000d2d2";

        public static async Task<Scenario> CreateAsync(TestOrganisation org)
        {
            Scenario s = new(org);
            try
            {
                await s.SetUpAsync();
                return s;
            }
            catch
            {
                await s.DisposeAsync();
                throw;
            }
        }

        private async Task SetUpAsync()
        {
            (SignInResult owner, UnlockedAccount ownerKeys) = await _org.SignInAndUnlockOwnerAsync();
            Keep(owner, ownerKeys);
            _callers[Role.Owner] = (owner, ownerKeys);

            TestMember admin = Keep(await _org.AddMemberAsync(owner, ownerKeys, "admin@example.org", "team_members", true, "administrators"));
            TestMember editor = Keep(await _org.AddMemberAsync(owner, ownerKeys, "editor@example.org"));
            TestMember guest = Keep(await _org.AddMemberAsync(owner, ownerKeys, "guest@example.org", "guests"));
            TestMember other = Keep(await _org.AddMemberAsync(owner, ownerKeys, "other@example.org"));
            TestMember leaver = Keep(await _org.AddMemberAsync(owner, ownerKeys, "leaver@example.org"));
            TestMember spare1 = Keep(await _org.AddMemberAsync(owner, ownerKeys, "spare1@example.org"));
            TestMember spare2 = Keep(await _org.AddMemberAsync(owner, ownerKeys, "spare2@example.org"));
            TestMember pending = Keep(await _org.AddMemberAsync(owner, ownerKeys, "pending@example.org", confirm: false));
            TeamMemberId = editor.MemberId;
            PendingId = pending.MemberId;
            SpareGrantee = spare1.MemberId;
            SpareForOwner = spare1.MemberId;
            SpareForAdministrator = spare2.MemberId;

            foreach ((Role role, TestMember member) in new[] { (Role.Administrator, admin), (Role.TeamMember, editor), (Role.Guest, guest), (Role.OtherVaultMember, other) })
            {
                (SignInResult signIn, UnlockedAccount keys) = await member.SignInAndUnlockAsync();
                Keep(signIn, keys);
                _callers[role] = (signIn, keys);
            }
            SignInResult spareSession = Keep(await editor.SignInAsync());
            TeamMemberSpareSessionId = spareSession.Session.SessionId;
            Keep(await editor.SignInAsync(deviceId: TeamMemberSecondDeviceId));

            // Vault A, shared through the SDK as a client would: an editor, a viewer, the leaver and a spare viewer. Vault B for the other member.
            using VaultClient vaults = new(owner.Session, ownerKeys);
            VaultDto a = await vaults.CreateVaultAsync("shared", "Vault A");
            VaultId = a.Id;
            byte[] overview = Encoding.UTF8.GetBytes("""{"v":1,"category":"login","title":"Supplier portal","archived":false,"trashed":false}""");
            byte[] details = Encoding.UTF8.GetBytes("""{"v":1,"fields":[]}""");
            ItemId = (await vaults.CreateItemAsync(a.Id, overview, details)).Id;
            TrashedItemId = (await vaults.CreateItemAsync(a.Id, overview, details)).Id;
            await vaults.TrashItemAsync(a.Id, TrashedItemId);
            await vaults.ShareAsync(a.Id, editor.MemberId, Editor);
            await vaults.ShareAsync(a.Id, guest.MemberId, Viewer);
            await vaults.ShareAsync(a.Id, leaver.MemberId, Editor);
            await vaults.ShareAsync(a.Id, spare1.MemberId, Viewer);
            VaultDto b = await vaults.CreateVaultAsync("shared", "Vault B");
            await vaults.ShareAsync(b.Id, other.MemberId, Editor);

            IReadOnlyList<GroupSummaryDto> groups = (await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/groups", Json.GroupListResponse)).Groups;
            GroupId = groups.Single(g => g.Kind == "team_members").Id;
            OwnersGroupId = groups.Single(g => g.Kind == "owners").Id;

            // The leaver signs in, then is suspended: their session exists, and must be refused from then on.
            (SignInResult leaverSignIn, UnlockedAccount leaverKeys) = await leaver.SignInAndUnlockAsync();
            Keep(leaverSignIn, leaverKeys);
            _callers[Role.Suspended] = (leaverSignIn, leaverKeys);
            await new MemberDirectory(owner.Session).SuspendAsync(leaver.MemberId);

            // The latest checkpoint of the activity log exists once one has been signed.
            AuditLog audit = _org.Server.Services.GetRequiredService<AuditLog>();
            await audit.FlushAsync(CancellationToken.None);
            Assert.NotNull(await audit.CheckpointAsync(CancellationToken.None));
        }

        /// <summary>Member ids for the lifecycle rows: the Owner and the Administrator each act on their own spare member.</summary>
        public string SpareFor(Role role) => role == Role.Administrator ? SpareForAdministrator : SpareForOwner;

        private string MemberIdOf(Role role) => _callers.TryGetValue(role, out (SignInResult SignIn, UnlockedAccount Keys) c) ? c.Keys.MemberId : TeamMemberId;

        private string DefaultId(string parameter) => parameter switch
        {
            "vaultId" => VaultId,
            "itemId" => ItemId,
            "principalKind" => "member",
            "principalId" => SpareGrantee,
            "memberId" => TeamMemberId,
            "groupId" => GroupId,
            "deviceId" => TeamMemberSecondDeviceId,
            "sessionId" => TeamMemberSpareSessionId,
            _ => throw new InvalidOperationException($"The matrix has no id for {{{parameter}}}; add one."),
        };

        public async Task<(int Status, string Seen)> CallAsync(Row row, Role role)
        {
            Dictionary<string, string> ids = row.Ids?.Invoke(this, role) ?? [];
            string path = Fill(row.Pattern, p => ids.TryGetValue(p, out string? id) ? id : DefaultId(p));
            byte[] body = row.Body?.Invoke(this, role) ?? [];
            HttpMethod method = new(row.Method);
            if (role == Role.NoSession)
            {
                using HttpRequestMessage request = new(method, path);
                if (body.Length > 0)
                {
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }
                using HttpResponseMessage response = await _org.Server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                return ((int)response.StatusCode, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            CofferSession session = _callers[role].SignIn.Session;
            try
            {
                if (row.Pattern == "/api/v1/events")
                {
                    // A stream answers 200 and stays open; once it is open the question is answered.
                    using SealedEventReader events = await session.OpenEventStreamAsync(path);
                }
                else
                {
                    _ = await session.ExchangeAsync(method, path, body, CancellationToken.None);
                }
                return (200, "2xx");
            }
            catch (CofferApiException e)
            {
                return (e.Status, $"{e.Status} {e.Type}");
            }
            catch (CofferSessionExpiredException)
            {
                return (401, "401");
            }
            catch (CofferDeviceWipedException)
            {
                return (401, "401 (wipe)");
            }
            catch (CofferProtocolException e)
            {
                return (0, "an answer that did not open: " + e.Message);
            }
        }

        private static string Fill(string pattern, Func<string, string> id)
        {
            StringBuilder path = new();
            int i = 0;
            while (i < pattern.Length)
            {
                int open = pattern.IndexOf('{', i);
                if (open < 0)
                {
                    path.Append(pattern, i, pattern.Length - i);
                    break;
                }
                int close = pattern.IndexOf('}', open);
                path.Append(pattern, i, open - i).Append(id(pattern[(open + 1)..close]));
                i = close + 1;
            }
            return path.ToString();
        }

        // Well-formed but unopenable envelopes and wraps: the server cannot see inside them, so they reach the grant check; an
        // allowed caller then meets a version conflict or a signature that does not verify, and nothing is written.
        private static EnvelopeDto Sealed(string kid) => new(kid, "A256GCM", Base64Url.Encode(new byte[12]), Base64Url.Encode(new byte[48]));

        private SignedWrapDto WrapBy(Role role, string vaultId, long keySerial, string recipientId) =>
            new("vault", vaultId, keySerial, recipientId, "member", 1, Base64Url.Encode(new byte[256]), MemberIdOf(role), Base64Url.Encode(new byte[64]));

        /// <summary>The Owners group's key for the Team Member, well formed but unopenable: an Owner gets 400, nobody else gets past the rules.</summary>
        public SignedWrapDto OwnersGroupWrap(Role role) =>
            new("group", OwnersGroupId, 1, TeamMemberId, "member", 1, Base64Url.Encode(new byte[256]), MemberIdOf(role), Base64Url.Encode(new byte[64]));

        public SignedWrapDto BadWrap() => new("nothing", VaultId, 0, TeamMemberId, "member", 0, "", TeamMemberId, "");

        /// <summary>
        /// An edit based on a version that does not exist, or a creation (from version 0) under a vault key that does not exist yet:
        /// allowed callers get 409 and nothing is written.
        /// </summary>
        public byte[] ItemWrite(string itemId, bool archived, bool trashed, long baseVersion = 99, long vaultKeySerial = 1) =>
            Bytes(new ItemWriteRequest(baseVersion, vaultKeySerial, Sealed($"vault:{VaultId}:k{vaultKeySerial}"), Sealed($"item:{itemId}:v{baseVersion + 1}"),
                Sealed($"item:{itemId}:v{baseVersion + 1}"), archived, trashed), Json.ItemWriteRequest);

        public byte[] ItemDelete() =>
            Bytes(new DeleteItemRequest(99, 1, Sealed($"vault:{VaultId}:k1"), Sealed($"item:{ItemId}:v100")), Json.DeleteItemRequest);

        /// <summary>A shared vault whose self-grant does not verify: allowed callers get 400, and no vault is made.</summary>
        public byte[] CreateVault(Role role)
        {
            string id = NewVaultId;
            return Bytes(new CreateVaultRequest(id, "shared", 1, 1, Sealed($"vault:{id}:k1"), false, WrapBy(role, id, 1, MemberIdOf(role))),
                Json.CreateVaultRequest);
        }

        /// <summary>A rotation against a vault version long gone: allowed callers get 409.</summary>
        public byte[] Rotate(Role role) =>
            Bytes(new RotateVaultRequest(0, 2, Sealed($"vault:{VaultId}:k1"), [], [WrapBy(role, VaultId, 2, MemberIdOf(role))], 2,
                Sealed($"vault:{VaultId}:k2")), Json.RotateVaultRequest);

        /// <summary>A grant to the spare grantee whose wrap does not verify: allowed callers get 400.</summary>
        public byte[] PutGrant(Role role) =>
            Bytes(new PutVaultGrantRequest(WrapBy(role, VaultId, 1, SpareGrantee), [VaultPermissions.ViewItems]), Json.PutVaultGrantRequest);

        /// <summary>Each caller's own pins, sealed by the SDK: a real write.</summary>
        public byte[] PinsOf(Role role)
        {
            UnlockedAccount keys = _callers[role == Role.NoSession ? Role.Owner : role].Keys;
            (long version, Envelope sealedPins) = keys.Pins.Seal(keys.Keyset);
            return Bytes(new PinsDto(keys.Keyset.KeysetId, keys.Keyset.Serial, version, WireMapper.ToDto(sealedPins)), Json.PinsDto);
        }

        private SubjectCertificateDto BadCertificate() => new(PendingId, "member", "team_members", PendingId, 1, "", "", TeamMemberId, 0, "");

        private KeysetDto BadKeyset() => new(GroupId, 1, "", "", null, Sealed("x"), Sealed("x"));

        public byte[] Confirm() => Bytes(new ConfirmMemberRequest(BadCertificate(), []), Json.ConfirmMemberRequest);

        public byte[] CreateGroup() =>
            Bytes(new CreateGroupRequest("not-an-id", "", ["not_a_permission"], BadKeyset(), BadCertificate(), []), Json.CreateGroupRequest);

        public byte[] RotateGroup() =>
            Bytes(new RotateGroupRequest(0, ["not-an-id"], BadKeyset(), BadCertificate(), "", [], [], [], [], null), Json.RotateGroupRequest);

        private T Keep<T>(T disposable)
            where T : IDisposable
        {
            _owned.Add(disposable);
            return disposable;
        }

        private void Keep(SignInResult signIn, UnlockedAccount keys)
        {
            _owned.Add(signIn);
            _owned.Add(keys);
        }

        public ValueTask DisposeAsync()
        {
            foreach (IDisposable d in Enumerable.Reverse(_owned))
            {
                d.Dispose();
            }
            return ValueTask.CompletedTask;
        }
    }
}
