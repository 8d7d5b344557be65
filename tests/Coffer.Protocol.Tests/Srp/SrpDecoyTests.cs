using System.Numerics;
using System.Security.Cryptography;
using Coffer.Protocol.Srp;

namespace Coffer.Protocol.Tests.Srp;

// The decoy verifier for unknown emails (docs/adr/0007, "amended again").
public class SrpDecoyTests
{
    private static BigInteger Unsigned(ReadOnlySpan<byte> bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    // Why a uniform value mod N looks like g^x: g = 5 generates all of Z_N^* for the 4096-bit group, because it is a
    // quadratic non-residue (Euler's criterion: 5^((N-1)/2) = -1 mod N). Were it a residue, real verifiers would all be
    // squares and a uniform decoy would not be.
    [Fact]
    public void Generator_Group4096_IsQuadraticNonResidue()
    {
        SrpGroup group = SrpGroup.Group4096;
        BigInteger n = Unsigned(group.Prime);
        Assert.Equal(n - 1, BigInteger.ModPow(group.Generator, (n - 1) / 2, n));
    }

    [Fact]
    public void Decoy_Seed_IsHkdfExpansionReducedModN()
    {
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        byte[] decoy = SrpVerifier.Decoy(SrpParameters.Coffer, seed);

        int padded = SrpParameters.Coffer.Group.PaddedLength;
        byte[] wide = HKDF.Expand(HashAlgorithmName.SHA256, seed, padded + 32, "coffer/srp/decoy-verifier/v1"u8.ToArray());
        BigInteger expected = Unsigned(wide) % Unsigned(SrpParameters.Coffer.Group.Prime);

        Assert.Equal(padded, decoy.Length);
        Assert.Equal(expected, Unsigned(decoy));
        Assert.True(SrpVerifier.IsValid(SrpParameters.Coffer, decoy));
    }

    [Fact]
    public void Decoy_SameSeed_SameVerifier_OtherSeed_Another()
    {
        byte[] seed = RandomNumberGenerator.GetBytes(32);
        byte[] other = RandomNumberGenerator.GetBytes(32);

        Assert.Equal(SrpVerifier.Decoy(SrpParameters.Coffer, seed), SrpVerifier.Decoy(SrpParameters.Coffer, seed));
        Assert.NotEqual(SrpVerifier.Decoy(SrpParameters.Coffer, seed), SrpVerifier.Decoy(SrpParameters.Coffer, other));
    }

    [Fact]
    public void Decoy_ShortSeed_Throws()
    {
        Assert.Throws<ArgumentException>(() => SrpVerifier.Decoy(SrpParameters.Coffer, new byte[31]));
    }

    // A server running against a decoy answers a B like any other and refuses every proof: nobody knows an x for it.
    [Fact]
    public void Exchange_AgainstDecoy_RefusesTheProof()
    {
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] decoy = SrpVerifier.Decoy(SrpParameters.Coffer, RandomNumberGenerator.GetBytes(32));
        using SrpServer server = new(SrpParameters.Coffer, "someone", salt, decoy);
        using SrpClient client = new(SrpParameters.Coffer, "someone", salt, RandomNumberGenerator.GetBytes(32));

        byte[] m1 = client.ComputeProof(server.PublicKey)!;

        Assert.True(SrpVerifier.IsValid(SrpParameters.Coffer, server.PublicKey));
        Assert.Null(server.VerifyClientProof(client.PublicKey, m1));
    }
}
