using System.Text.Json;
using Coffer.Cli.Agent;
using Coffer.Cli.Commands;
using Coffer.Cli.Terminal;
using Coffer.Sdk.Items;

namespace Coffer.Cli.Tests;

/// <summary>The vault and item commands' parts that need no agent: parsing, permission sets, edits, fields, the clipboard check.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ItemCommandLineTests
{
    [Theory]
    [InlineData("12h", 43_200)]
    [InlineData("3d", 259_200)]
    [InlineData("90m", 5_400)]
    [InlineData("24", 86_400)]
    [InlineData("off", 0)]
    [InlineData("0", 0)]
    public void OfflineWindow_Accepted_GivesSeconds(string text, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), OfflineWindowCommand.Parse(text));

    [Theory]
    [InlineData("31d")]
    [InlineData("-1h")]
    [InlineData("soon")]
    [InlineData("")]
    public void OfflineWindow_Refused_IsUsageError(string text) =>
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => OfflineWindowCommand.Parse(text)).ExitCode);

    [Fact]
    public void Roles_NoneNamed_IsViewer_ARoleAndExtraPermissions_AreJoinedInPolicyOrder_WithViewItemsAlways()
    {
        Assert.Equal(VaultRoles.Viewer, VaultRoles.Resolve(null, []));
        Assert.Equal(["view_items", "edit_items"], VaultRoles.Resolve(null, ["edit_items"]));
        Assert.Equal([.. VaultRoles.Viewer, "create_items", "edit_items", "archive_items", "delete_items", "manage_vault"],
            VaultRoles.Resolve("editor", ["manage_vault,edit_items"]));
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => VaultRoles.Resolve("owner", [])).ExitCode);
        Assert.Equal("editor", ItemsClient.Access(VaultRoles.Editor));
        Assert.Equal("view_items, edit_items", ItemsClient.Access(["view_items", "edit_items"]));
    }

    [Fact]
    public void Apply_UsernamePasswordTagsAndFields_EditTheItem_AndKeepTheEarlierPassword()
    {
        ItemOverview overview = new() { Title = "Router", Tags = ["net"] };
        ItemDetails details = new();
        details.SetPassword("first-password", DateTimeOffset.UnixEpoch);
        DateTimeOffset now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

        ItemHandlers.Apply(new ItemChanges
        {
            Username = "admin",
            Password = "second-password",
            AddTags = ["Ops", "NET"],
            RemoveTags = ["net"],
            Fields = [new FieldValue("Location", "rack 4")],
            Urls = ["https://router.example.net", " "],
        }, overview, details, now);

        Assert.Equal("admin", details.Username);
        Assert.Equal("admin", overview.Subtitle);
        Assert.Equal("second-password", details.Password);
        Assert.Equal("first-password", Assert.Single(details.PasswordHistory).Value);
        Assert.Equal(["Ops"], overview.Tags);
        Assert.Equal("rack 4", Assert.Single(details.Fields, f => f.Label == "Location").Value);
        Assert.Equal("https://router.example.net", Assert.Single(overview.Urls).Href);
        ItemValidation.Validate(overview, details);
    }

    [Fact]
    public void Apply_ConcealedFieldFromTheCommandLine_OrABadTotpUri_IsUsageError()
    {
        ItemDetails details = new();
        details.SetPassword("secret-value", DateTimeOffset.UnixEpoch);

        CliException concealed = Assert.Throws<CliException>(() =>
            ItemHandlers.Apply(new ItemChanges { Fields = [new FieldValue("PASSWORD", "typed in argv")] }, new ItemOverview(), details, DateTimeOffset.UnixEpoch));
        CliException totp = Assert.Throws<CliException>(() =>
            ItemHandlers.Apply(new ItemChanges { TotpUri = "https://example.org" }, new ItemOverview(), details, DateTimeOffset.UnixEpoch));

        Assert.Equal(ExitCodes.Usage, concealed.ExitCode);
        Assert.DoesNotContain("typed in argv", concealed.Message, StringComparison.Ordinal);
        Assert.Equal("secret-value", details.Password);
        Assert.Equal(ExitCodes.Usage, totp.ExitCode);
    }

    [Fact]
    public void Apply_Generate_MakesAPasswordOrPassphraseOfTheAskedSize()
    {
        ItemDetails password = new();
        ItemDetails passphrase = new();

        ItemHandlers.Apply(new ItemChanges { Generate = new GenerateSpec(32, null) }, new ItemOverview(), password, DateTimeOffset.UnixEpoch);
        ItemHandlers.Apply(new ItemChanges { Generate = new GenerateSpec(null, 5) }, new ItemOverview(), passphrase, DateTimeOffset.UnixEpoch);

        Assert.Equal(32, password.Password!.Length);
        Assert.Equal(5, passphrase.Password!.Split('-').Length);
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() =>
            ItemHandlers.Apply(new ItemChanges { Generate = new GenerateSpec(2, null) }, new ItemOverview(), new ItemDetails(), DateTimeOffset.UnixEpoch)).ExitCode);
    }

    [Fact]
    public void FindField_ByPurposeThenLabelThenId_AndWhatIsConcealed()
    {
        ItemDetails details = new()
        {
            Fields =
            [
                new ItemField { Id = "aaaa", Label = "login", Type = "string", Value = "olive", Purpose = "username" },
                new ItemField { Id = "bbbb", Label = "Recovery code", Type = "concealed", Value = "r-1" },
                new ItemField { Id = "cccc", Label = "Site", Type = "url", Value = "https://example.org" },
            ],
        };
        details.SetPassword("pw", DateTimeOffset.UnixEpoch);

        Assert.Equal("olive", ItemHandlers.FindField(details, "username")!.Value);
        Assert.Equal("pw", ItemHandlers.FindField(details, "Password")!.Value);
        Assert.Equal("r-1", ItemHandlers.FindField(details, "recovery CODE")!.Value);
        Assert.Equal("https://example.org", ItemHandlers.FindField(details, "cccc")!.Value);
        Assert.Null(ItemHandlers.FindField(details, "pin"));
        Assert.True(ItemHandlers.IsConcealed(ItemHandlers.FindField(details, "password")!));
        Assert.True(ItemHandlers.IsConcealed(ItemHandlers.FindField(details, "Recovery code")!));
        Assert.False(ItemHandlers.IsConcealed(ItemHandlers.FindField(details, "username")!));
    }

    [Fact]
    public void Clipboard_Holds_OnlyTheCopiedValue_AToolsTrailingNewlineAllowed()
    {
        string fingerprint = Clipboard.Fingerprint("s3cret value");

        Assert.True(Clipboard.Holds("s3cret value", fingerprint));
        Assert.True(Clipboard.Holds("s3cret value\n", fingerprint));
        Assert.False(Clipboard.Holds("something copied since", fingerprint));
        Assert.False(Clipboard.Holds(null, fingerprint));
        Assert.DoesNotContain("s3cret", fingerprint, StringComparison.Ordinal);
    }

    [Fact]
    public void AgentProtocol_ItemsCall_RoundTrips_AndAnUnknownCallDoesNotParse()
    {
        AgentRequest request = new ItemsRequest("01a1fdb6-0000-7000-8000-000000000000",
            new ItemEditCall("Router", null, new ItemChanges { Password = "pw", AddTags = ["ops"] }));

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(request, AgentJsonContext.Default.AgentRequest);
        ItemsRequest parsed = Assert.IsType<ItemsRequest>(JsonSerializer.Deserialize(json, AgentJsonContext.Default.AgentRequest));

        ItemEditCall call = Assert.IsType<ItemEditCall>(parsed.Call);
        Assert.Equal("pw", call.Changes.Password);
        Assert.Equal(["ops"], call.Changes.AddTags);
        Assert.Contains("\"op\":\"items\"", System.Text.Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(
            """{"op":"items","account":"x","call":{"kind":"item.export","item":"x"}}"""u8, AgentJsonContext.Default.AgentRequest));
    }

    [Theory]
    [InlineData("item", "get", "x", "--reveal")]
    [InlineData("item", "create", "--title", "x", "--generate", "--words", "5", "--tag", "a", "--tag", "b")]
    [InlineData("item", "list", "--vault", "Team", "--trashed", "--category", "login")]
    [InlineData("vault", "share", "Team", "--member", "bob@example.org", "--role", "editor", "--permission", "manage_vault")]
    [InlineData("account", "offline-window", "3d")]
    public void Parse_ItemAndVaultCommands_HaveNoErrors(params string[] args) =>
        Assert.Empty(CofferCli.Build().Parse(args).Errors);

    [Fact]
    public void Parse_ItemCreateWithoutTitle_IsAnError() =>
        Assert.NotEmpty(CofferCli.Build().Parse(["item", "create", "--password-stdin-field"]).Errors);
}
