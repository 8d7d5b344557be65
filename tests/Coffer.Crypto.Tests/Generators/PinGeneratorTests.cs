using Coffer.Crypto.Generators;

namespace Coffer.Crypto.Tests.Generators;

public class PinGeneratorTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(12)]
    public void Generate_ManyDraws_AreDigitsOfTheRequestedLength(int length)
    {
        for (int n = 0; n < 1000; n++)
        {
            string pin = PinGenerator.Generate(length);
            Assert.Equal(length, pin.Length);
            Assert.True(pin.All(char.IsAsciiDigit));
        }
    }

    // 120 000 digits over 10 cells, df = 9 (mean 9, sd 4.2); the bound 60 is about 1e-9 by chance.
    [Fact]
    public void Generate_Digits_AreUniformAtEveryPosition()
    {
        long[][] counts = [.. Enumerable.Range(0, 6).Select(_ => new long[10])];
        for (int n = 0; n < 20_000; n++)
        {
            string pin = PinGenerator.Generate(6);
            for (int i = 0; i < 6; i++)
            {
                counts[i][pin[i] - '0']++;
            }
        }
        Assert.All(counts, c => Assert.InRange(ChiSquare.Uniform(c), 0, 60));
    }

    [Fact]
    public void EntropyBits_SixDigits_Is19Point93()
    {
        Assert.Equal(6 * Math.Log2(10), PinGenerator.EntropyBits(6), 9);
        Assert.Equal(19.93, PinGenerator.EntropyBits(6), 2);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(13)]
    public void Generate_LengthOutOfRange_Throws(int length)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PinGenerator.Generate(length));
        Assert.Throws<ArgumentOutOfRangeException>(() => PinGenerator.EntropyBits(length));
    }
}
