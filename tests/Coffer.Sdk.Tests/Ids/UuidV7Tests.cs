using Coffer.Sdk.Ids;
using Coffer.Sdk.Tests.Support;

namespace Coffer.Sdk.Tests.Ids;

public class UuidV7Tests
{
    [Fact]
    public void New_CarriesVersion7VariantAndTimestamp_Rfc9562Section5_7()
    {
        DateTimeOffset now = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);
        string id = UuidV7.New(new FixedClock(now));
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id);
        Assert.Equal(now.ToUnixTimeMilliseconds(), UuidV7.TimestampOf(id));
        Assert.True(UuidV7.IsCanonical(id));
        Assert.Equal(id, Guid.Parse(id).ToString("D"));
    }

    [Fact]
    public void New_SameMillisecond_GivesDistinctIds()
    {
        HashSet<string> ids = [.. Enumerable.Range(0, 1000).Select(_ => UuidV7.New(42))];
        Assert.Equal(1000, ids.Count);
    }

    [Fact]
    public void New_TimeOutside48Bits_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => UuidV7.New(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => UuidV7.New(1L << 48));
        Assert.Equal((1L << 48) - 1, UuidV7.TimestampOf(UuidV7.New((1L << 48) - 1)));
    }

    [Theory]
    [InlineData("0190A1B2-C3D4-7E5F-8A6B-1C2D3E4F5A6B")]
    [InlineData("{0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b}")]
    [InlineData("0190a1b2c3d47e5f8a6b1c2d3e4f5a6b")]
    [InlineData("0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6")]
    [InlineData("0190a1b2_c3d4-7e5f-8a6b-1c2d3e4f5a6b")]
    [InlineData("")]
    [InlineData(null)]
    public void IsCanonical_OtherForms_AreRefused(string? id) => Assert.False(UuidV7.IsCanonical(id));

    [Fact]
    public void TimestampOf_OtherVersion_IsNull() =>
        Assert.Null(UuidV7.TimestampOf("0190a1b2-c3d4-4e5f-8a6b-1c2d3e4f5a6b"));
}
