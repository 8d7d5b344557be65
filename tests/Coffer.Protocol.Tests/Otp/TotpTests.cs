using System.Text.Json;
using Coffer.Protocol.Otp;

namespace Coffer.Protocol.Tests.Otp;

public class TotpTests
{
    public static TheoryData<int> Rfc6238Rows() => [.. Enumerable.Range(0, 18)];

    // RFC 6238 Appendix B: every row of the table, 8 digits, X = 30, T0 = 0. The seed differs per
    // mode (20, 32 or 64 ASCII bytes, per the Appendix A reference code; see testdata/vectors/README.md).
    [Theory]
    [MemberData(nameof(Rfc6238Rows))]
    public void Compute_Rfc6238AppendixB_MatchesTable(int row)
    {
        using JsonDocument doc = TestData.Json("vectors", "totp-rfc6238.json");
        JsonElement root = doc.RootElement;
        JsonElement c = root.GetProperty("cases")[row];
        string mode = c.GetProperty("mode").GetString()!;
        byte[] seed = TestData.Hex(root.GetProperty("seeds_hex").GetProperty(mode).GetString()!);
        Assert.Equal(mode switch { "SHA1" => 20, "SHA256" => 32, _ => 64 }, seed.Length);
        OtpAlgorithm algorithm = mode switch
        {
            "SHA1" => OtpAlgorithm.Sha1,
            "SHA256" => OtpAlgorithm.Sha256,
            "SHA512" => OtpAlgorithm.Sha512,
            _ => throw new InvalidOperationException(mode),
        };
        long time = c.GetProperty("time").GetInt64();
        long expectedStep = Convert.ToInt64(c.GetProperty("T_hex").GetString(), 16);

        using Totp totp = new(seed, root.GetProperty("digits").GetInt32(), algorithm, root.GetProperty("time_step_X").GetInt32(), root.GetProperty("T0").GetInt64());
        Assert.Equal(expectedStep, totp.TimeStep(time));
        Assert.Equal(c.GetProperty("totp").GetString(), totp.Compute(time));
        Assert.Equal(c.GetProperty("totp").GetString(), totp.Compute(DateTimeOffset.FromUnixTimeSeconds(time)));
        Assert.Equal(expectedStep, totp.Verify(c.GetProperty("totp").GetString(), time));
    }

    private static Totp Sha1Rfc6238(int digits = 8) => new("12345678901234567890"u8, digits);

    // RFC 6238 Appendix B, SHA1 at 1111111109 (step 0x23523EC) is 07081804 and at 1111111111 (next step) 14050471.
    [Fact]
    public void Verify_CodeOfPreviousStep_ReturnsThatStepWithinDefaultWindow()
    {
        using Totp totp = Sha1Rfc6238();
        Assert.Equal(0x23523EC, totp.Verify("07081804", 1111111111)); // current step 0x23523ED, code from step − 1
        Assert.Equal(0x23523ED, totp.Verify("14050471", 1111111109)); // code from step + 1
    }

    [Fact]
    public void Verify_CodeTwoStepsAway_IsNullWithWindowOneAndFoundWithWindowTwo()
    {
        using Totp totp = Sha1Rfc6238();
        long now = 1111111109 + 60; // step 0x23523EE: 07081804 is two steps old
        Assert.Null(totp.Verify("07081804", now));
        Assert.Equal(0x23523EC, totp.Verify("07081804", now, window: 2));
        Assert.Null(totp.Verify("07081804", 1111111109 - 60, window: 1)); // two steps in the future
    }

    [Fact]
    public void Verify_WindowZero_AcceptsOnlyCurrentStep()
    {
        using Totp totp = Sha1Rfc6238();
        Assert.Null(totp.Verify("07081804", 1111111111, window: 0));
        Assert.Equal(0x23523ED, totp.Verify("14050471", 1111111111, window: 0));
    }

    [Fact]
    public void Verify_WrongCode_IsNull()
    {
        using Totp totp = Sha1Rfc6238();
        Assert.Null(totp.Verify("07081805", 1111111109));
        Assert.Null(totp.Verify("0708180", 1111111109));
        Assert.Null(totp.Verify("070818044", 1111111109));
        Assert.Null(totp.Verify("0708180x", 1111111109));
    }

    [Fact]
    public void Verify_EveryStepInWindow_ReturnsItsOwnStep()
    {
        using Totp totp = new(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 6);
        long now = 1_700_000_000;
        long current = totp.TimeStep(now);
        for (long step = current - 3; step <= current + 3; step++)
        {
            string code = totp.ComputeAtStep(step);
            long? matched = totp.Verify(code, now, window: 3);
            Assert.NotNull(matched);
            // A collision with another step in the window would return the later step; either way the code is that step's code.
            Assert.Equal(code, totp.ComputeAtStep(matched.Value));
            Assert.True(matched.Value >= step);
        }
    }

    [Fact]
    public void Verify_NearT0_SkipsNegativeSteps()
    {
        using Totp totp = new(new byte[20], 6, OtpAlgorithm.Sha1, 30, t0: 1000);
        string code0 = totp.ComputeAtStep(0);
        Assert.Equal(0, totp.Verify(code0, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => totp.Verify(code0, 999));
        Assert.Throws<ArgumentOutOfRangeException>(() => totp.Compute(999));
    }

    [Fact]
    public void TimeStep_PeriodAndT0_FollowRfc6238Section4()
    {
        using Totp totp = new(new byte[20], 6, OtpAlgorithm.Sha1, period: 60, t0: 100);
        Assert.Equal(0, totp.TimeStep(100));
        Assert.Equal(0, totp.TimeStep(159));
        Assert.Equal(1, totp.TimeStep(160));
        Assert.Equal(60, totp.Period);
        Assert.Equal(100, totp.T0);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Verify_WindowOutOfRange_Throws(int window)
    {
        using Totp totp = Sha1Rfc6238();
        Assert.Throws<ArgumentOutOfRangeException>(() => totp.Verify("07081804", 1111111109, window));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(9)]
    public void Constructor_DigitsOutsideSixToEight_Throws(int digits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Totp(new byte[20], digits));

    [Fact]
    public void Constructor_PeriodBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Totp(new byte[20], 6, OtpAlgorithm.Sha1, 0));

    [Fact]
    public void Compute_SixDigits_IsLastSixOfEightDigitCode()
    {
        // 8-digit and 6-digit codes share the truncated value: 07081804 mod 10^6 = 081804 (leading zero kept).
        using Totp totp = Sha1Rfc6238(6);
        Assert.Equal("081804", totp.Compute(1111111109));
    }

    [Fact]
    public void Dispose_ThenVerify_Throws()
    {
        Totp totp = Sha1Rfc6238();
        totp.Dispose();
        Assert.Throws<ObjectDisposedException>(() => totp.Verify("07081804", 1111111109));
    }
}
