using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Members;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Members;
using Coffer.Sdk.Mfa;
using Coffer.Server.Features.Members;

namespace Coffer.Server.Tests.Common;

/// <summary>
/// A member other than the first Owner, made the way a person joins: invited by an administrator, accepted from
/// the mailed link with the SDK, and (unless asked not to) confirmed by the administrator's client.
/// </summary>
internal sealed class TestMember : IDisposable
{
    public const string Password = "purple monkey dishwasher 1977";

    private static int _devices;

    private readonly TestOrganisation _org;
    private readonly InvitationAcceptanceResult _accepted;

    private TestMember(TestOrganisation org, InvitationAcceptanceResult accepted, string memberId)
    {
        _org = org;
        _accepted = accepted;
        MemberId = memberId;
        Authenticator = new(org.Clock, "Member's phone");
        DeviceId = $"0190a1b2-0000-7000-8000-{Interlocked.Increment(ref _devices) + 0xd100:x12}";
    }

    public string MemberId { get; }

    public string Email => _accepted.Account.Email;

    public string DeviceId { get; }

    /// <summary>Their authenticator app (see <see cref="TestOrganisation.OwnerAuthenticator"/>).</summary>
    public TotpAuthenticator Authenticator { get; }

    public RememberedAccount Account => _accepted.Account;

    /// <summary>The Secret Key made at acceptance.</summary>
    public Crypto.Accounts.SecretKey SecretKey => _accepted.SecretKey;

    /// <summary>
    /// Invites <paramref name="email"/> into <paramref name="baseGroup"/> as <paramref name="admin"/>, accepts, and confirms unless told not to,
    /// giving them the keys of <paramref name="groups"/> too.
    /// </summary>
    public static async Task<TestMember> JoinAsync(TestOrganisation org, SignInResult admin, UnlockedAccount adminKeys, string email, string baseGroup,
        bool confirm = true, IReadOnlyList<string>? groups = null)
    {
        InvitationResponse invited = await admin.Session.SendAsync(HttpMethod.Post, "/api/v1/members/invitations",
            new InviteMemberRequest(email, email.Split('@')[0], baseGroup), CofferJsonContext.Default.InviteMemberRequest,
            CofferJsonContext.Default.InvitationResponse);
        string outbox = org.Server.Services.GetRequiredService<Mailer>().OutboxDirectory;
        string eml = Directory.GetFiles(outbox, "*.eml").Select(File.ReadAllText)
            .Single(m => m.Contains($"\r\nTo: {email}\r\n", StringComparison.OrdinalIgnoreCase)
                && m.Contains("\r\nSubject: You are invited to Coffer\r\n", StringComparison.Ordinal));
        InvitationLink link = InvitationLink.Parse(eml[eml.IndexOf("http", StringComparison.Ordinal)..].Split('\r', '\n')[0]);
        InvitationAcceptanceResult accepted = await InvitationAcceptance.AcceptAsync(org.Connection, link, Password, TimeProvider.System,
            TestOrganisation.Policy, TestOrganisation.Iterations);
        if (confirm)
        {
            PendingMember pending = await MemberConfirmation.FetchAsync(admin.Session, adminKeys, invited.MemberId);
            await MemberConfirmation.ConfirmAsync(admin.Session, adminKeys, pending, TimeProvider.System, groups);
        }
        return new TestMember(org, accepted, invited.MemberId);
    }

    public Task<SignInResult> SignInAsync(string? password = null, string? deviceId = null) =>
        TestOrganisation.SignInWithFactorAsync(Authenticator, () => SignIn.SignInAsync(_org.Connection, Email, password ?? Password, _accepted.SecretKey,
            deviceId ?? DeviceId, new DeviceInfoDto("Member laptop", "linux-cli", "0.1.0"), TestOrganisation.Policy));

    /// <summary>Signs in and unlocks, checking every key's provenance to the pinned organisation root.</summary>
    public async Task<(SignInResult SignIn, UnlockedAccount Keys)> SignInAndUnlockAsync()
    {
        SignInResult signIn = await SignInAsync();
        return (signIn, await TestOrganisation.UnlockAsync(signIn, Account));
    }

    public void Dispose()
    {
        Authenticator.Dispose();
        _accepted.Dispose();
    }
}
