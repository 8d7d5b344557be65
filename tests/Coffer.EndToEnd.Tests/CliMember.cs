using System.Text.Json;

namespace Coffer.EndToEnd.Tests;

/// <summary>A member made entirely through the real coffer command: invited by the Owner, accepted on their own device, confirmed, unlocked.</summary>
internal sealed record CliMember(CofferHomeDirectory Device, string Email, string Password, string MemberId) : IDisposable
{
    /// <summary>Invites <paramref name="name"/>, accepts from the mailed link on a new device (its own home and agent), confirms with the Owner's coffer and unlocks.</summary>
    public static async Task<CliMember> JoinAsync(OrganisationFixture org, string name)
    {
        (CofferHomeDirectory device, string email, string password, string memberId) = await AcceptAsync(org, name);
        CofferRun confirm = await org.Owner.RunAsync(null, "member", "confirm", email, "--yes", "--format", "json");
        Assert.True(confirm.Exit == 0, confirm.ToString());
        CofferRun unlock = await device.RunAsync(password + "\n", "unlock", "--password-stdin");
        Assert.True(unlock.Exit == 0, unlock.ToString());
        return new CliMember(device, email, password, memberId);
    }

    /// <summary>Invites and accepts, leaving the member waiting for confirmation.</summary>
    public static async Task<(CofferHomeDirectory Device, string Email, string Password, string MemberId)> AcceptAsync(OrganisationFixture org, string name)
    {
        string email = $"{name}-{Guid.NewGuid().ToString("N")[..8]}@example.org";
        string password = "purple monkey dishwasher 1977 " + name;
        CofferRun invite = await org.Owner.RunAsync(null, "member", "invite", email, "--name", name, "--format", "json");
        Assert.True(invite.Exit == 0, invite.ToString());
        string memberId = JsonDocument.Parse(invite.Stdout).RootElement.GetProperty("memberId").GetString()!;
        CofferHomeDirectory device = new(name);
        CofferRun accept = await device.RunAsync(password + "\n", "accept", org.InvitationLinkFor(email), "--password-stdin");
        if (accept.Exit != 0)
        {
            device.Dispose();
            Assert.Fail(accept.ToString());
        }
        return (device, email, password, memberId);
    }

    public void Dispose() => Device.Dispose();
}
