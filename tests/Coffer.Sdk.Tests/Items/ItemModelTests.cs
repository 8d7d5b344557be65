using System.Text;
using System.Text.Json.Nodes;
using Coffer.Sdk.Items;

namespace Coffer.Sdk.Tests.Items;

/// <summary>The item plaintext model of PROTOCOL.md §4.1 against the shared samples in testdata/items.</summary>
public class ItemModelTests
{
    public static TheoryData<string> Samples() => [.. SampleItems.Files];

    [Fact]
    public void Samples_CoverEveryCategory_OncePerFile()
    {
        string[] categories = [.. SampleItems.Files.Select(f => SampleItems.Load(f).Overview.Category)];

        Assert.Equal(ItemCategories.All.Order(StringComparer.Ordinal), categories.Order(StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(Samples))]
    public void ParseThenToJson_OfEverySample_GivesBackTheSameJson_UnknownKeysIncluded(string file)
    {
        (JsonObject overviewJson, JsonObject detailsJson) = SampleItems.Json(file);

        (ItemOverview overview, ItemDetails details) = SampleItems.Load(file);

        Assert.True(JsonNode.DeepEquals(overviewJson, JsonNode.Parse(overview.ToJson())), file + " overview");
        Assert.True(JsonNode.DeepEquals(detailsJson, JsonNode.Parse(details.ToJson())), file + " details");
        Assert.Empty(ItemValidation.Check(overview, details));
    }

    [Theory, MemberData(nameof(Samples))]
    public void Edit_OfEverySample_KeepsEveryUnknownKey(string file)
    {
        (JsonObject overviewJson, JsonObject detailsJson) = SampleItems.Json(file);
        (ItemOverview overview, ItemDetails details) = SampleItems.Load(file);

        overview.Title += " (edited)";
        overview.Tags.Add("edited");
        details.SetPassword("a-new-password-1", DateTimeOffset.FromUnixTimeMilliseconds(1_767_300_000_000));
        JsonObject editedOverview = JsonNode.Parse(overview.Clone().ToJson())!.AsObject();
        JsonObject editedDetails = JsonNode.Parse(details.Clone().ToJson())!.AsObject();

        foreach ((string key, JsonNode? value) in overviewJson.Where(p => p.Key.StartsWith("x-", StringComparison.Ordinal)))
        {
            Assert.True(JsonNode.DeepEquals(value, editedOverview[key]), key);
        }
        foreach ((string key, JsonNode? value) in detailsJson.Where(p => p.Key.StartsWith("x-", StringComparison.Ordinal)))
        {
            Assert.True(JsonNode.DeepEquals(value, editedDetails[key]), key);
        }
        // Unknown keys inside list entries stay with their entry.
        JsonArray fieldsBefore = detailsJson["fields"]!.AsArray();
        JsonArray fieldsAfter = editedDetails["fields"]!.AsArray();
        for (int i = 0; i < fieldsBefore.Count; i++)
        {
            foreach ((string key, JsonNode? value) in fieldsBefore[i]!.AsObject().Where(p => p.Key.StartsWith("x-", StringComparison.Ordinal)))
            {
                Assert.True(JsonNode.DeepEquals(value, fieldsAfter[i]![key]), $"fields[{i}].{key}");
            }
        }
        Assert.Equal("edited", editedOverview["tags"]!.AsArray()[^1]!.GetValue<string>());
    }

    [Fact]
    public void SetPassword_ToANewValue_MovesTheOldOneToTheFrontOfTheHistory()
    {
        (_, ItemDetails details) = SampleItems.Load("login.json");
        string before = details.Password!;
        int historyBefore = details.PasswordHistory.Count;
        DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(1_767_300_000_000);

        details.SetPassword("Brand-new-9!", at);

        Assert.Equal("Brand-new-9!", details.Password);
        Assert.Equal(historyBefore + 1, details.PasswordHistory.Count);
        Assert.Equal(before, details.PasswordHistory[0].Value);
        Assert.Equal(at.ToUnixTimeMilliseconds(), details.PasswordHistory[0].ChangedAt);
    }

    [Fact]
    public void SetPassword_ToTheSameValue_AddsNoHistory()
    {
        (_, ItemDetails details) = SampleItems.Load("login.json");
        int historyBefore = details.PasswordHistory.Count;

        details.SetPassword(details.Password!, DateTimeOffset.UnixEpoch);

        Assert.Equal(historyBefore, details.PasswordHistory.Count);
    }

    [Fact]
    public void SetPassword_OnAnItemWithoutPassword_AddsAConcealedPasswordField()
    {
        (_, ItemDetails details) = SampleItems.Load("secure_note.json");

        details.SetPassword("s3cret", DateTimeOffset.UnixEpoch);

        ItemField field = details.FieldWithPurpose(ItemFieldPurposes.Password)!;
        Assert.Equal(ItemFieldTypes.Concealed, field.Type);
        Assert.Equal("s3cret", field.Value);
        Assert.Empty(details.PasswordHistory);
        Assert.Empty(ItemValidation.Check(SampleItems.Load("secure_note.json").Overview, details));
    }

    [Fact]
    public void RecordPasswordChange_AfterAnEditOfTheFieldValue_KeepsTheEarlierPassword()
    {
        (_, ItemDetails previous) = SampleItems.Load("database.json");
        ItemDetails edited = previous.Clone();
        edited.FieldWithPurpose(ItemFieldPurposes.Password)!.Value = "rotated-Pw-2026";

        edited.RecordPasswordChange(previous, DateTimeOffset.FromUnixTimeMilliseconds(42));

        PasswordHistoryEntry entry = Assert.Single(edited.PasswordHistory);
        Assert.Equal(previous.Password, entry.Value);
        Assert.Equal(42, entry.ChangedAt);
        Assert.Empty(previous.PasswordHistory);
    }

    [Fact]
    public void RecordPasswordChange_AfterSetPasswordOnTheSameEdit_RecordsTheOldPasswordOnce()
    {
        (_, ItemDetails previous) = SampleItems.Load("login.json");
        ItemDetails edited = previous.Clone();
        edited.SetPassword("fresh-Password-1", DateTimeOffset.FromUnixTimeMilliseconds(5));

        edited.RecordPasswordChange(previous, DateTimeOffset.FromUnixTimeMilliseconds(6));

        Assert.Equal(previous.PasswordHistory.Count + 1, edited.PasswordHistory.Count);
        Assert.Equal((previous.Password, 5L), (edited.PasswordHistory[0].Value, edited.PasswordHistory[0].ChangedAt));
    }

    // RFC 6238 Appendix B: SHA-1 seed "12345678901234567890" at T = 59 s gives 94287082; six digits are its last six.
    [Fact]
    public void CurrentOtp_OfTheLoginSample_IsTheRfc6238AppendixBCode()
    {
        (_, ItemDetails details) = SampleItems.Load("login.json");

        OtpCode code = details.CurrentOtp(DateTimeOffset.FromUnixTimeSeconds(59))!;

        Assert.Equal("287082", code.Code);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(30), code.ValidFrom);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(60), code.ValidUntil);
    }

    [Fact]
    public void CurrentOtp_FromAnOtpField_WhenThereIsNoTotp_UsesTheField()
    {
        (_, ItemDetails details) = SampleItems.Load("database.json");

        OtpCode? code = details.CurrentOtp(DateTimeOffset.FromUnixTimeSeconds(1_767_225_600));

        Assert.NotNull(code);
        Assert.Equal(6, code.Code.Length);
        Assert.Null(SampleItems.Load("password.json").Details.CurrentOtp(DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Check_OfABrokenItem_NamesEveryProblemByPlace_WithoutRepeatingValues()
    {
        (ItemOverview overview, ItemDetails details) = SampleItems.Load("login.json");
        overview.Category = "wallet";
        overview.Title = "  ";
        overview.Urls.Add(new ItemUrl { Href = "http://" });
        overview.Tags.Add("PRESS");
        details.Fields.Add(new ItemField { Id = "username", Label = "again", Type = "string", Value = "x" });
        details.Fields.Add(new ItemField { Id = "pw2", Label = "second", Type = "concealed", Value = "hunter2-secret", Purpose = ItemFieldPurposes.Password });
        details.Fields.Add(new ItemField { Id = "when", Label = "when", Type = "date", Value = "31/12/2026" });
        details.Fields.Add(new ItemField { Id = "kind", Label = "kind", Type = "colour", Value = "red" });
        details.Totp!.Uri = "otpauth://totp/x?secret=not-base32!";

        ItemValidationException e = Assert.Throws<ItemValidationException>(() => ItemValidation.Validate(overview, details));

        Assert.Equal(
            ["overview.category", "overview.title", "overview.urls[2].href", "overview.tags[2]", "details.fields[3].id", "details.fields[4].purpose",
             "details.fields[5].value", "details.fields[6].type", "details.totp.uri"],
            e.Problems.Select(p => p.Path));
        Assert.DoesNotContain("hunter2-secret", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("31/12/2026", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_OfAnItemOverTheCap_SaysHowBigItIsAndTheCap()
    {
        (ItemOverview overview, ItemDetails details) = SampleItems.Load("secure_note.json");
        details.Notes = new string('n', ItemValidation.DefaultMaximumBytes);

        ItemProblem problem = Assert.Single(ItemValidation.Check(overview, details));

        Assert.Equal("item", problem.Path);
        Assert.Contains("65536 (64 KiB)", problem.Message, StringComparison.Ordinal);
        Assert.Empty(ItemValidation.Check(overview, details, maximumBytes: 2 * ItemValidation.DefaultMaximumBytes));
    }

    [Fact]
    public void Check_CountsUtf8BytesOfNonAsciiText_NotEscapes()
    {
        (ItemOverview overview, ItemDetails details) = SampleItems.Load("secure_note.json");

        byte[] json = overview.ToJson();

        Assert.Contains("déploiement", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.Equal(json.Length + details.ToJson().Length, ItemValidation.SizeOf(overview, details));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"v":1,"title":5}""")]
    public void Parse_OfSomethingThatIsNotAnOverview_IsAValidationError(string json)
    {
        ItemValidationException e = Assert.Throws<ItemValidationException>(() => ItemOverview.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.StartsWith("overview", e.Problems[0].Path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://Example.ORG/login", "example.org")]
    [InlineData("example.org/path", "example.org")]
    [InlineData("ssh://host.internal:22", "host.internal")]
    [InlineData("not a url", null)]
    public void Host_OfAUrl_IsItsLowerCaseHost(string href, string? host) =>
        Assert.Equal(host, new ItemUrl { Href = href }.Host());
}
