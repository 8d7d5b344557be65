using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Common;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Items;
using Coffer.Crypto.Keys;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Otp;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Http;
using Coffer.Sdk.Vaults;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Vaults and items with the real <c>coffer</c> binary against a real server: the Owner's vault "Team" shared with Bob (an
/// editor) and Carol (a viewer), each on a device of their own with their own agent and local cache. A device answers reads
/// from its cache and syncs when its last sync is a few seconds old, so a test that reads on one device what another just
/// wrote waits until it shows (<see cref="EventuallyAsync"/>).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ItemCommandTests(SharedVaultFixture shared) : IClassFixture<SharedVaultFixture>
{
    private static readonly CofferJsonContext Wire = CofferJsonContext.Default;

    [Fact]
    public async Task Share_EditorAndViewer_EachSeeTheVaultWithTheirAccess()
    {
        CofferRun bob = await EventuallyAsync(shared.Bob, r => r.Exit == 0 && r.Stdout.Contains(shared.TeamVaultId, StringComparison.Ordinal),
            "vault", "list", "--format", "json");
        CofferRun carol = await EventuallyAsync(shared.Carol, r => r.Exit == 0 && r.Stdout.Contains(shared.TeamVaultId, StringComparison.Ordinal),
            "vault", "list", "--format", "json");
        CofferRun show = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "vault", "show", SharedVaultFixture.TeamVault, "--format", "json"));

        Assert.Contains("edit_items", Permissions(bob, shared.TeamVaultId));
        Assert.DoesNotContain("manage_vault", Permissions(bob, shared.TeamVaultId));
        Assert.Equal(["view_items", "view_and_copy_passwords", "view_item_history"], Permissions(carol, shared.TeamVaultId));
        using JsonDocument details = JsonDocument.Parse(show.Stdout);
        string[] who = [.. details.RootElement.GetProperty("grants").EnumerateArray().Select(g => g.GetProperty("name").GetString()!)];
        Assert.Equal(new[] { OrganisationFixture.OwnerEmail, SharedVaultFixture.BobEmail, SharedVaultFixture.CarolEmail }.Order(), who.Order());
    }

    [Fact]
    public async Task Share_WithAGroup_ItsMembersOpenTheVaultThroughTheGroupKey()
    {
        string vault = Unique("Everyone");
        string vaultId = JsonDocument.Parse(SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "vault", "create", vault, "--format", "json")).Stdout)
            .RootElement.GetProperty("id").GetString()!;
        string title = Unique("Office wifi");
        await CreateAsync(shared.Owner, title, "wifi-pass-1", "--vault", vault);

        CofferRun share = await shared.Owner.RunAsync(null, "vault", "share", vault, "--group", "Team Members", "--permission", "view_items,view_and_copy_passwords",
            "--format", "json");
        CofferRun read = await EventuallyAsync(shared.Carol, r => r.Exit == 0, "item", "get", title, "--field", "password");
        CofferRun noGroup = await shared.Owner.RunAsync(null, "vault", "share", vault, "--group", "No such group");

        Assert.True(share.Exit == 0, share.ToString());
        using JsonDocument grant = JsonDocument.Parse(share.Stdout);
        Assert.Equal("group", grant.RootElement.GetProperty("kind").GetString());
        Assert.Equal(["view_items", "view_and_copy_passwords"], grant.RootElement.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()!));
        Assert.Equal("wifi-pass-1\n", read.Stdout);
        CofferRun carolVaults = SharedVaultFixture.Succeeded(await shared.Carol.RunAsync(null, "vault", "list", "--format", "json"));
        Assert.Equal(["view_items", "view_and_copy_passwords"], Permissions(carolVaults, vaultId));
        Assert.Equal(5, noGroup.Exit);
        Assert.Equal("coffer: No group \"No such group\" in the organisation.", OneLine(noGroup.Stderr));
    }

    [Fact]
    public async Task Viewer_ReadsThePassword_ButEditingCreatingOrTrashing_IsRefusedWithOneClearLine()
    {
        string title = Unique("Supplier portal");
        await CreateAsync(shared.Owner, title, "supplier-pass-1", "--url", "https://portal.example.net/login");

        CofferRun read = await EventuallyAsync(shared.Carol, r => r.Exit == 0, "item", "get", title, "--field", "password");
        CofferRun edit = await shared.Carol.RunAsync(null, "item", "edit", title, "--add-tag", "mine");
        CofferRun create = await shared.Carol.RunAsync(null, "item", "create", "--vault", SharedVaultFixture.TeamVault, "--title", "Viewer's", "--generate");
        CofferRun trash = await shared.Carol.RunAsync(null, "item", "trash", title);

        Assert.Equal("supplier-pass-1\n", read.Stdout);
        Assert.Equal(7, edit.Exit);
        Assert.Equal("coffer: Not allowed: editing items in vault \"Team\" needs the edit_items permission, which your access does not include.",
            OneLine(edit.Stderr));
        Assert.Equal(7, create.Exit);
        Assert.Contains("create_items", OneLine(create.Stderr), StringComparison.Ordinal);
        Assert.Equal(7, trash.Exit);
        Assert.Contains("delete_items", OneLine(trash.Stderr), StringComparison.Ordinal);
        CofferRun unchanged = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "get", title, "--format", "json"));
        Assert.Equal(1, JsonDocument.Parse(unchanged.Stdout).RootElement.GetProperty("item").GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Edit_TwoDevicesAtOnceFromTheSameVersion_OneIsAConflict_AndNoEditIsLost()
    {
        string title = Unique("Shared router");
        await CreateAsync(shared.Owner, title, "router-pass-1");
        await EventuallyAsync(shared.Bob, r => r.Exit == 0, "item", "get", title);

        CofferRun[] edits = await Task.WhenAll(
            shared.Owner.RunAsync(null, "item", "edit", title, "--add-tag", "from-owner"),
            shared.Bob.RunAsync(null, "item", "edit", title, "--add-tag", "from-bob"));

        Assert.Single(edits, r => r.Exit == 0);
        CofferRun lost = Assert.Single(edits, r => r.Exit == 6);
        Assert.Contains("was changed elsewhere since this device's copy (version 1); nothing was saved", OneLine(lost.Stderr), StringComparison.Ordinal);
        // The device that lost has fetched the winner's version: the same edit again now succeeds on top of it.
        CofferHomeDirectory loser = ReferenceEquals(lost, edits[0]) ? shared.Owner : shared.Bob;
        string loserTag = ReferenceEquals(lost, edits[0]) ? "from-owner" : "from-bob";
        SharedVaultFixture.Succeeded(await loser.RunAsync(null, "item", "edit", title, "--add-tag", loserTag));
        CofferRun final = await EventuallyAsync(shared.Owner, r => r.Exit == 0 && r.Stdout.Contains("\"version\": 3", StringComparison.Ordinal),
            "item", "get", title, "--format", "json");
        string[] tags = [.. JsonDocument.Parse(final.Stdout).RootElement.GetProperty("item").GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)];
        Assert.Equal(new[] { "from-bob", "from-owner" }, tags.Order());
    }

    [Fact]
    public async Task Get_AfterAnEdit_ShowsTheNewPassword_AtOnceOnTheEditingDevice_AndAfterTheNextSyncElsewhere()
    {
        // The agent keeps items it opened for reading (docs/adr/0020, "Opened items"): never past a change.
        string title = Unique("Kept router");
        await CreateAsync(shared.Owner, title, "kept-pass-1");
        await EventuallyAsync(shared.Bob, r => r.Exit == 0 && r.Stdout == "kept-pass-1\n", "item", "get", title, "--field", "password");
        CofferRun before = await shared.Owner.RunAsync(null, "item", "get", title, "--field", "password");

        SharedVaultFixture.Succeeded(await shared.Owner.RunAsync("kept-pass-2\n", "item", "edit", title, "--password-stdin-field"));
        CofferRun after = await shared.Owner.RunAsync(null, "item", "get", title, "--field", "password");

        Assert.Equal("kept-pass-1\n", before.Stdout);
        Assert.Equal("kept-pass-2\n", after.Stdout);
        await EventuallyAsync(shared.Bob, r => r.Exit == 0 && r.Stdout == "kept-pass-2\n", "item", "get", title, "--field", "password");
    }

    [Fact]
    public async Task Edit_FromAStaleCopy_IsAConflictAndSavesNothing_ThenWorksOnTheCurrentVersion()
    {
        string title = Unique("Build server");
        await CreateAsync(shared.Owner, title, "build-pass-1");
        await EventuallyAsync(shared.Bob, r => r.Exit == 0, "item", "get", title);
        SharedVaultFixture.Succeeded(await shared.Owner.RunAsync("build-pass-2\n", "item", "edit", title, "--password-stdin-field"));

        // Bob's device still holds version 1, and an edit does not sync first: its base is what the device shows.
        CofferRun stale = await shared.Bob.RunAsync(null, "item", "edit", title, "--username", "bob");
        CofferRun again = await shared.Bob.RunAsync(null, "item", "edit", title, "--username", "bob");

        Assert.Equal(6, stale.Exit);
        Assert.StartsWith($"coffer: \"{title}\" was changed elsewhere", OneLine(stale.Stderr), StringComparison.Ordinal);
        Assert.True(again.Exit == 0, again.ToString());
        CofferRun password = await EventuallyAsync(shared.Owner, r => r.Exit == 0 && r.Stdout.Contains("\"version\": 3", StringComparison.Ordinal),
            "item", "get", title, "--reveal", "--format", "json");
        using JsonDocument item = JsonDocument.Parse(password.Stdout);
        JsonElement[] fields = [.. item.RootElement.GetProperty("fields").EnumerateArray()];
        Assert.Equal("build-pass-2", fields.Single(f => f.GetProperty("purpose").GetString() == "password").GetProperty("value").GetString());
        Assert.Equal("bob", fields.Single(f => f.GetProperty("purpose").GetString() == "username").GetProperty("value").GetString());
    }

    [Fact]
    public async Task Search_FindsByTitleUrlHostAndTag_AndListFilters()
    {
        string tag = Unique("finance").Replace(' ', '-');
        string title = Unique("Payroll portal");
        await CreateAsync(shared.Owner, title, "payroll-1", "--url", "https://payroll.acme-e2e.test/signin", "--tag", tag);
        await CreateAsync(shared.Owner, Unique("Unrelated"), "unrelated-1", "--url", "https://elsewhere.test");

        CofferRun byTitle = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "search", title.Split(' ')[0], "--format", "json"));
        CofferRun byHost = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "search", "acme-e2e", "--format", "json"));
        CofferRun byTag = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "search", tag, "--format", "json"));
        CofferRun tagFilter = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "list", "--tag", tag, "--format", "json"));
        CofferRun none = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "list", "--search", "no-such-word-anywhere", "--format", "json"));
        CofferRun table = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "search", "acme-e2e"));

        foreach (CofferRun found in (CofferRun[])[byTitle, byHost, byTag, tagFilter])
        {
            Assert.Equal(title, Assert.Single(Titles(found)));
        }
        Assert.Empty(Titles(none));
        Assert.Contains(title, table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("payroll-1", table.Stdout + byHost.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_FieldPrintsOnlyTheValue_WithoutRevealConcealedValuesStayHidden_RevealsAreInTheActivityLog()
    {
        string title = Unique("Mail relay");
        const string secret = "relay pass with spaces & symbols !#";
        string itemId = await CreateAsync(shared.Owner, title, secret, "--username", "relay-admin");

        CofferRun password = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "get", title, "--field", "password"));
        CofferRun username = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "get", title, "--field", "username"));
        CofferRun shown = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "get", title));
        CofferRun json = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "get", title, "--format", "json"));
        CofferRun revealed = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "get", title, "--reveal"));
        CofferRun missing = await shared.Owner.RunAsync(null, "item", "get", title, "--field", "pin code");

        Assert.Equal(secret + "\n", password.Stdout);
        Assert.Equal("", password.Stderr);
        Assert.Equal("relay-admin\n", username.Stdout);
        Assert.DoesNotContain(secret, shown.Stdout + shown.Stderr + json.Stdout, StringComparison.Ordinal);
        Assert.Contains("relay-admin", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("concealed", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains(secret, revealed.Stdout, StringComparison.Ordinal);
        Assert.Equal(5, missing.Exit);
        Assert.Contains("has no field \"pin code\"", OneLine(missing.Stderr), StringComparison.Ordinal);
        // POLICY.md "Accounting": the agent reports in the background the two reveals (the password field, --reveal), not the
        // username or the concealed view; ids and the field's purpose only.
        CofferRun tail = await EventuallyAsync(shared.Owner, r => r.Exit == 0 && Reveals(r, itemId).Length == 2, "audit", "tail", "-n", "40", "--format", "json");
        JsonElement[] reveals = Reveals(tail, itemId);
        Assert.Equal(["{\"vaultId\":", "{\"vaultId\":"], reveals.Select(e => e.GetProperty("details").GetString()![..11]));
        Assert.Contains("\"field\":\"password\"", reveals[0].GetProperty("details").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, tail.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(title, tail.Stdout, StringComparison.Ordinal);
    }

    private static JsonElement[] Reveals(CofferRun tail, string itemId) =>
        [.. JsonDocument.Parse(tail.Stdout).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("action").GetString() == "item.reveal" && e.TryGetProperty("targetId", out JsonElement t) && t.GetString() == itemId)];

    [Fact]
    public async Task Get_Otp_PrintsTheCurrentCodeOfAKnownSecret()
    {
        // RFC 6238 defaults (SHA-1, 6 digits, 30 s) through Coffer.Protocol.Otp, computed here independently of the CLI.
        const string base32Secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        string title = Unique("VPN");
        SharedVaultFixture.Succeeded(await shared.Owner.RunAsync("vpn-pass\notpauth://totp/Example:olive?secret=" + base32Secret + "&issuer=Example\n",
            "item", "create", "--vault", SharedVaultFixture.TeamVault, "--title", title, "--password-stdin-field", "--otp-stdin"));
        using Totp totp = new(Base32.Decode(base32Secret));

        string before = totp.Compute(DateTimeOffset.UtcNow);
        CofferRun otp = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "get", title, "--otp"));
        string after = totp.Compute(DateTimeOffset.UtcNow);

        // The command ran between the two readings of the clock: its code is one of theirs (they differ only across a 30 s step).
        Assert.Contains(otp.Stdout.TrimEnd('\n'), new[] { before, after });
        Assert.Matches("^[0-9]{6}\n$", otp.Stdout);
        CofferRun noOtp = await shared.Owner.RunAsync(null, "item", "get", await CreateAsync(shared.Owner, Unique("No OTP"), "x-pass-1"), "--otp");
        Assert.Equal(5, noOtp.Exit);
        Assert.Contains("has no one-time password", OneLine(noOtp.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_ShowsEarlierVersionsAndPasswords_ConcealedUnlessRevealed_AndTrashRestoreDelete()
    {
        string title = Unique("Firewall");
        string id = await CreateAsync(shared.Owner, title, "fw-pass-1");
        SharedVaultFixture.Succeeded(await shared.Owner.RunAsync("fw-pass-2\n", "item", "edit", id, "--password-stdin-field"));

        CofferRun history = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "history", id, "--format", "json"));
        CofferRun revealed = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "history", id, "--reveal", "--format", "json"));
        CofferRun trash = await shared.Owner.RunAsync(null, "item", "trash", id);
        CofferRun listed = SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "item", "list", "--trashed", "--format", "json"));
        CofferRun restore = await shared.Owner.RunAsync(null, "item", "restore", id);
        CofferRun delete = await shared.Owner.RunAsync(null, "item", "delete", id, "--yes");
        CofferRun gone = await shared.Owner.RunAsync(null, "item", "get", id);

        using JsonDocument h = JsonDocument.Parse(history.Stdout);
        Assert.Contains(h.RootElement.GetProperty("versions").EnumerateArray(), v => v.GetProperty("version").GetInt64() == 1
            && v.GetProperty("title").GetString() == title);
        JsonElement earlier = Assert.Single(h.RootElement.GetProperty("earlierPasswords").EnumerateArray());
        Assert.False(earlier.TryGetProperty("value", out _));
        Assert.DoesNotContain("fw-pass-1", history.Stdout, StringComparison.Ordinal);
        Assert.Equal("fw-pass-1", Assert.Single(JsonDocument.Parse(revealed.Stdout).RootElement.GetProperty("earlierPasswords").EnumerateArray())
            .GetProperty("value").GetString());
        Assert.True(trash.Exit == 0 && restore.Exit == 0 && delete.Exit == 0, trash + "\n" + restore + "\n" + delete);
        Assert.Contains(title, Titles(listed));
        Assert.Equal(5, gone.Exit);
    }

    [Fact]
    public async Task Unshare_RotatesTheVaultKey_AndTheKeysTheRemovedMemberKeptOpenNothingWrittenAfter()
    {
        string vault = Unique("Rotation");
        string vaultId = JsonDocument.Parse(SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "vault", "create", vault, "--format", "json")).Stdout)
            .RootElement.GetProperty("id").GetString()!;
        SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "vault", "share", vault, "--member", SharedVaultFixture.BobEmail, "--role", "editor"));
        string existing = await CreateAsync(shared.Owner, Unique("Core switch"), "switch-pass-1", "--vault", vault);
        await EventuallyAsync(shared.Bob, r => r.Exit == 0, "item", "get", existing, "--field", "password");

        // What Bob can keep before he is removed: the vault key he unwrapped, and the item key of what he could read.
        (CofferConnection bobConnection, SignInResult bobSignIn, UnlockedAccount bobKeys) = await shared.ThroughSdkAsync(SharedVaultFixture.BobEmail,
            SharedVaultFixture.BobPassword, shared.BobSecretKey, shared.BobMemberId);
        byte[] keptVaultKey;
        ItemDto before;
        using (bobConnection)
        using (bobSignIn)
        using (bobKeys)
        {
            VaultDto served = await bobSignIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults/" + vaultId, Wire.VaultDto);
            keptVaultKey = KeyWrap.Unwrap(bobKeys.Keyset.EncryptionKey, Base64Url.Decode(Assert.Single(served.Grants).Wrap.Wrap))!;
            before = await bobSignIn.Session.SendAsync(HttpMethod.Get, $"/api/v1/vaults/{vaultId}/items/{existing}", Wire.ItemDto);
            bobSignIn.Session.Dispose();
        }
        using VaultKey kept = VaultKey.FromUnwrapped(vaultId, 1, keptVaultKey);
        using EnvelopeKey keptItemKey = ItemCrypto.OpenItemKey(kept, existing, before.Version, 1, ToEnvelope(before.SealedItemKey))!;
        Assert.NotNull(ItemCrypto.OpenPart(keptItemKey, existing, before.Version, ItemPart.Details, ToEnvelope(before.SealedDetails)));

        CofferRun unshare = await shared.Owner.RunAsync(null, "vault", "unshare", vault, "--member", SharedVaultFixture.BobEmail, "--format", "json");
        CofferRun unshareTable = await shared.Owner.RunAsync(null, "vault", "show", vault, "--format", "json");
        SharedVaultFixture.Succeeded(await shared.Owner.RunAsync("switch-pass-2\n", "item", "edit", existing, "--password-stdin-field"));
        string created = await CreateAsync(shared.Owner, Unique("Written after"), "after-pass-1", "--vault", vault);

        Assert.True(unshare.Exit == 0, unshare.ToString());
        using JsonDocument removed = JsonDocument.Parse(unshare.Stdout);
        Assert.True(removed.RootElement.GetProperty("rotated").GetBoolean());
        Assert.Equal(2, removed.RootElement.GetProperty("keySerial").GetInt64());
        Assert.Equal(1, removed.RootElement.GetProperty("itemsTheyCouldRead").GetInt32());
        Assert.DoesNotContain(shared.BobMemberId, unshareTable.Stdout, StringComparison.Ordinal);
        // Everything written after the removal, as the server holds it: under key 2, and nothing Bob kept opens any of it.
        (CofferConnection ownerConnection, SignInResult owner, UnlockedAccount ownerKeys) = await shared.Org.OwnerThroughSdkAsync();
        using (ownerConnection)
        using (owner)
        using (ownerKeys)
        using (VaultClient vaults = new(owner.Session, ownerKeys))
        {
            ItemListResponse now = await vaults.ListItemsAsync(vaultId);
            ItemDto edited = now.Items.Single(i => i.Id == existing);
            ItemDto written = now.Items.Single(i => i.Id == created);
            Assert.Equal(2, edited.Version);
            foreach (ItemDto after in (ItemDto[])[edited, written])
            {
                Assert.Equal(2, after.VaultKeySerial);
                Assert.Null(ItemCrypto.OpenItemKey(kept, after.Id, after.Version, 1, ToEnvelope(after.SealedItemKey)));
                using EnvelopeKey relabelled = new(VaultKey.KidFor(vaultId, 2), keptVaultKey);
                Assert.Null(relabelled.Open(ItemCrypto.ItemKeyContext(vaultId, 2, after.Id, after.Version), ToEnvelope(after.SealedItemKey)));
                foreach (ItemPart part in (ItemPart[])[ItemPart.Overview, ItemPart.Details])
                {
                    Envelope sealedPart = ToEnvelope(part == ItemPart.Overview ? after.SealedOverview : after.SealedDetails);
                    Assert.Null(ItemCrypto.OpenPart(keptItemKey, after.Id, after.Version, part, sealedPart));
                }
            }
            using JsonDocument details = JsonDocument.Parse((await vaults.GetItemAsync(vaultId, existing)).Details);
            Assert.Equal("switch-pass-2", details.RootElement.GetProperty("fields").EnumerateArray()
                .Single(f => f.GetProperty("purpose").GetString() == "password").GetProperty("value").GetString());
            owner.Session.Dispose();
        }
        CryptographicOperations.ZeroMemory(keptVaultKey);
        // Bob's device drops the vault from its cache at its next sync, and with it what he could read.
        await EventuallyAsync(shared.Bob, r => r.Exit == 0 && !r.Stdout.Contains(vaultId, StringComparison.Ordinal), "vault", "list", "--format", "json");
        Assert.Equal(5, (await shared.Bob.RunAsync(null, "item", "get", existing)).Exit);
    }

    [Fact]
    public async Task Shell_RunsOneCommandPerLine_InOneProcess_WithAPromptBeforeEach()
    {
        string title = Unique("Shell lookup");
        await CreateAsync(shared.Owner, title, "shell-pass-1");

        CofferRun shell = await shared.Owner.RunAsync($"item get \"{title}\" --field password\nitem get \"No such item here\"\nshell\nitem get \"{title}\" --field password\n",
            "shell");

        Assert.Equal(0, shell.Exit);
        const string Prompt = "coffer> ";
        Assert.Equal($"{Prompt}shell-pass-1\n{Prompt}{Prompt}{Prompt}shell-pass-1\n{Prompt}", shell.Stdout);
        string[] errors = shell.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, errors.Length);
        Assert.Contains("No such item here", errors[0], StringComparison.Ordinal);
        Assert.Equal("coffer: `shell` does not run inside the shell.", errors[1]);
    }

    [Fact]
    public async Task Copy_PutsThePasswordOnTheClipboard_AndClearsItAfterwards_OrSaysThereIsNoClipboard()
    {
        string title = Unique("Printer");
        await CreateAsync(shared.Owner, title, "printer-pass-1");
        string bin = Path.Combine(shared.Owner.Root, "fake-bin");
        string board = Path.Combine(shared.Owner.Root, "clipboard.txt");
        Directory.CreateDirectory(bin);
        // A stand-in for xclip: -out prints the board, anything else stores stdin on it.
        File.WriteAllText(Path.Combine(bin, "xclip"), """
            #!/bin/sh
            for a in "$@"; do case "$a" in -out|-o) cat "$COFFER_TEST_CLIPBOARD" 2>/dev/null; exit 0;; esac; done
            cat > "$COFFER_TEST_CLIPBOARD"
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(Path.Combine(bin, "xclip"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            shared.Owner.Environment["WAYLAND_DISPLAY"] = null;
            shared.Owner.Environment["DISPLAY"] = null;
            CofferRun none = await shared.Owner.RunAsync(null, "item", "get", title, "--copy");

            shared.Owner.Environment["DISPLAY"] = ":99";
            shared.Owner.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            shared.Owner.Environment["COFFER_TEST_CLIPBOARD"] = board;
            shared.Owner.Environment["COFFER_CLIPBOARD_SECONDS"] = "1";
            CofferRun copy = await shared.Owner.RunAsync(null, "item", "get", title, "--copy");

            Assert.Equal(1, none.Exit);
            Assert.StartsWith("coffer: No clipboard here", OneLine(none.Stderr), StringComparison.Ordinal);
            Assert.True(copy.Exit == 0, copy.ToString());
            Assert.DoesNotContain("printer-pass-1", copy.Stdout + copy.Stderr, StringComparison.Ordinal);
            Assert.Contains("Copied the password", copy.Stdout, StringComparison.Ordinal);
            string copied = File.ReadAllText(board);
            for (int i = 0; i < 300 && File.ReadAllText(board).Length > 0; i++)
            {
                await Task.Delay(100);
            }
            Assert.Equal("printer-pass-1", copied);
            Assert.Equal("", File.ReadAllText(board));
        }
        finally
        {
            foreach (string name in (string[])["WAYLAND_DISPLAY", "DISPLAY", "PATH", "COFFER_TEST_CLIPBOARD", "COFFER_CLIPBOARD_SECONDS"])
            {
                shared.Owner.Environment.Remove(name);
            }
        }
    }

    [Fact]
    public async Task LocalCache_Is0600InA0700Directory_AndIsDeletedBySignOutForgetAndByARemoteWipe()
    {
        using CofferHomeDirectory kept = await SignInOwnerAsync("cache-forget");
        using CofferHomeDirectory wiped = await SignInOwnerAsync("cache-wiped");
        string title = Unique("Cache check");
        await CreateAsync(kept, title, "cache-pass-1");
        await EventuallyAsync(wiped, r => r.Exit == 0, "item", "get", title);
        string keptCache = Path.Combine(kept.Home, "cache", shared.Org.OwnerMemberId);
        string wipedCache = Path.Combine(wiped.Home, "cache", shared.Org.OwnerMemberId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(keptCache));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(keptCache, "items.db")));
        Assert.True(File.ReadAllBytes(Path.Combine(keptCache, "items.db")).AsSpan().IndexOf("cache-pass-1"u8) < 0, "the password is in the cache file in clear");
        // The server ends the Owner's main session: its agent signs in again, and its items keep working over the new session.
        string mainSession = JsonDocument.Parse(SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "whoami", "--format", "json")).Stdout)
            .RootElement.GetProperty("sessionId").GetString()!;
        SharedVaultFixture.Succeeded(await kept.RunAsync(null, "session", "end", mainSession));
        SharedVaultFixture.Succeeded(await shared.Owner.RunAsync(null, "vault", "create", Unique("After renewal")));
        string deviceId = JsonDocument.Parse(SharedVaultFixture.Succeeded(await wiped.RunAsync(null, "whoami", "--format", "json")).Stdout).RootElement
            .GetProperty("deviceId").GetString()!;

        SharedVaultFixture.Succeeded(await kept.RunAsync(null, "device", "revoke", deviceId));
        CofferRun gone = await EventuallyAsync(wiped, r => r.Exit != 0, "item", "list");
        SharedVaultFixture.Succeeded(await kept.RunAsync(null, "signout", "--forget"));

        Assert.Equal(4, gone.Exit);
        Assert.Contains("deauthorised", OneLine(gone.Stderr), StringComparison.Ordinal);
        Assert.False(Directory.Exists(wipedCache));
        Assert.False(Directory.Exists(keptCache));
    }

    private async Task<CofferHomeDirectory> SignInOwnerAsync(string name)
    {
        CofferHomeDirectory device = new(name);
        CofferRun signIn = await device.RunAsync(shared.Org.OwnerSecretKey + "\n" + OrganisationFixture.OwnerPassword + "\n", "signin",
            shared.Org.ServerUrl.ToString(), "--email", OrganisationFixture.OwnerEmail, "--org-fingerprint", shared.Org.OrganisationFingerprint,
            "--secret-key-stdin", "--password-stdin");
        if (signIn.Exit != 0)
        {
            device.Dispose();
            Assert.Fail(signIn.ToString());
        }
        return device;
    }

    /// <summary>Creates a login in Team (or the vault given in <paramref name="extra"/>) with the password on stdin; returns its id.</summary>
    private static async Task<string> CreateAsync(CofferHomeDirectory device, string title, string password, params string[] extra)
    {
        string[] vault = extra.Contains("--vault") ? [] : ["--vault", SharedVaultFixture.TeamVault];
        CofferRun created = SharedVaultFixture.Succeeded(await device.RunAsync(password + "\n",
            ["item", "create", "--title", title, "--password-stdin-field", "--format", "json", .. vault, .. extra]));
        return JsonDocument.Parse(created.Stdout).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Runs a command until <paramref name="done"/> holds (another device's change shows once this one syncs); at most 30 s.</summary>
    private static async Task<CofferRun> EventuallyAsync(CofferHomeDirectory device, Func<CofferRun, bool> done, params string[] args)
    {
        CofferRun run = await device.RunAsync(null, args);
        for (int i = 0; i < 60 && !done(run); i++)
        {
            await Task.Delay(500);
            run = await device.RunAsync(null, args);
        }
        Assert.True(done(run), "never happened:\n" + run);
        return run;
    }

    private static string[] Permissions(CofferRun vaults, string vaultId) =>
        [.. JsonDocument.Parse(vaults.Stdout).RootElement.EnumerateArray().Single(v => v.GetProperty("id").GetString() == vaultId)
            .GetProperty("permissions").EnumerateArray().Select(p => p.GetString()!)];

    private static string[] Titles(CofferRun list) =>
        [.. JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Select(i => i.GetProperty("title").GetString()!)];

    private static string Unique(string name) => name + " " + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    private static Envelope ToEnvelope(EnvelopeDto dto) =>
        Envelope.TryParse(JsonSerializer.SerializeToUtf8Bytes(dto, Wire.EnvelopeDto), out Envelope? envelope) ? envelope! : throw new FormatException("not an envelope");

    private static string OneLine(string stderr)
    {
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr:\n" + stderr);
        return lines[0];
    }
}
